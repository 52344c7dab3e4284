"""Stories for a store indexed before them (index/stories.py): every article's story and
signature worked out once from its stored chunks' texts, and written into their metadata,
without embedding anything. Recorded in the collection when done, so it runs once; cut short,
the next run does it again from the start and, the assignment being the same whatever the
order read, writes the same stories."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from index.chunking import Chunk, join_chunks
from index.store import ArticleStore
from index.stories import ArticleText, assign_all


def backfill_stories(store: ArticleStore) -> int:
    """Give the store's articles their stories if it doesn't record having them; returns how
    many articles were given one (0 when there was nothing to do)."""
    if store.stories_recorded():
        return 0
    if store.count() == 0:  # a new store: its articles get their stories as they are indexed
        store.record_stories()
        return 0
    by_article: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in store.all_chunks():
        by_article[chunk.article_key].append(chunk)
    assigned = assign_all(
        ArticleText(key, chunks[0].published, join_chunks(chunks), chunks[0].source)
        for key, chunks in by_article.items()
    )
    updated = [
        replace(chunk, story=story, signature=signature if chunk.position == 0 else "")
        for key, chunks in by_article.items()
        for story, signature in [assigned[key]]
        for chunk in chunks
    ]
    store.update_metadata(updated)
    store.record_stories()
    return len(by_article)
