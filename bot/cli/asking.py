"""`newsdesk ask`: one question, answered read-only: nothing is indexed, synced, migrated or
recorded (the answering side alone, `bot.wiring.answering`)."""

from __future__ import annotations

import json
import logging
from datetime import date

from bot.answering.conversation import Conversation, ConversationKey
from bot.answering.time_window import DatesError, explicit_window
from bot.cli.errors import CommandError
from bot.redaction import Redactor
from bot.render import render_text
from bot.settings import Settings
from bot.wiring.answering import Answering, build_answering
from index.collections import scope_of

log = logging.getLogger(__name__)

# A one-off question is a conversation of one turn, with nothing remembered.
ONE_OFF = ConversationKey("cli")


def ask_command(
    settings: Settings,
    redact: Redactor,
    question: str,
    *,
    as_json: bool,
    as_of: date | None,
    since: date | None = None,
    until: date | None = None,
    collections: list[str] | None = None,
) -> int:
    if not question.strip():
        raise CommandError('give the question after `ask`: newsdesk ask "who controls Qairawan?"')
    try:
        window = explicit_window(since, until)
    except DatesError as error:
        raise CommandError(f"--since and --until: {error}") from None
    answering = build_answering(settings, redact=redact)
    say_if_keyword_index_behind(answering)
    conversation = Conversation(answering.service)
    scope = scope_of(collections)
    turn = conversation.ask(ONE_OFF, question, as_of=as_of, window=window, collections=scope)
    if as_json:
        print(json.dumps(turn.answer.to_json(), ensure_ascii=False, indent=2))
    else:
        if turn.preface:
            print(turn.preface)
        print(render_text(turn.answer))
    return 0


def say_if_keyword_index_behind(answering: Answering) -> None:
    """A one-off question writes nothing, so it doesn't catch the keyword index up (the bot
    does at its start, in the background, and so does the next `newsdesk index`); it says
    when its answer comes from the vector store and a keyword index that is behind."""
    keyword = answering.keyword
    if keyword.sync.out_of_step(answering.store):  # a metadata read, not a count of the store
        log.warning(
            "the keyword index (%s chunks) is not in step with the store (being rebuilt, or "
            "not yet caught up): this answer uses the vector store and what it holds",
            f"{keyword.folder.count():,}",
        )
