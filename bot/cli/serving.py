"""`newsdesk bot` and `newsdesk start`: the Telegram bot (polling, webhook, or the indexer
role), or without a token the local chat, over a fresh home's sample article."""

from __future__ import annotations

import sys
from typing import TextIO

from telegram.error import InvalidToken

from bot.cli.chat import run_chat
from bot.cli.errors import CommandError
from bot.cli.indexing import ensure_sample
from bot.redaction import Redactor
from bot.settings import Settings
from bot.telegram.app import build_application, run_polling
from bot.wiring.answering import build_answering
from bot.wiring.bot import BotServices, build_bot, build_local_chat
from index.store import ArticleStore


def bot_command(settings: Settings, redact: Redactor, *, webhook: bool = False) -> int:
    if webhook or settings.webhook_url:
        from bot.telegram.webhook import webhook_path  # aiohttp, for this mode only

        webhook_path(settings.webhook_url)  # a bad URL is said before the model loads
    return run_bot(build_bot(settings, redact=redact), webhook=webhook)


def run_bot(services: BotServices, *, webhook: bool = False) -> int:
    """The Telegram bot, polling until stopped, or with `webhook` (or NEWSDESK_WEBHOOK_URL
    set) serving a webhook; a token Telegram refuses is one clear line."""
    try:
        if services.settings.role == "indexer":
            from bot.telegram.jobs import run_indexer

            run_indexer(build_application(services))
        elif webhook or services.settings.webhook_url:
            from bot.telegram.webhook import run_webhook

            run_webhook(build_application(services, webhook=True))
        else:
            run_polling(build_application(services))
    except InvalidToken:
        raise CommandError(
            "Telegram refused TELEGRAM_BOT_TOKEN: check it is the token @BotFather gave you"
        ) from None
    return 0


def chat_command(
    settings: Settings, redact: Redactor, stdin: TextIO, store: ArticleStore | None = None
) -> int:
    answering = build_answering(settings, store=store, redact=redact)
    return run_chat(answering, build_local_chat(answering), stdin, sys.stdout)


def start_command(settings: Settings, redact: Redactor, stdin: TextIO) -> int:
    store = ensure_sample(settings, redact)
    if settings.telegram_bot_token is None:
        print(
            "newsdesk: no TELEGRAM_BOT_TOKEN set, so this is the local chat over the same answers "
            "the bot gives.\n  To run the Telegram bot, put TELEGRAM_BOT_TOKEN=<token from "
            "@BotFather> in .env (see .env.example) and run this again.",
            file=sys.stderr,
        )
        return chat_command(settings, redact, stdin, store)
    print("newsdesk: starting the Telegram bot (Ctrl-C to stop)", file=sys.stderr)
    return run_bot(build_bot(settings, store=store, redact=redact))
