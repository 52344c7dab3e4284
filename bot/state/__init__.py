"""Shared state in one database through SQLAlchemy 2: the answer log and its votes, prompt
versions, feeds, upload records, conversation memory, rate-limit windows and queued indexing
jobs. SQLite under NEWSDESK_HOME by default, Postgres with NEWSDESK_DATABASE_URL; the schema
is made by the Alembic migrations in `migrations/`, run to head when a command that keeps
state opens it (a one-off question only reads the prompt versions, as they are).

It imports `index` and `bot.answering` (for their types) and nothing of the front ends; the
answering side gets what it needs from here through small Protocols, never by import."""
