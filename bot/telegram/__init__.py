"""The python-telegram-bot front end: thin handlers over the answering package.

app.py          build_application: every handler, the error handler and the jobs, wired once
context.py      the typed context every handler gets: bot data, chat data, the services
concurrency.py  updates handled side by side, each chat's in order; the answer thread pool
questions.py    readers: access gate, questions in private chats and groups, /start, /reset
help_text.py    /start and /help in the client's language
voice.py        voice questions: downloaded, transcribed, "Heard: ...", answered as text
buttons.py      the source and 👍/👎 buttons under each answer
admin.py        operators: /reindex, the feed poll, /prompt, /stats
uploads.py      documents and links sent to the bot, checked, recorded and indexed
indexing.py     the bot's indexing runs: one at a time, progress and the report
jobs.py         NEWSDESK_ROLE: indexing jobs queued in the database, run by the indexer
access.py       allowlists, admins, and what those refused or slowed down are told
limits.py       the per-user rate limit and the once-a-day refusal, in shared windows
webhook.py      webhook mode: the update endpoint (secret token checked) and /healthz
monitoring.py   /metrics and /healthz on NEWSDESK_METRICS_PORT, in every mode; readiness
journal.py      updates received but not yet answered, replayed after a crash
network.py      retries and backoff when Telegram can't be reached
sending.py      long answers split on element boundaries
"""
