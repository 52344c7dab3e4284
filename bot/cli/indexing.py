"""`newsdesk index` and `newsdesk feeds`: the operator's commands, and the sample article a
fresh home is started with."""

from __future__ import annotations

import argparse
import sys

from bot.cli.errors import CommandError
from bot.cli.progress import IndexProgress
from bot.redaction import Redactor
from bot.settings import Settings
from bot.wiring.indexing import build_indexer, fetch_policy
from bot.wiring.state import open_state
from bot.wiring.stores import open_article_store
from index.articles import SUPPORTED_SUFFIXES
from index.collections import DEFAULT_COLLECTION
from index.ingest.feeds import FeedListError, check_feed_url
from index.ingest.fetch import FetchError
from index.ingest.sources import Sources
from index.ingest.web import check_feed
from index.pipeline import IndexSummary
from index.store import ArticleStore


def run_index(
    settings: Settings,
    sources: Sources,
    redact: Redactor,
    *,
    prune: bool = False,
    quiet: bool = False,
    store: ArticleStore | None = None,
) -> IndexSummary:
    # Only a feed poll needs the shared state: failed entries wait there for their turn.
    retries = open_state(settings).feed_entry_failures if sources.feeds else None
    indexer = build_indexer(settings, store=store, entry_retries=retries)
    loaded = list(indexer.load(sources))  # read first, so that progress has a total
    progress = IndexProgress(len(loaded), sys.stderr, quiet=quiet)
    try:
        summary = indexer.run(sources, prune=prune, progress=progress, loaded=loaded)
    finally:
        progress.close()
    for problem in summary.problems:  # a URL may carry a password
        print(redact(f"skipped {problem}"), file=sys.stderr)
    return summary


def index_command(settings: Settings, args: argparse.Namespace, redact: Redactor) -> int:
    sources = Sources.parse(args.sources, args.include, args.collection)
    if args.feeds:
        polled = open_state(settings).feeds.polled()
        sources.feeds, sources.poll_feeds = polled.feeds, True
        sources.feed_collections = polled.feed_collections
    if sources.is_empty():
        if args.feeds:
            raise CommandError("no feeds are listed yet: add one with `newsdesk feeds add URL`")
        raise CommandError("give files, folders or URLs to index, or --feeds")
    summary = run_index(settings, sources, redact, prune=args.prune, quiet=args.quiet)
    print(summary.describe())
    if summary.articles_read == 0 and not summary.problems and not args.feeds:
        # An empty folder, or files of no kind we read: success would hide the mistake.
        named = ", ".join(redact(str(item)) for item in args.sources)
        kinds = " ".join(SUPPORTED_SUFFIXES)
        raise CommandError(f"found no articles in {named} (the files read are {kinds})")
    return 1 if summary.problems else 0


def feeds_command(
    settings: Settings,
    action: str,
    url: str | None,
    redact: Redactor,
    collection: str | None = None,
) -> int:
    feeds = open_state(settings).feeds
    if collection is not None and action != "add":
        raise CommandError("--collection goes with `newsdesk feeds add`")
    if action == "list":
        listed, collections = feeds.urls(), feeds.collections()
        lines = [f"{url}  ({collections[url]})" if url in collections else url for url in listed]
        print("\n".join(lines) if lines else "no feeds yet: add one with `newsdesk feeds add URL`")
        return 0
    if not url:
        raise CommandError(f"`newsdesk feeds {action}` needs the feed's URL")
    if action == "add":
        url = check_feed_url(url)  # its shape first: nothing is fetched for a typo
        try:
            feed = check_feed(url, fetch_policy(settings))
        except (FetchError, FeedListError) as error:
            raise CommandError(f"{redact(url)} was not added: {redact(str(error))}") from None
        if not feeds.add(url, collection):
            print(f"{redact(url)} is listed")
            return 0
        named = f"'{feed.title}'" if feed.title else "the feed"
        print(
            f"added {redact(url)}: {named}, {feed.entries} entries now, into collection "
            f"{collection or DEFAULT_COLLECTION}; `newsdesk index --feeds` polls it"
        )
        return 0
    if feeds.remove(url):
        print(f"removed {url}; `newsdesk index --feeds --prune` removes its articles")
        return 0
    raise CommandError(f"{url} is not in the feed list (see `newsdesk feeds list`)")


def ensure_sample(settings: Settings, redact: Redactor) -> ArticleStore:
    """The configured store, with the sample articles indexed into it if it is empty."""
    store = open_article_store(settings)
    if store.count() == 0 and settings.sample_dir.exists():
        print(
            f"newsdesk: empty index; indexing the sample articles in {settings.sample_dir}",
            file=sys.stderr,
        )
        sample = Sources(paths=[settings.sample_dir])
        summary = run_index(settings, sample, redact, quiet=True, store=store)
        print(summary.describe(), file=sys.stderr)
    return store
