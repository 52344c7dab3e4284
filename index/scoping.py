"""A chat's collections as the store and the keyword index filter by them, and the one-time
record of `main` on the chunks of a store built before collections.

Chroma can't filter on a key a chunk lacks, so a store from before collections is brought up
to date once, by the first indexing run or bot start of this version, under the store's
writer lock: every chunk without a collection gets `main` in its metadata (its vector is left
as it is), and the store's metadata says it is done (COLLECTIONS_KEY). Until then nothing in
it names a collection, so every chunk is `main`: a scope holding `main` needs no filter, and
one without it finds nothing. A read-only `newsdesk ask` so works on an old store without
writing to it."""

from __future__ import annotations

import logging
from typing import Any

from index.collections import DEFAULT_COLLECTION, Scope
from index.records import chunk_from
from index.store import COLLECTIONS_KEY, WRITE_BATCH, ArticleStore

log = logging.getLogger(__name__)


def collections_recorded(store: ArticleStore) -> bool:
    """Whether every chunk of the store carries its collection: read from the store until it
    is so, then known (it can't be undone), so a scoped question reads nothing more."""
    if not store.collections_known:
        store.collections_known = bool(store.stored_metadata().get(COLLECTIONS_KEY))
    return store.collections_known


def can_match(store: ArticleStore, scope: Scope) -> bool:
    """Whether the store may hold chunks of `scope`: not when it is from before collections
    (all `main`) and the scope leaves `main` out."""
    return scope is None or DEFAULT_COLLECTION in scope or collections_recorded(store)


def scope_filter(store: ArticleStore, scope: Scope) -> dict[str, Any] | None:
    """The Chroma filter for `scope` (where `can_match`): None, no filter at all, for every
    collection, and for a store from before collections (all `main`)."""
    if scope is None or not collections_recorded(store):
        return None
    return {"collection": {"$in": list(scope)}}


def record_collections(store: ArticleStore) -> int:
    """Give every chunk without a collection `main`, once (a writer's job: the caller holds
    the store's writer lock); returns how many chunks were given it."""
    if collections_recorded(store):
        return 0
    missing = [
        chunk_from(chunk_id, "", meta)
        for chunk_id, meta in store.all_metadata()
        if not meta.get("collection")
    ]
    for start in range(0, len(missing), WRITE_BATCH):
        store.update_metadata(missing[start : start + WRITE_BATCH])
    store.set_stored_metadata(COLLECTIONS_KEY, "1")
    if missing:
        log.info(
            "%s: %d chunks from before collections are in collection %r now",
            store.description,
            len(missing),
            DEFAULT_COLLECTION,
        )
    return len(missing)
