"""The steps of hybrid retrieval, each a small function of its own, in the order
`ChunkRetriever` runs them:

1. `gather_candidates`: the nearest chunks from Chroma and the best BM25 matches.
2. `drop_future`: asked "as of" a date, what was published after it didn't exist yet.
3. `fuse`: reciprocal-rank fusion of the candidate lists.
4. `weight_recency`: news questions are mostly about recent events.
5. `space`: the best chunks, none inside a better one's passage.
6. `scored_document`: a chunk as a Document with its similarity, relevance and fused score.
7. `widen`: each found chunk with its neighbours (after its article's lede) as one passage.

All but the first are pure. The constants were chosen on the dev bench: see BENCHMARKS.md,
"Choosing the fusion, recency and passage width", for the figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Protocol, TypeVar, runtime_checkable

from langchain_core.documents import Document

from bot.answering.time_window import TimeWindow
from index.chunking import Chunk, Located
from index.collections import Scope
from index.scoping import can_match, scope_filter
from index.store import ArticleStore

# Reciprocal-rank fusion: score = sum over the lists of weight / (RRF_K + rank).
RRF_K = 60
DENSE_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
CANDIDATES = 100
# A passage published `age` days before the question has its fused score multiplied by
# 1 + RECENCY_WEIGHT * exp(-age / RECENCY_DAYS). Multiplied, not added: a fresh passage that
# only one retriever found, far down its list, can't overtake the one both rank first.
RECENCY_WEIGHT = 1.0
RECENCY_DAYS = 10.0
# One day of slack for time zones when leaving out what was published after "as of".
FUTURE_SLACK_DAYS = 1
# Small to big: chunks are ranked, but each is returned with this many chunks on either side
# of it in its article, as one passage (the found chunk often sets the scene and the next one
# names who or what).
NEIGHBOURS = 1
# A news article says who, what and where in its first paragraph (the lede), so a passage that
# doesn't start at the top of its article is shown after the article's first chunk.
LEDES = True


Where = TypeVar("Where", Located, Chunk)


@runtime_checkable  # a field of the pydantic `ChunkRetriever`, which checks what it is given
class KeywordLookup(Protocol):
    """What retrieval reads from the keyword index (`index.keyword.KeywordSearch`), and
    nothing that writes to it: `search`, up to k (chunk id, BM25 score) pairs best first,
    of `collections` alone if given (a chat's scope); `locate`, where the chunks it holds
    sit; `ids_around`, a passage's chunks around each given one, or None if it doesn't
    hold every given chunk (then the store is asked)."""

    def search(self, query: str, k: int, collections: Scope = None) -> list[tuple[str, float]]: ...

    def locate(self, ids: Sequence[str]) -> dict[str, Located]: ...

    def ids_around(
        self, chunks: Sequence[Chunk], reach: int, ledes: bool = False
    ) -> list[str] | None: ...


@dataclass
class Candidates:
    """What the two retrievers found: where every candidate chunk sits and when it was
    published (by id), the cosine similarity of those the vector search found, and each
    retriever's ids, best first. The chunks themselves are read only for the few kept."""

    located: dict[str, Located]
    similarity: dict[str, float]
    dense_ids: list[str]
    keyword_ids: list[str]


def gather_candidates(
    store: ArticleStore,
    keyword: KeywordLookup | None,
    query: str,
    vector: Sequence[float],
    dense_count: int,
    keyword_count: int,
    collections: Scope = None,
) -> Candidates:
    """The nearest chunks from the store and the best BM25 matches (read from the keyword
    index as it is: keeping it in step is the indexer's job, never a question's). Where each
    sits comes from the keyword index, which holds it for every chunk, and from the store only
    for those the keyword index doesn't know yet: reading a hundred candidates' metadata from
    Chroma was a third of retrieval (BENCHMARKS.md, "A new machine, one text a run for fp32
    too, and reading only what is kept"). With `collections` (a chat's scope), both searches
    keep to those collections; without, neither filters at all."""
    if not can_match(store, collections):
        return Candidates({}, {}, [], [])
    dense = store.nearest(vector, dense_count, scope_filter(store, collections))
    keyword_hits = keyword.search(query, keyword_count, collections) if keyword else []
    keyword_ids = [chunk_id for chunk_id, _ in keyword_hits]
    wanted = list(dict.fromkeys([*(chunk_id for chunk_id, _ in dense), *keyword_ids]))
    located = keyword.locate(wanted) if keyword else {}
    missing = [chunk_id for chunk_id in wanted if chunk_id not in located]
    located.update((chunk.id, Located.of(chunk)) for chunk in store.get_chunks(missing))
    # A chunk removed since the search (another process re-indexing) is no candidate.
    dense_ids = [chunk_id for chunk_id, _ in dense if chunk_id in located]
    return Candidates(
        located,
        dict(dense),
        dense_ids,
        [chunk_id for chunk_id in keyword_ids if chunk_id in located],
    )


def day_number(published: str) -> int | None:
    """An ISO date (what the loaders normalize to) as a day number, else None."""
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def written_by(day: int | None, as_of: int) -> bool:
    """Whether what was published on `day` existed on day `as_of`, with a day of slack; an
    undated passage is taken to have. The one rule, whichever retriever found the passage."""
    return (day or 0) <= as_of + FUTURE_SLACK_DAYS


def drop_future(
    located: Mapping[str, Where], published: Mapping[str, int | None], as_of: int
) -> dict[str, Where]:
    """The candidates published by day `as_of` (`written_by`)."""
    return {i: c for i, c in located.items() if written_by(published[i], as_of)}


def within(
    located: Mapping[str, Where], published: Mapping[str, int | None], window: TimeWindow
) -> dict[str, Where]:
    """The candidates published inside the window's span: dates given explicitly are a
    filter, so an undated one, which can't be shown to be inside, is left out too."""
    return {
        i: c
        for i, c in located.items()
        if published[i] is not None and window.holds(date.fromordinal(published[i] or 1))
    }


def fuse(ranked_lists: Sequence[tuple[Sequence[str], float]]) -> dict[str, float]:
    """Reciprocal-rank fusion of (ids best first, weight) lists, in order of first sight."""
    fused: dict[str, float] = {}
    for ids, weight in ranked_lists:
        for rank, chunk_id in enumerate(ids, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank)
    return fused


def weight_recency(
    fused: Mapping[str, float],
    published: Mapping[str, int | None],
    today: int,
    weight: float = RECENCY_WEIGHT,
) -> dict[str, float]:
    """Each score times 1 + weight · e^(−age / RECENCY_DAYS); undated chunks unchanged."""
    weighted = dict(fused)
    for chunk_id, score in fused.items():
        day = published[chunk_id]
        if day is not None:
            age = max(0, today - day)
            weighted[chunk_id] = score * (1 + weight * math.exp(-age / RECENCY_DAYS))
    return weighted


def best_first(scores: Mapping[str, float]) -> list[str]:
    """The ids by score, best first; ties keep their order."""
    return sorted(scores, key=lambda i: scores[i], reverse=True)


def space(
    ranked: Sequence[str],
    chunks: Mapping[str, Located | Chunk],
    keep: int,
    neighbours: int = NEIGHBOURS,
) -> list[str]:
    """The first `keep` chunk ids, skipping any that a better one's passage includes."""
    taken: dict[str, list[int]] = {}
    kept: list[str] = []
    for chunk_id in ranked:
        if len(kept) == keep:
            break
        chunk = chunks[chunk_id]
        near = taken.setdefault(chunk.article_key, [])
        if any(abs(chunk.position - p) <= neighbours for p in near):
            continue
        near.append(chunk.position)
        kept.append(chunk_id)
    return kept


# Two found chunks of different articles sharing this share of their 5-word shingles, published
# within WIRE_DAYS of each other, are one story carried by two outlets (wire copy): the second
# is left out and named beside the first. Weeks apart, the same words are a template (a weekly
# report), not a copy.
WIRE_SIMILARITY = 0.5
WIRE_DAYS = 3
SHINGLE_WORDS = 5


def shingles(text: str) -> frozenset[int]:
    """The text's runs of SHINGLE_WORDS words, lowercased, hashed."""
    words = text.lower().split()
    if not words:
        return frozenset()
    return frozenset(
        hash(" ".join(words[i : i + SHINGLE_WORDS]))
        for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
    )


def one_per_story(documents: Sequence[Document]) -> list[Document]:
    """The documents, best first, with each near-copy of a better one's text from another
    article (WIRE_SIMILARITY of shingles) left out; the one kept lists in its `also` metadata
    where else the story ran (source, else title)."""
    kept: list[tuple[Document, frozenset[int], list[str]]] = []
    for document in documents:
        own = shingles(document.page_content)
        article = document.metadata.get("article_key")
        day = day_number(str(document.metadata.get("published") or ""))
        for better, theirs, also in kept:
            if better.metadata.get("article_key") == article or not own or not theirs:
                continue
            other_day = day_number(str(better.metadata.get("published") or ""))
            if day is not None and other_day is not None and abs(day - other_day) > WIRE_DAYS:
                continue
            if len(own & theirs) / len(own | theirs) >= WIRE_SIMILARITY:
                outlet = str(document.metadata.get("source") or document.metadata.get("title"))
                if outlet and outlet not in also:
                    also.append(outlet)
                break
        else:
            kept.append((document, own, []))
    return [
        Document(page_content=doc.page_content, metadata={**doc.metadata, "also": also})
        if also
        else doc
        for doc, _, also in kept
    ]


def story_of(document: Document) -> str:
    """The story a found chunk's article belongs to (index/stories.py), its article for one
    stored before stories."""
    return str(document.metadata.get("story") or document.metadata.get("article_key") or "")


def one_per_indexed_story(documents: Sequence[Document]) -> list[Document]:
    """The documents, best first, with those of another article of a story a better one is of
    left out (the stories grouped at index time: another outlet's copy); the better one lists
    in `also` the outlets left out. Passages of one article stay, as without stories."""
    first: dict[str, Document] = {}
    also: dict[str, list[str]] = {}
    kept: list[Document] = []
    for document in documents:
        story = story_of(document)
        better = first.setdefault(story, document)
        if better.metadata.get("article_key") == document.metadata.get("article_key"):
            kept.append(document)
            also.setdefault(story, list(better.metadata.get("also", [])))
        else:
            _add_outlet(also[story], document.metadata, better.metadata)
    return [
        Document(page_content=d.page_content, metadata={**d.metadata, "also": also[story_of(d)]})
        if also[story_of(d)]
        else d
        for d in kept
    ]


def _add_outlet(also: list[str], other: Mapping[str, object], own: Mapping[str, object]) -> None:
    """Name the other article's outlet (source, else title) once, and never the kept one's."""
    outlet = str(other.get("source") or other.get("title") or "")
    if outlet and outlet not in also and outlet != str(own.get("source") or ""):
        also.append(outlet)


def scored_document(chunk: Chunk, similarity: float, relevance: float, score: float) -> Document:
    """A found chunk as a Document: its own text, and its fields, cosine `similarity`,
    `relevance` and fused `score` in the metadata."""
    metadata = {**asdict(chunk), "similarity": similarity, "relevance": relevance, "score": score}
    del metadata["signature"]  # the article's MinHash, of no use to an answer
    return Document(page_content=chunk.text, metadata=metadata)


def chunk_of(document: Document) -> Chunk:
    """The found chunk a `scored_document` was made from."""
    fields = Chunk.__dataclass_fields__
    return Chunk(**{name: document.metadata[name] for name in fields if name in document.metadata})


def passage_places(chunk: Chunk, reach: int, ledes: bool) -> list[int]:
    """The positions, in its article, of the chunks a found chunk's passage may add: its lede
    first (if `ledes` and the passage doesn't reach the top), then its neighbours."""
    places = [chunk.position + offset for offset in range(-reach, reach + 1) if offset]
    if ledes and chunk.position - reach > 0:
        places.insert(0, 0)
    return places


def widen(
    found: Sequence[Chunk], around: Sequence[Chunk], reach: int, ledes: bool
) -> list[list[Chunk]]:
    """Each found chunk's passage, in article order: it and the chunks of `around` at its
    `passage_places`. A chunk already in a better passage (or found itself) isn't repeated,
    and only chunks of the same version of the article are joined."""
    by_place = {(chunk.article_key, chunk.position): chunk for chunk in around}
    used: set[str] = {chunk.id for chunk in found}
    passages = []
    for chunk in found:
        passage_chunks = [chunk]
        for position in passage_places(chunk, reach, ledes):
            part = by_place.get((chunk.article_key, position))
            if part and part.id not in used and part.article_hash == chunk.article_hash:
                used.add(part.id)
                passage_chunks.append(part)
        passage_chunks.sort(key=lambda part: part.position)
        passages.append(passage_chunks)
    return passages
