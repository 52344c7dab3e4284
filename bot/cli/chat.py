"""The local chat: the bot's answers in a terminal, one question per line, over the same
conversation turn as Telegram: follow-ups are understood from the last questions
("(Understood as: ...)"), and /help, /reset and /quit are commands, not questions."""

from __future__ import annotations

from typing import TextIO

from bot.answering.conversation import Conversation, ConversationKey
from bot.errors import NewsdeskError
from bot.render import render_text
from bot.wiring.answering import Answering

PROMPT = "question> "
COMMANDS = "Commands: /help (this), /reset (forget earlier questions), /quit (or Ctrl-D)."
FORGOTTEN = "I've forgotten our conversation: your next question starts afresh."
# The terminal is one conversation.
LOCAL = ConversationKey("local")
# What /help (prompts/help.txt, shared with Telegram) names but only Telegram has.
TELEGRAM_ONLY = frozenset(
    {"/follow", "/following", "/unfollow", "/digest", "/timezone", "/reindex", "/prompt",
     "/stats", "/articles", "/sources"}
)  # fmt: skip
IN_TELEGRAM = (
    "{command} works in Telegram. Here, type the question itself; on the command line, "
    "`newsdesk index`, `newsdesk articles` and `newsdesk prompts` do the admin's part."
)


def run_chat(answering: Answering, conversation: Conversation, lines: TextIO, out: TextIO) -> int:
    """Answer each line until end of input or /quit; returns the exit code."""
    service = answering.service
    out.write(f"{service.help_text()}\n{COMMANDS}\n\n")
    interactive = lines.isatty()
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = lines.readline()
        if not line or line.strip().lower() in ("/quit", "/exit"):
            break
        if not line.strip():
            continue
        try:
            reply = _reply(conversation, line.strip())
        except NewsdeskError as problem:  # a bad question, an LLM that failed: one line
            reply = str(problem)
        out.write(f"{answering.redact(reply)}\n\n")
        out.flush()
    if interactive:
        out.write("\n")
    out.write("bye\n")
    return 0


def _reply(conversation: Conversation, line: str) -> str:
    command = line.split()[0].lower()
    if command in ("/help", "/start"):
        return f"{conversation.service.help_text()}\n{COMMANDS}"
    if command == "/reset":
        conversation.forget(LOCAL)
        return FORGOTTEN
    if command == "/ask":
        if not line.split(maxsplit=1)[1:]:
            return "Type the question after /ask, or just the question."
        line = line.split(maxsplit=1)[1]  # as in a Telegram group: the question after it
    elif command in TELEGRAM_ONLY:
        return IN_TELEGRAM.format(command=command)
    elif command.startswith("/"):
        # A pasted blob starting with "/" is not echoed whole (Telegram's reply cuts it too).
        return f"I don't know the command {command[:64]}. {COMMANDS}"
    turn = conversation.ask(LOCAL, line)
    return "\n".join(filter(None, [turn.preface, render_text(turn.answer)]))
