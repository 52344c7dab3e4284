"""Split articles into overlapping chunks on sentence and paragraph boundaries.

Every chunk is a verbatim slice of the article's text, so a quote taken from a chunk is always a
quote from the article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.articles import Article
from index.collections import DEFAULT_COLLECTION

CHUNK_CHARS = 800
OVERLAP_CHARS = 200

# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by whitespace and an
# uppercase letter, digit or opening quote. Common abbreviations are not sentence ends.
# Linear time on any text: a match starts only at the first mark of a run (the lookbehind), and
# the possessive quantifiers never give back what they took (giving back could not make a
# match anyway: the next part needs a different kind of character), so a long run of marks or
# spaces is read once, not once per position. BENCHMARKS.md, "Chunking speed", has the figures.
_SENTENCE_END = re.compile(r"""(?<![.!?…])[.!?…]++["'”’)\]]*+\s++(?=["'“‘(\[]?[A-Z0-9])""")
# The word before a sentence mark, as far back as the run of word characters, dots and marks
# that ends there: searched for in that run alone, since a search from where the sentence
# began would read the whole sentence again at each skipped abbreviation ("A. A. A. ...").
_LAST_WORD = re.compile(r"([\w.]+)[.!?…]*$")
_WORD_RUN_CHAR = re.compile(r"[\w.!?…]")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "col", "lt", "sgt", "capt", "gov",
    "sen", "rep", "rev", "no", "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g",
    "i.e", "a.m", "p.m", "mt", "ft",
}  # fmt: skip


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of one article with that article's metadata and a stable id."""

    id: str
    article_key: str
    position: int
    text: str
    title: str
    url: str
    source: str
    published: str
    # The manifest, kept in each chunk's metadata (see index/pipeline.py): where the article
    # was read from, its content hash, and how many chunks it has in all.
    origin: str = ""
    article_hash: str = ""
    chunks_total: int = 0
    # The story the article belongs to (index/stories.py): its own article id, or that of the
    # article from another outlet it is a copy of. Not part of the id: it may change without
    # the chunk changing. The article's MinHash signature is kept in its first chunk alone.
    story: str = ""
    signature: str = ""
    # The collection its article belongs to (index/collections.py).
    collection: str = DEFAULT_COLLECTION

    @property
    def embedding_text(self) -> str:
        # The title gives short passages the context a reader would have.
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Located:
    """Where a chunk sits in its article and when the article was published: all that
    retrieval needs of a candidate to rank it, before the few it keeps are read whole."""

    article_key: str
    position: int
    published: str

    @classmethod
    def of(cls, chunk: Chunk) -> Located:
        return cls(chunk.article_key, chunk.position, chunk.published)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence boundaries within text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        token = _word_before(text, cursor, match.start() + 1)
        # Not a sentence end: "Mr. Smith", "the U.S. Army", or an initial as in "John F. Kennedy".
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            continue
        _add_trimmed(text, cursor, match.start() + len(match.group(0).rstrip()), spans)
        cursor = match.end()
    _add_trimmed(text, cursor, end, spans)
    return spans


def _word_before(text: str, start: int, end: int) -> str:
    """The lower-cased word (dots inside kept, trailing dots dropped) that text[start:end]
    ends with: "U.S." gives "u.s", "F." gives "f"."""
    run_start = end
    while run_start > start and _WORD_RUN_CHAR.match(text, run_start - 1):
        run_start -= 1
    word = _LAST_WORD.search(text, run_start, end)
    return word.group(1).rstrip(".").lower() if word else ""


def _add_trimmed(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + (len(piece) - len(piece.lstrip()))
        spans.append(Span(left, left + len(stripped)))


def _paragraph_sentences(text: str) -> Iterator[tuple[Span, bool]]:
    """Each sentence span of the text, with whether it ends its paragraph."""
    for paragraph in re.finditer(r"[^\n]+", text):
        spans = sentence_spans(text, paragraph.start(), paragraph.end())
        for index, span in enumerate(spans):
            for piece in _hard_split(text, span):
                yield piece, index == len(spans) - 1 and piece.end == span.end


def _hard_split(text: str, span: Span) -> Iterator[Span]:
    """A sentence longer than a chunk is cut at whitespace so no chunk overflows."""
    start = span.start
    while span.end - start > CHUNK_CHARS:
        cut = text.rfind(" ", start + CHUNK_CHARS // 2, start + CHUNK_CHARS)
        cut = cut if cut > start else start + CHUNK_CHARS
        yield Span(start, cut)
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if start < span.end:
        yield Span(start, span.end)


def chunk_spans(text: str) -> list[Span]:
    """Pack sentences into chunks of up to CHUNK_CHARS, preferring to end at a paragraph end,
    and start each chunk after the first with up to OVERLAP_CHARS of the previous one's end."""
    sentences = list(_paragraph_sentences(text))
    chunks: list[Span] = []
    first = 0
    while first < len(sentences):
        last = first
        while (
            last + 1 < len(sentences)
            and sentences[last + 1][0].end - sentences[first][0].start <= CHUNK_CHARS
        ):
            last += 1
            ends_paragraph = sentences[last][1]
            if ends_paragraph and sentences[last][0].end - sentences[first][0].start > (
                CHUNK_CHARS * 3 // 4
            ):
                break
        chunks.append(Span(sentences[first][0].start, sentences[last][0].end))
        if last + 1 >= len(sentences):
            break
        next_first = last + 1
        # Overlap: repeat the previous chunk's last sentences, up to OVERLAP_CHARS, and at least
        # its last sentence unless that one is so long it would crowd out the new text.
        if last > first and sentences[last][0].end - sentences[last][0].start <= CHUNK_CHARS // 2:
            next_first = last
        while (
            next_first - 1 > first
            and sentences[last][0].end - sentences[next_first - 1][0].start <= OVERLAP_CHARS
        ):
            next_first -= 1
        first = next_first
    return chunks


def chunk_id(article: Article, position: int, text: str) -> str:
    """Stable across runs and machines: the same article always gets the same ids. Title and
    metadata count too, since the title is embedded with the text and both are shown."""
    fields = (article.key, str(position), text, article.title, article.url, article.source)
    digest = hashlib.sha256("\x1f".join((*fields, article.published)).encode())
    return digest.hexdigest()[:32]


def chunk_article(article: Article, story: str = "", signature: str = "") -> list[Chunk]:
    """The article's chunks, in order, each in `story`, the first with the article's
    `signature` (index/stories.py)."""
    chunks = []
    spans = chunk_spans(article.text)
    content_hash = article.content_hash
    for position, span in enumerate(spans):
        text = article.text[span.start : span.end]
        chunks.append(
            Chunk(
                id=chunk_id(article, position, text),
                article_key=article.key,
                position=position,
                text=text,
                title=article.title,
                url=article.url,
                source=article.source,
                published=article.published,
                origin=article.origin,
                article_hash=content_hash,
                chunks_total=len(spans),
                story=story,
                signature=signature if position == 0 else "",
                collection=article.collection or DEFAULT_COLLECTION,
            )
        )
    return chunks


def places_around(chunks: Sequence[Chunk], reach: int, ledes: bool = False) -> set[tuple[str, int]]:
    """The (article key, position) of every chunk within `reach` of the given ones, and with
    `ledes` of each of their articles' first chunk."""
    places = {
        (chunk.article_key, chunk.position + offset)
        for chunk in chunks
        for offset in range(-reach, reach + 1)
        if chunk.position + offset >= 0
    }
    if ledes:
        places.update((chunk.article_key, 0) for chunk in chunks)
    return places


def join_chunks(chunks: list[Chunk], gap: str = "\n") -> str:
    """The text of chunks of one article as one passage, in article order, each overlap once.

    A chunk repeats the end of the one before it (on a sentence boundary), so the longest end
    of the text so far that the next chunk starts with is the overlap. Chunks that don't
    overlap are joined by a line break, or by `gap` where the article's text skips (chunks
    not next to each other, as an article's lede before a passage from further down)."""
    text = ""
    previous: Chunk | None = None
    for chunk in sorted(chunks, key=lambda c: c.position):
        if previous is None or not text or not chunk.text:
            text = text or chunk.text
            previous = chunk
            continue
        if chunk.position > previous.position + 1:  # a skip in the article: no overlap
            text += gap + chunk.text
        else:
            overlap = _overlap(text, chunk.text)
            text += chunk.text[overlap:] if overlap else "\n" + chunk.text
        previous = chunk
    return text


def _overlap(text: str, following: str) -> int:
    """The length of the longest end of `text` that `following` starts with."""
    # Only where the text has the following chunk's first character can the overlap begin.
    start = text.find(following[0], max(0, len(text) - len(following)))
    while start != -1 and not following.startswith(text[start:]):
        start = text.find(following[0], start + 1)
    return len(text) - start if start != -1 else 0
