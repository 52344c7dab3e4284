"""`newsdesk prompts`: list, show, set, diff, history, rollback and test the prompt templates
(the same implementation as Telegram's /prompt, `bot.prompt_commands`)."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from bot.cli.errors import CommandError
from bot.prompt_commands import prompt_command
from bot.redaction import Redactor
from bot.settings import Settings
from bot.wiring.answering import build_answering
from bot.wiring.state import open_state


def prompts_command(
    settings: Settings, redact: Redactor, args: argparse.Namespace, stdin: TextIO
) -> int:
    text = None
    if args.file is not None:
        try:
            text = stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"can't read {args.file}: {error}") from None
    author = f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"
    versions = open_state(settings).prompts  # publishing writes a version
    answering = build_answering(settings, prompt_store=versions, lazy_model=True, redact=redact)
    reply = prompt_command(answering.service, args.action, args.args, author=author, text=text)
    print(redact(reply))
    return 0
