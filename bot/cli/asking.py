"""`newsdesk ask`: one question, answered read-only: nothing is indexed, synced, migrated or
recorded (the answering side alone, `bot.wiring.answering`)."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import TYPE_CHECKING

from bot.answering.time_window import DatesError, explicit_window
from bot.cli.errors import CommandError
from bot.redaction import Redactor
from bot.settings import Settings
from bot.wiring.stores import configured_embeddings, open_article_store, sentence_embeddings
from index.collections import scope_of

if TYPE_CHECKING:
    from bot.wiring.answering import Answering

log = logging.getLogger(__name__)

# A one-off question is a conversation of one turn, with nothing remembered: its key.
ONE_OFF = "cli"


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
    answering = open_answering(settings, redact)
    # Imported once the models are loading (`open_answering`), like the rest of the chain.
    from bot.answering.conversation import Conversation, ConversationKey
    from bot.render import render_text

    say_if_keyword_index_behind(answering)
    conversation = Conversation(answering.service)
    scope = scope_of(collections)
    turn = conversation.ask(
        ConversationKey(ONE_OFF), question, as_of=as_of, window=window, collections=scope
    )
    if as_json:
        print(json.dumps(turn.answer.to_json(), ensure_ascii=False, indent=2))
    else:
        if turn.preface:
            print(turn.preface)
        print(render_text(turn.answer))
    return 0


def open_answering(settings: Settings, redact: Redactor) -> Answering:
    """`build_answering`, with the models loading in threads of their own while the answer
    chain's modules (LangChain and its tracers, half a second of Python) are imported: the
    store is opened first, since which models to load is its embeddings record."""
    store = open_article_store(settings)
    embeddings = configured_embeddings(settings, store, lazy=True)
    sentences = sentence_embeddings(settings, embeddings)
    embeddings.load_in_background()
    sentences.load_in_background()
    from bot.wiring.answering import build_answering

    return build_answering(
        settings, store=store, embeddings=embeddings, sentences=sentences, redact=redact
    )


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
