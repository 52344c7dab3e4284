"""Articles from web pages and from RSS/Atom feeds, fetched through the checks in fetch.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin

from index.articles import Article, LoadProblem, normalize_date
from index.ingest.feeds import FeedListError
from index.ingest.fetch import FEED_TYPES, HTML_TYPES, FetchError, FetchPolicy, fetch
from index.ingest.loaders import Loaded, article_from_html
from index.ingest.polling import EntryFailure, EntryRetries, PollDeadline, failed_again

FEED_ORIGIN_PREFIX = "feed:"
# Entries read per feed per poll (feeds list newest first): a feed of thousands of entries,
# hostile or not, must not make one poll fetch thousands of pages.
MAX_FEED_ENTRIES = 100


def is_url(text: str) -> bool:
    """Whether a command-line source is meant as a URL rather than a path."""
    return "://" in text


def feed_origin(feed_url: str) -> str:
    return FEED_ORIGIN_PREFIX + feed_url


def load_url(url: str, policy: FetchPolicy) -> Loaded:
    """One article from a web page; its identity is the URL as given."""
    try:
        page = fetch(url, HTML_TYPES, policy)
    except FetchError as error:
        return LoadProblem(url, str(error), origin=url)
    loaded = article_from_html(page.body, where=url, key=url, default_title=url, url=page.url)
    return replace(loaded, origin=url)


@dataclass(frozen=True)
class FeedCheck:
    """What one fetch of a feed showed: its title and how many entries it lists."""

    title: str
    entries: int


def check_feed(feed_url: str, policy: FetchPolicy) -> FeedCheck:
    """Fetch the feed once and read it: FetchError if it can't be fetched, FeedListError if
    what came back is not an RSS or Atom feed with entries. An operator adding a feed hears
    at once that the URL is wrong, not at the first poll."""
    import feedparser

    parsed = feedparser.parse(fetch(feed_url, FEED_TYPES, policy).body)
    if not parsed.entries:
        raise FeedListError(_not_a_feed(parsed))
    title = str(parsed.feed.get("title", "")).strip()
    return FeedCheck(title=title, entries=len(parsed.entries))


def _not_a_feed(parsed: Any) -> str:
    reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
    detail = f" ({reason})" if reason else ""
    return f"not an RSS or Atom feed with entries{detail}"


def load_feed(
    feed_url: str,
    policy: FetchPolicy,
    already_indexed: Callable[[str], bool],
    *,
    deadline: PollDeadline | None = None,
    retries: EntryRetries | None = None,
) -> Iterator[Loaded]:
    """The articles behind a feed's entries. Each entry's guid (else its link) is its identity.
    Entries already indexed are not fetched again: news pages rarely change once published,
    and refetching a whole feed every poll would hammer the sites. Nothing is fetched past
    the poll's `deadline`, and an entry that failed waits its turn in `retries` (polling.py)."""
    import feedparser

    origin = feed_origin(feed_url)
    if deadline is not None:
        if deadline.passed():
            yield LoadProblem(feed_url, deadline.reason("this feed and its entries"), origin)
            return
        policy = deadline.cut(policy)
    try:
        body = fetch(feed_url, FEED_TYPES, policy).body
    except FetchError as error:
        yield LoadProblem(feed_url, str(error), origin=origin)
        return
    parsed = feedparser.parse(body)
    if not parsed.entries:
        yield LoadProblem(feed_url, _not_a_feed(parsed), origin=origin)
        return
    feed_title = str(parsed.feed.get("title", "")).strip()
    for position, entry in enumerate(parsed.entries[:MAX_FEED_ENTRIES], start=1):
        link = urljoin(feed_url, str(entry.get("link", "")).strip()) if entry.get("link") else ""
        identity = str(entry.get("id", "")).strip() or link
        if not identity:
            yield LoadProblem(f"{feed_url} entry {position}", "has neither guid nor link", origin)
            continue
        if already_indexed(identity):
            continue
        if not link:
            yield LoadProblem(identity, "the feed entry has no link to fetch", origin)
            continue
        before = retries.get(identity) if retries is not None else None
        if before is not None and before.retry_at > time.time():
            continue  # failed before: not yet its turn
        if deadline is not None and deadline.passed():
            yield LoadProblem(feed_url, deadline.reason("the rest of its entries"), origin)
            return
        entry_policy = deadline.cut(policy) if deadline is not None else policy
        loaded = _entry_article(entry, identity, link, feed_title, entry_policy, origin)
        if retries is not None:
            loaded = _recorded(retries, identity, before, loaded)
        yield loaded


def _recorded(
    retries: EntryRetries, identity: str, before: EntryFailure | None, loaded: Loaded
) -> Loaded:
    """An entry's outcome, on record: a failure with when it is tried again (in the reason
    too), a success forgetting the failures before it."""
    if isinstance(loaded, Article):
        if before is not None:
            retries.forget(identity)
        return loaded
    failure = failed_again(before, time.time())
    wait = (failure.retry_at - time.time()) / 60
    reason = f"{loaded.reason} (failed {failure.failures}x; tried again in {wait:.0f} min)"
    retries.failed(identity, failure, loaded.reason)
    return replace(loaded, reason=reason)


def _entry_article(
    entry: dict[str, object],
    identity: str,
    link: str,
    feed_title: str,
    policy: FetchPolicy,
    origin: str,
) -> Loaded:
    try:
        page = fetch(link, HTML_TYPES, policy)
    except FetchError as error:
        return LoadProblem(link, str(error), origin)
    title = str(entry.get("title", "")).strip() or link
    loaded = article_from_html(page.body, where=link, key=identity, default_title=title, url=link)
    if isinstance(loaded, LoadProblem):
        return replace(loaded, origin=origin)
    published = loaded.published or _entry_date(entry)
    return replace(
        loaded,
        source=loaded.source or feed_title,
        published=published,
        origin=origin,
        url=loaded.url or link,
    )


def _entry_date(entry: dict[str, object]) -> str:
    for field in ("published_parsed", "updated_parsed"):
        stamp = entry.get(field)
        if isinstance(stamp, time.struct_time):
            return time.strftime("%Y-%m-%d", stamp)
    return normalize_date(entry.get("published") or entry.get("updated"))
