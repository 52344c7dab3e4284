"""The local chat: the bot's answers in a terminal, one question per line, over the same path
as Telegram: follow-ups are understood from the last questions ("(Understood as: ...)"), and
/help, /reset and /quit are commands, not questions."""

from __future__ import annotations

from typing import TextIO

from bot.answering.followups import ChatMemory
from bot.answering.service import AnswerService
from bot.app import Parts
from bot.errors import NewsdeskError
from bot.render import render_text

PROMPT = "question> "
COMMANDS = "Commands: /help (this), /reset (forget earlier questions), /quit (or Ctrl-D)."
FORGOTTEN = "I've forgotten our conversation: your next question starts afresh."


def run_chat(parts: Parts, lines: TextIO, out: TextIO) -> int:
    """Answer each line until end of input or /quit; returns the exit code."""
    service, memory = parts.service, ChatMemory()
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
            reply = _reply(service, memory, line.strip())
        except NewsdeskError as problem:  # a bad question, an LLM that failed: one line
            reply = str(problem)
        out.write(f"{parts.redact(reply)}\n\n")
        out.flush()
    if interactive:
        out.write("\n")
    out.write("bye\n")
    return 0


def _reply(service: AnswerService, memory: ChatMemory, line: str) -> str:
    command = line.split()[0].lower()
    if command in ("/help", "/start"):
        return f"{service.help_text()}\n{COMMANDS}"
    if command == "/reset":
        memory.clear()
        return FORGOTTEN
    if command.startswith("/"):
        return f"I don't know the command {command}. {COMMANDS}"
    answer = service.answer(line, history=memory.turns)
    memory.remember(answer.standalone, answer.answer)
    understood = f"(Understood as: {answer.understood_as})\n" if answer.understood_as else ""
    return understood + render_text(answer)
