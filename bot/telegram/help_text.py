"""/start and /help in the reader's language: the shipped help text has a translation in each
catalog (bot/locales), chosen by the client's `language_code` as the bot's other lines
are; an operator's own help text (published with /prompt set) has none and is shown as written.
When voice messages are transcribed, it says so. Without an LLM, a reader whose client is in
another language than English is also told, in it, that the articles are read in English and
that an LLM adds other languages."""

from __future__ import annotations

import gettext

from bot.answering.language_offline import OFFLINE_REPLY
from bot.answering.service import AnswerService

UNDATED = "undated"
VOICE_TOO = "You can also ask with a voice message: I say what I heard, then answer it."


def help_in(
    service: AnswerService,
    catalog: gettext.NullTranslations,
    language: str,
    *,
    voice: bool = False,
) -> str:
    """The help text in `catalog`'s language where it translates the live one, else as it is;
    with `voice` (speech is transcribed), a line saying so; offline, for a client `language`
    other than English, the offline reply after it."""
    template = service.prompts.template("help")
    translated = catalog.gettext(template)
    if translated == template:
        text = service.help_text()
    else:
        overview = service.store.overview()
        count = overview.articles
        articles = catalog.ngettext("{count} article", "{count} articles", count)
        latest = overview.latest_published or catalog.gettext(UNDATED)
        text = translated.format(articles=articles.format(count=f"{count:,}"), latest=latest)
    if voice:
        text += "\n\n" + catalog.gettext(VOICE_TOO)
    if service.chat_model is None and language not in ("", "en") and language in OFFLINE_REPLY:
        text += "\n\n" + OFFLINE_REPLY[language]
    return text
