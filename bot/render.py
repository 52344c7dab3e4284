"""Answers as text: plain for the terminal, Telegram HTML split into messages that fit."""

from __future__ import annotations

import re
from html import escape, unescape

from bot.answering.answers import Answer, Citation

TELEGRAM_LIMIT = 4096
_HTML_TOKEN = re.compile(r"(<[^>]*>|&#?\w+;)")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9]+)")
UNSUPPORTED_NOTE = "Part of the LLM's answer was left out: the passages it cited don't support it."
# The bot's own words in a rendered answer; each is the message id of its translations
# (bot/telegram/answer_words.py).
SOURCES = "Sources"
ALSO = "also: {outlets}"
UNTITLED = "Untitled"


class Wording:
    """The bot's own words in an answer as rendered, in English: its fixed lines as written,
    dates as the articles give them, the answer's text as it is. The Telegram reader's
    language is a subclass (bot/telegram/answer_words.py); the terminal's is this."""

    def line(self, text: str) -> str:
        """One of the bot's fixed lines (a message id above)."""
        return text

    def day(self, published: str) -> str:
        """A cited article's date as shown."""
        return published

    def answer(self, text: str) -> str:
        """The answer's text with the bot's notes in it (dated.py's, the refusal's span)."""
        return text


ENGLISH = Wording()


def telegram_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _origin(citation: Citation, words: Wording = ENGLISH) -> str:
    """Source and date, and the other outlets that ran the story ("also: Other Daily")."""
    published = words.day(citation.published) if citation.published else ""
    origin = " · ".join(part for part in (citation.source, published) if part)
    if citation.also:
        also = words.line(ALSO).format(outlets=", ".join(citation.also[:5]))
        origin = f"{origin}; {also}" if origin else also
    return origin


def render_text(answer: Answer) -> str:
    """The short answer on the first line, then the answer, then numbered sources with their
    quotes, for a terminal."""
    lines = [answer.short_answer, answer.answer] if answer.short_answer else [answer.answer]
    if answer.unsupported:
        lines += ["", f"(!) {UNSUPPORTED_NOTE}"]
    if answer.citations:
        lines += ["", "Sources:"]
    for citation in answer.citations:
        origin = _origin(citation)
        lines.append(f"[{citation.n}] {citation.title}" + (f" ({origin})" if origin else ""))
        if citation.url:
            lines.append(f"    {citation.url}")
        lines.append(f"    “{citation.quote}”")
    return "\n".join(lines)


def _html_citation(citation: Citation, words: Wording = ENGLISH) -> str:
    title = escape(citation.title or words.line(UNTITLED), quote=False)
    if citation.url.startswith(("http://", "https://")):
        title = f'<a href="{escape(citation.url, quote=True)}">{title}</a>'
    origin = _origin(citation, words)
    heading = f"[{citation.n}] {title}" + (f" — {escape(origin, quote=False)}" if origin else "")
    return f"{heading}\n<blockquote>{escape(citation.quote, quote=False)}</blockquote>"


def html_paragraphs(answer: Answer, words: Wording = ENGLISH) -> list[str]:
    """Self-contained HTML paragraphs (tags balanced in each) for Telegram's HTML parse mode,
    the bot's own words in `words`' language."""
    paragraphs = [escape(words.answer(answer.answer), quote=False)]
    if answer.short_answer:
        short = f"<b>{escape(answer.short_answer, quote=False)}</b>"
        paragraphs = [f"{short}\n{paragraphs[0]}"]
    if answer.unsupported:
        paragraphs.append(f"⚠️ <i>{escape(words.line(UNSUPPORTED_NOTE), quote=False)}</i>")
    if answer.citations:
        paragraphs.append(f"<b>{escape(words.line(SOURCES), quote=False)}</b>")
        paragraphs += [_html_citation(citation, words) for citation in answer.citations]
    return paragraphs


def render_html(answer: Answer, limit: int = TELEGRAM_LIMIT, words: Wording = ENGLISH) -> list[str]:
    return split_messages(html_paragraphs(answer, words), limit, html=True)


def render_plain_messages(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The answer as plain-text messages, for a terminal-like client."""
    return split_messages(render_text(answer).split("\n\n"), limit, html=False)


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)


def plain_text_of(message: str) -> str:
    """What one HTML message shows, as plain text (a link's address after its text): the
    fallback for that message alone when Telegram can't parse it. The links are left out
    where their addresses would make it too long: the text alone is never longer than the
    HTML."""
    linked = _without_tags(_LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", message))
    return linked if telegram_length(linked) <= TELEGRAM_LIMIT else _without_tags(message)


def _without_tags(message: str) -> str:
    return unescape("".join(t for t in _HTML_TOKEN.split(message) if not t.startswith("<")))


def split_messages(
    paragraphs: list[str], limit: int = TELEGRAM_LIMIT, *, html: bool, separator: str = "\n\n"
) -> list[str]:
    """Join paragraphs into messages of at most `limit`, breaking only between paragraphs; a
    paragraph too long on its own is cut at whitespace, between complete tags and entities,
    with HTML tags closed and reopened."""
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = (
            [paragraph] if telegram_length(paragraph) <= limit else _cut(paragraph, limit, html)
        )
        for piece in pieces:
            joined = f"{current}{separator}{piece}" if current else piece
            if telegram_length(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _cut(paragraph: str, limit: int, html: bool) -> list[str]:
    tokens = [t for t in (_HTML_TOKEN.split(paragraph) if html else [paragraph]) if t]
    pieces: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, opening tag as written)
    current = ""
    has_text = False

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(open_tags))

    def flush() -> None:
        nonlocal current, has_text
        if has_text:
            pieces.append(current + closing())
        reopen = "".join(tag for _, tag in open_tags)
        if telegram_length(reopen + closing()) > limit // 2:
            open_tags.clear()  # formatting too long to repeat on every piece: drop it
            reopen = ""
        current, has_text = reopen, False

    for token in tokens:
        if html and token.startswith("<"):
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            if token.startswith("</"):
                if open_tags and open_tags[-1][0] == name:
                    open_tags.pop()
                    current += token
                continue
            if telegram_length(current + token + closing()) + len(name) + 3 > limit:
                flush()
                if telegram_length(current + token + closing()) + len(name) + 3 > limit:
                    continue  # this formatting can't fit even in a fresh piece: drop it
            current += token
            if not token.endswith("/>"):
                open_tags.append((name, token))
            continue
        if html and token.startswith("&"):  # an entity is never split
            if telegram_length(current + token + closing()) > limit:
                flush()
            current += token
            has_text = True
            continue
        text = token
        while text:
            room = limit - telegram_length(current + closing())
            if telegram_length(text) <= room:
                current += text
                has_text = True
                break
            cut = _cut_point(text, room)
            if cut == 0 and has_text:
                flush()
                continue
            cut = max(cut, 1)
            current += text[:cut].rstrip()
            has_text = True
            text = text[cut:].lstrip()
            flush()
    if has_text:
        pieces.append(current + closing())
    return pieces


def _cut_point(text: str, room: int) -> int:
    """The largest index <= room (in UTF-16 units) at whitespace, else at room."""
    if room <= 0:
        return 0
    end = 0
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > room:
            break
        end = index + 1
    space = text.rfind(" ", 0, end + 1)
    newline = text.rfind("\n", 0, end + 1)
    best = max(space, newline)
    return best if best > end // 2 else end
