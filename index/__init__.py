"""newsdesk's indexing side: article -> chunks -> vectors in Chroma + the keyword index.

ingest/       files, URLs, feeds -> Articles
articles.py   what an Article (and a LoadProblem) is
chunking.py   Articles -> verbatim, overlapping Chunks with stable ids
embeddings.py the sentence-transformers model (the bundled all-MiniLM-L6-v2 by default)
store.py      the Chroma collection: chunks, vectors and the manifest in their metadata;
              what it answers of chunks in chunk_queries.py, of stories in story_queries.py;
              opened by open_store (chroma_client.py), embedded or on a Chroma server
keyword/      BM25 over the chunks, kept in step with the store
pipeline.py   one incremental, crash-safe indexing run over Articles
indexer.py    the Indexer: what Sources name, read by ingest/ and written by pipeline.py
text.py       the words: tokenizer and stemming shared with answering
errors.py     NewsdeskError, the one base of every error shown to users

It imports nothing from `bot/` (tests/test_layout.py checks).
"""
