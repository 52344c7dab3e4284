"""Wire copies grouped into stories at index time: the same story carried by several outlets
within a few days is one story, with one id, kept in every chunk's metadata (`story`).

Each article's text is reduced to a MinHash signature of its 5-word shingles (datasketch),
kept in its first chunk's metadata with its publication day (`day`); an article joins the
story of the most similar article (estimated Jaccard similarity of shingles at least
STORY_SIMILARITY) published within STORY_DAYS of it, found through locality-sensitive hashing
(MinHashLSH) over the signatures of the articles of those days, else it starts a story of its
own, whose id is its article id. Only another outlet's article is a copy: one outlet's pages
share their menus and footers (on the dev bench, CNN's pages about a Navy SEAL and a bitcoin
seizure were half the same words), and its follow-up of a story is news of its own. Weeks apart
the same words are a template (a weekly report), not a copy; and an undated article is a story
of its own, since a copy can't be told from a template without a date.

Stories are written with the chunks themselves (the same upsert), so they are as crash-safe
as the rest of the manifest. A store from before stories gets them once (`backfill`), from its
chunks' texts, without embedding anything; the collection then records that it has them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # datasketch imports scipy: 0.6 s, imported only when stories are made
    from datasketch import LeanMinHash, MinHash, MinHashLSH

SHINGLE_WORDS = 5
STORY_SIMILARITY = 0.5
STORY_DAYS = 3
# 64 permutations: the Jaccard estimate's standard error is about 0.06 at 0.5, and a signature
# is 512 hex characters in the lede's metadata.
PERMUTATIONS = 64
SEED = 1
# datasketch's hashing since 2.0.0, named: stored signatures must be read back as made.
SCHEME = "affine32"
ID_CHARS = 12  # as index.catalog.article_id: a story's id is its first article's id


def own_story(key: str) -> str:
    """The story an article starts: its article id (index.catalog.article_id)."""
    return hashlib.sha256(key.encode()).hexdigest()[:ID_CHARS]


def story_day(published: str) -> int | None:
    """The publication date as a day number, else None (undated)."""
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def shingles(text: str) -> set[bytes]:
    """The text's runs of SHINGLE_WORDS words, lowercased; none for a shorter text, which
    can't be told to be a copy."""
    words = text.lower().split()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def signature(text: str) -> str:
    """The text's MinHash signature as hex ("" for a text under SHINGLE_WORDS words)."""
    from datasketch import MinHash

    found = shingles(text)
    if not found:
        return ""
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME)
    minhash.update_batch(sorted(found))
    # affine32 hash values are below 2**32: four bytes each.
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes().hex()


def minhash_of(hex_signature: str) -> LeanMinHash | None:
    """A stored signature as a MinHash; None if it isn't one (missing or damaged)."""
    from datasketch import LeanMinHash

    try:
        raw = bytes.fromhex(hex_signature)
    except ValueError:
        return None
    if len(raw) != PERMUTATIONS * 4:
        return None
    values = np.frombuffer(raw, dtype="<u4").astype(np.uint64)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


@dataclass(frozen=True)
class Member:
    """An article as stories see it: its key, day, story, signature (hex) and outlet."""

    key: str
    day: int | None
    story: str
    signature: str
    source: str = ""


class LedeReader(Protocol):
    """Where the members of days already indexed are read from (ArticleStore.story_members)."""

    def story_members(self, first_day: int, last_day: int) -> list[Member]: ...


class Stories:
    """The story of each article an indexing run writes, against the articles of the days
    around it: those stored (read from `stored` a range of days at a time, once) and those
    this run assigned."""

    def __init__(self, stored: LedeReader | None = None) -> None:
        self._stored = stored
        # Made at the first article (datasketch imports scipy, which an unchanged re-index,
        # assigning nothing, needn't wait for).
        self._index: MinHashLSH | None = None
        self._members: dict[str, tuple[Member, LeanMinHash]] = {}
        self._days_read: set[int] = set()

    def assign(self, key: str, published: str, hex_signature: str, source: str = "") -> str:
        """The story of the article `key`: that of the most similar article of another outlet
        within STORY_DAYS (the earlier, then the smaller key, on a tie), else its own."""
        day = story_day(published)
        minhash = minhash_of(hex_signature)
        story = own_story(key)
        if day is not None and minhash is not None:
            self._read_days(day - STORY_DAYS, day + STORY_DAYS)
            best = self._most_similar(key, day, minhash, source)
            if best is not None:  # one written without a story (an older newsdesk): its own
                story = best.story or own_story(best.key)
        self.remember(Member(key, day, story, hex_signature, source))
        return story

    def remember(self, member: Member) -> None:
        """Take `member` into account for the articles assigned after it."""
        if member.key in self._members:
            del self._members[member.key]
            self._lsh.remove(member.key)
        minhash = minhash_of(member.signature)
        if member.day is None or minhash is None:
            return
        self._members[member.key] = (member, minhash)
        self._lsh.insert(member.key, minhash)

    @property
    def _lsh(self) -> MinHashLSH:
        if self._index is None:
            from datasketch import MinHashLSH

            self._index = MinHashLSH(threshold=STORY_SIMILARITY, num_perm=PERMUTATIONS)
        return self._index

    def _most_similar(
        self, key: str, day: int, minhash: MinHash | LeanMinHash, source: str
    ) -> Member | None:
        found: list[tuple[float, int, str, Member]] = []
        for other in self._lsh.query(minhash):
            member, theirs = self._members[other]
            if other == key or member.day is None or abs(member.day - day) > STORY_DAYS:
                continue
            if source and member.source and source.casefold() == member.source.casefold():
                continue
            similarity = minhash.jaccard(theirs)
            if similarity >= STORY_SIMILARITY:
                found.append((-similarity, member.day, member.key, member))
        return min(found, key=lambda f: f[:3])[3] if found else None

    def _read_days(self, first: int, last: int) -> None:
        wanted = [day for day in range(first, last + 1) if day not in self._days_read]
        if not wanted or self._stored is None:
            return
        self._days_read.update(wanted)
        for member in self._stored.story_members(min(wanted), max(wanted)):
            if member.key not in self._members:
                self.remember(member)


@dataclass(frozen=True)
class ArticleText:
    """An article as a backfill reads it back from its chunks."""

    key: str
    published: str
    text: str
    source: str = ""


def assign_all(articles: Iterable[ArticleText]) -> dict[str, tuple[str, str]]:
    """Every article's (story, signature), assigned oldest first (then by key), as indexing
    them one by one in that order would: the same whatever order they are read in, so a
    backfill cut short and run again gives the same stories."""
    ordered: Sequence[ArticleText] = sorted(
        articles, key=lambda a: (story_day(a.published) is None, story_day(a.published) or 0, a.key)
    )
    stories = Stories()
    assigned = {}
    for article in ordered:
        hex_signature = signature(article.text)
        assigned[article.key] = (
            stories.assign(article.key, article.published, hex_signature, article.source),
            hex_signature,
        )
    return assigned
