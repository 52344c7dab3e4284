"""The `newsdesk` command: parser.py declares every command and option, main.py dispatches to
the command's own module (asking.py, indexing.py, evaluating.py, prompting.py, serving.py),
which builds only what it uses (`bot.wiring`); chat.py is the local chat in a terminal."""
