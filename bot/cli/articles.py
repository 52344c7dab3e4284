"""`newsdesk articles list|show|rm`: the indexed articles, one article, and removing one
(`index.catalog`). Opens the store, and for rm the keyword index; never the model."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings
from bot.wiring.stores import open_article_store, open_keyword_index
from index.catalog import (
    ArticleSummary,
    article_text,
    find_article,
    list_page,
    remove_article,
)
from index.collections import scope_of
from index.store import ArticleStore

EMPTY_INDEX = "the index is empty: add articles with `newsdesk index FILES_OR_FOLDERS`"


def articles_command(settings: Settings, args: argparse.Namespace) -> int:
    store = open_article_store(settings)
    if args.action == "list":
        return _list(store, args)
    if not args.id:
        raise CommandError(
            f"`newsdesk articles {args.action}` needs the article's id "
            "(see `newsdesk articles list`)"
        )
    article = find_article(store, args.id)
    if args.action == "show":
        return _show(store, article, args.chars, as_json=args.json)
    return _remove(settings, store, article, dry_run=args.dry_run)


def _as_json(article: ArticleSummary) -> dict[str, Any]:
    fields = asdict(article)
    fields.pop("chunk_ids")
    return {**fields, "chunks": article.chunks}


def _list(store: ArticleStore, args: argparse.Namespace) -> int:
    collections = scope_of(args.collection)
    page = list_page(
        store, page=args.page, per_page=args.per_page, search=args.search, collections=collections
    )
    if args.json:
        found = [_as_json(article) for article in page.articles]
        print(
            json.dumps(
                {"page": page.page, "pages": page.pages, "total": page.total, "articles": found},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not page.total and not page.search and collections is None:
        print(EMPTY_INDEX)
        return 0
    print(page.heading())
    for article in page.articles:
        print(article.line())
    if page.page < page.pages:
        print(f"next: --page {page.page + 1}")
    return 0


def _story(store: ArticleStore, article: ArticleSummary) -> str:
    """The article's story id, and the other outlets that ran it."""
    if not article.story:
        return "- (given at the next indexing run)"
    others = [
        outlet or key
        for key, outlet, _ in store.story_outlets([article.story]).get(article.story, [])
        if key != article.key
    ]
    return article.story + (f" (also: {', '.join(others)})" if others else "")


def _show(store: ArticleStore, article: ArticleSummary, chars: int, *, as_json: bool) -> int:
    text = article_text(store, article)
    start = text[:chars] + ("…" if len(text) > chars else "")
    if as_json:
        print(
            json.dumps(
                {**_as_json(article), "text_start": start, "text_chars": len(text)},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    details = [
        ("id", article.id),
        ("title", article.title or "(untitled)"),
        ("published", article.published or "-"),
        ("source", article.source or "-"),
        ("url", article.url or "-"),
        ("key", article.key),
        ("from", article.origin or "-"),
        ("story", _story(store, article)),
        ("chunks", str(article.chunks)),
        ("characters", str(len(text))),
    ]
    print("\n".join(f"{name + ':':<12}{value}" for name, value in details))
    print()
    print(start)
    return 0


def _remove(
    settings: Settings, store: ArticleStore, article: ArticleSummary, *, dry_run: bool
) -> int:
    what = f"{article.id} {article.title or '(untitled)'!r} ({article.chunks} chunks)"
    if dry_run:
        print(f"would remove {what} from the vector store and the keyword index")
        return 0
    keyword = open_keyword_index(settings)

    def waiting(line: str) -> None:
        print(f"newsdesk: {line}", file=sys.stderr)

    removed = remove_article(store, keyword.sync, article, waiting)
    print(
        f"removed {article.id} {article.title or '(untitled)'!r}: {removed} chunks from the "
        "vector store and the keyword index"
    )
    if article.origin and not article.origin.startswith("feed:") and os.path.exists(article.origin):
        print(
            f"its source {article.origin} is still there: the next `newsdesk index` of it "
            "indexes it again"
        )
    return 0
