"""The local chat: the bot's answers in a terminal, one question per line."""

from __future__ import annotations

from typing import TextIO

from bot.answering.service import AnswerService, QuestionError
from bot.render import render_text

PROMPT = "question> "


def run_chat(service: AnswerService, lines: TextIO, out: TextIO) -> int:
    """Answer each line until end of input; returns the exit code."""
    out.write(service.help_text() + "\n\n")
    interactive = lines.isatty()
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = lines.readline()
        if not line:
            break
        if not line.strip():
            continue
        try:
            reply = render_text(service.answer(line))
        except QuestionError as problem:
            reply = str(problem)
        out.write(f"{reply}\n\n")
        out.flush()
    if interactive:
        out.write("\n")
    out.write("bye\n")
    return 0
