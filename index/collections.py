"""Collections: named sets of articles (`newsdesk index --collection NAME`), so a chat can be
scoped to some of them (Telegram's /sources). Every chunk carries its article's collection in
its store metadata; a chunk from before collections has none and is read as `main`.

A name is what an operator types and a chat member reads in /sources: short, lowercase
letters, digits, `-` and `_`, starting with a letter or digit. `all` is /sources' word for
every collection, so it is no collection's name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.errors import NewsdeskError

DEFAULT_COLLECTION = "main"
MAX_COLLECTION_CHARS = 40
# /sources' word for "no scope": every collection, the default.
ALL_COLLECTIONS = "all"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
SHOWN_CHARS = 60

# What retrieval and the catalog are given: None for every collection (no filter at all),
# else the names to keep to.
Scope = tuple[str, ...] | None


class CollectionNameError(NewsdeskError):
    """A collection name that can't be one; the message says why and what a name may hold."""


def check_collection_name(name: str) -> str:
    """The name as kept (stripped, lowercased), or CollectionNameError saying what is wrong."""
    cleaned = name.strip().lower()
    shown = cleaned if len(cleaned) <= SHOWN_CHARS else cleaned[: SHOWN_CHARS - 1] + "…"
    if not cleaned:
        raise CollectionNameError("a collection name can't be empty (the default is 'main')")
    if len(cleaned) > MAX_COLLECTION_CHARS:
        raise CollectionNameError(
            f"a collection name is at most {MAX_COLLECTION_CHARS} characters, not "
            f"{len(cleaned):,} ({shown!r})"
        )
    if not _NAME.fullmatch(cleaned):
        raise CollectionNameError(
            f"{shown!r} is not a collection name: use letters a-z, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    if cleaned == ALL_COLLECTIONS:
        raise CollectionNameError(
            f"{ALL_COLLECTIONS!r} means every collection, so it can't name one"
        )
    return cleaned


def scope_of(names: Iterable[str] | None) -> Scope:
    """The scope these names make, each checked; None (every collection) for none."""
    if names is None:
        return None
    checked = sorted({check_collection_name(name) for name in names})
    return tuple(checked) if checked else None


def collection_of(metadata: object) -> str:
    """A chunk's collection from its store metadata: `main` for a chunk from before
    collections, which has none."""
    value = metadata.get("collection") if isinstance(metadata, dict) else None
    return str(value) if value else DEFAULT_COLLECTION
