"""Per-chat sources in the shared database (SQLite and Postgres): a chat's scope chosen,
replaced and reset, kept apart from other chats, bad names and too many refused with nothing
changed; feeds keep their collection (migration 0005)."""

from __future__ import annotations

import pytest

from bot.state.database import open_database
from bot.state.feeds import FeedRecords
from bot.state.sources import MAX_SCOPED_COLLECTIONS, ChatSources
from index.collections import CollectionNameError

CHAT, OTHER = -1001, 222


def test_a_chats_scope_is_chosen_replaced_and_reset(database_url: str) -> None:
    sources = ChatSources(open_database(database_url))
    assert sources.scope(CHAT) is None  # every collection, by default
    assert sources.choose(CHAT, ["Wire", "arabic", "wire"]) == ("arabic", "wire")
    assert sources.scope(CHAT) == ("arabic", "wire")
    assert sources.scope(OTHER) is None
    assert sources.choose(OTHER, ["main"]) == ("main",)
    assert sources.choose(CHAT, ["main"]) == ("main",)  # replaced, not added to
    assert sources.scoped_chats() == {CHAT: ("main",), OTHER: ("main",)}
    assert sources.choose(CHAT, []) is None
    assert sources.scope(CHAT) is None and sources.scoped_chats() == {OTHER: ("main",)}


@pytest.mark.parametrize(
    "names",
    [
        ["arabic", ""],
        ["x" * 10_000],
        ["a\x00b"],
        ["all"],
        [f"c{n}" for n in range(MAX_SCOPED_COLLECTIONS + 1)],
    ],
)
def test_bad_names_change_nothing(database_url: str, names: list[str]) -> None:
    sources = ChatSources(open_database(database_url))
    sources.choose(CHAT, ["wire"])
    with pytest.raises(CollectionNameError):
        sources.choose(CHAT, names)
    assert sources.scope(CHAT) == ("wire",)


def test_a_feed_keeps_its_collection(database_url: str) -> None:
    feeds = FeedRecords(open_database(database_url))
    assert feeds.add("https://example.org/rss", "Arabic")
    assert feeds.add("https://example.org/atom")
    with pytest.raises(CollectionNameError):
        feeds.add("https://example.org/other", "no such/name")
    polled = feeds.polled()
    assert polled.feeds == ["https://example.org/rss", "https://example.org/atom"]
    assert polled.feed_collections == {"https://example.org/rss": "arabic"}
    assert polled.poll_feeds
