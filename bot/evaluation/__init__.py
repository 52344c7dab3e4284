"""`newsdesk eval`: retrieval and answer quality on a bench folder, next to the textbook
LangChain pipeline measured in the same run.

bench.py     the bench folder's questions and articles
run.py       index the bench into a store of its own, ask every question, report
baseline.py  the textbook pipeline (RecursiveCharacterTextSplitter, Chroma.from_documents)
figures.py   the reported figures; metrics.py the plain metric functions behind them
"""
