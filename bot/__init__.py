"""newsdesk's bot side: a question in, a cited answer out, through a front end.

answering/   question -> cited Answer (the conversation turn, retrieval, refusal, extractive or
             LLM answer, follow-ups, prompt versions); knows no front end and no Settings
state/       the shared database: answer log, prompt versions, feeds, uploads, memory, jobs
telegram/    the python-telegram-bot front end (readers, admins, buttons, access, answer log)
cli/         the `newsdesk` command and the local chat
evaluation/  `newsdesk eval`: quality on a bench next to the textbook pipeline
wiring/      Settings -> the parts each command needs, and only those
settings.py, errors.py, render.py, logs.py, prompt_commands.py: shared by the front ends
translation.py the bot's own lines in the reader's language, from the catalogs in locales/:
             read by the Telegram handlers and by wiring (the refusal)
telemetry.py the bot's Prometheus metrics, in a registry of its own per application
"""
