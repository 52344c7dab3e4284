"""The python-telegram-bot front end: thin handlers over the answering package.

app.py         build_application: every handler, the error handler and the jobs, wired once
context.py     the typed bot data and chat data every handler gets
questions.py   readers: access gate, questions in private chats and groups, /start, /reset
buttons.py     the source and 👍/👎 buttons under each answer
admin.py       operators: /reindex, documents and links to index, the feed poll, /prompt, /stats
access.py      allowlists and the per-user rate limit
answer_log.py  every answer sent and its feedback, in SQLite
"""
