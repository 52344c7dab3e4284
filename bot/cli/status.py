"""`newsdesk status`: what this home holds and what it runs on, for an operator's first look
and for a support request. It reads only: a home with nothing yet creates nothing."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bot.redaction import Redactor
from bot.settings import Settings
from bot.wiring.state import open_state
from bot.wiring.stores import open_article_store
from index.backends import DEFAULT_BACKEND
from index.records import Overview
from index.store import ArticleStore


def status_command(settings: Settings, redact: Redactor) -> int:
    store = open_store_if_any(settings)
    lines = [
        f"index:      {describe_index(settings, store)}",
        f"model:      {describe_model(settings, store)}",
        f"LLM:        {describe_llm(settings)}",
        f"database:   {describe_database(settings)}",
        f"job queue:  {describe_queue(settings)}",
        f"home:       {settings.home}",
    ]
    print(redact("\n".join(lines)))
    return 0


def open_store_if_any(settings: Settings) -> ArticleStore | None:
    """The configured store; None for an embedded one not created yet (opening would)."""
    if settings.chroma_host is None and not settings.chroma_dir.exists():
        return None
    return open_article_store(settings)


def describe_index(settings: Settings, store: ArticleStore | None) -> str:
    if store is None:
        return describe_overview(Overview(articles=0, chunks=0, latest_published=""))
    overview = store.overview()
    where = (
        f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else f"embedded Chroma in {settings.chroma_dir}"
    )
    return f"{describe_overview(overview)}; {where}, collection {settings.collection}"


def describe_overview(overview: Overview) -> str:
    if overview.chunks == 0:
        return "empty: nothing indexed yet (`newsdesk index FILE_OR_FOLDER_OR_URL`)"
    held = f"{_count(overview.articles, 'article')} in {_count(overview.chunks, 'chunk')}"
    if not overview.latest_published:
        return f"{held}, none dated"
    return f"{held}, published {overview.earliest_published} to {overview.latest_published}"


def describe_model(settings: Settings, store: ArticleStore | None) -> str:
    """The model, and the backend: "auto" is the index's own, or the default for a new one."""
    backend = settings.embedding_backend
    if backend == "auto":
        recorded = store.recorded_embedding() if store is not None else None
        backend = f"auto: {recorded}" if recorded else f"auto: {DEFAULT_BACKEND} for a new index"
    return f"{settings.embedding_model} ({backend})"


def describe_llm(settings: Settings) -> str:
    if not settings.llm:
        return "none: extractive answers from the passages (set NEWSDESK_LLM for an LLM)"
    if settings.llm_base_url:
        return f"{settings.llm} at {settings.llm_base_url}"
    return settings.llm


def describe_database(settings: Settings) -> str:
    if settings.database_url_setting is None:
        file = settings.default_database_file
        return f"SQLite {file}" if file.exists() else f"SQLite {file} (not created yet)"
    return make_url(settings.database_url).render_as_string(hide_password=True)


def describe_queue(settings: Settings) -> str:
    if settings.database_url_setting is None and not settings.default_database_file.exists():
        return "no jobs yet"
    depth = open_state(settings).jobs.depth()
    return f"{depth['queued']} queued, {depth['running']} running"


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"
