"""The `newsdesk` command: parser.py declares every command and option, main.py carries them
out over the parts `bot.app` builds, chat.py is the local chat in a terminal."""
