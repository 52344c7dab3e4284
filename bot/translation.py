"""The bot's own words in the reader's language: gettext catalogs, one `.po` a language
(bot/locales/LANG/LC_MESSAGES/newsdesk.po, read with Babel, no compiled file to keep in step),
chosen by the Telegram user's `language_code`. The English text is the message id, so a
language without a catalog, or a message a catalog lacks, is said in English. It stands below
both of its readers: the Telegram handlers, and bot/wiring (the shipped refusal in the
question's language).

What is translated: the bot's fixed lines (not allowed, admins only, text only, unknown
command, /reset, /ask's usage, the error apology, the database's, the slow-down line, an empty
question), an answer's own words (bot/telegram/answer_words.py: its headings and notes, not
its sentences) and the command menus, set per language with `set_my_commands(language_code=...)`.
What the bot sends later on its own (a /follow push, a digest) is worded in the language kept
with the follow or digest when it was set up (`for_language`).
Answers are in the question's language (bot/answering/language.py), whatever the client's.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "newsdesk"
# The languages with a catalog; English is the message ids themselves.
SHIPPED = ("ar", "ru")
ENGLISH = gettext.NullTranslations()


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (ISO 639-1), read once per process; English without one."""
    if language not in SHIPPED:
        return ENGLISH
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def for_language(code: str | None) -> gettext.NullTranslations:
    """The catalog for a language kept in the database (a follow's, a digest's): English for
    None, a language without a catalog, or whatever else a row holds (nothing but a shipped
    language reaches `translations`' cache)."""
    return translations(code) if code in SHIPPED else ENGLISH


def language_of(user: object) -> str:
    """The ISO 639-1 code of a Telegram user's client language ("pt-br" is "pt"); "" when
    unknown (no user, or a client that doesn't say)."""
    code = getattr(user, "language_code", None) or ""
    return str(code).lower().replace("_", "-").split("-")[0]


def for_user(user: object) -> gettext.NullTranslations:
    """The catalog for a Telegram user (a `telegram.User`, or None)."""
    return translations(language_of(user))


def for_update(update: object) -> gettext.NullTranslations:
    """The catalog for whoever sent `update`."""
    return for_user(getattr(update, "effective_user", None))
