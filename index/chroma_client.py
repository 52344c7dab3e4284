"""Opening the Chroma collection: an embedded store (a PersistentClient on a folder, with its
writer lock, and a way to open a new client when another process changed the store) or a
Chroma server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.store import ArticleStore, StoreError
from index.writer_lock import WAIT_SECONDS, WriterLock, setting_up


def open_store(
    collection: str,
    *,
    path: Path | None = None,
    host: str | None = None,
    port: int = 8000,
    writer_wait_seconds: float = WAIT_SECONDS,
) -> ArticleStore:
    """An embedded Chroma under `path`, or the Chroma server at `host:port` when host is set:
    a client of it, and the collection, created if missing. `writer_wait_seconds`: how long an
    indexing run waits for another process's run to finish writing to an embedded store
    (index/writer_lock.py)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client_settings = ChromaSettings(anonymized_telemetry=False)
    lock: WriterLock | None = None
    try:
        if host:
            description = f"Chroma server at {host}:{port}"
            client = chromadb.HttpClient(host=host, port=port, settings=client_settings)
        elif path is not None:
            description = f"Chroma at {path}"
            path.mkdir(parents=True, exist_ok=True)
            lock = WriterLock(path, writer_wait_seconds)
            with setting_up(path):
                client = chromadb.PersistentClient(path=str(path), settings=client_settings)
        else:
            raise StoreError("no store configured: set NEWSDESK_HOME or NEWSDESK_CHROMA_HOST")
        handle = _open_collection(client, collection, lock)
    except StoreError:
        raise
    except Exception as error:  # chromadb raises plain ValueError/ConnectionError/etc.
        raise StoreError(f"could not open {description}: {error}") from error

    def reopen() -> Any:
        return client.get_collection(collection, embedding_function=None)

    def reconnect() -> Any:
        """The collection through a new client of the embedded store: Chroma keeps one
        client state per folder and process, so the cached one is dropped first (the old
        client goes on serving the calls in flight, then is collected)."""
        nonlocal client
        from chromadb.api.shared_system_client import SharedSystemClient

        assert path is not None  # only an embedded store reconnects
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        with setting_up(path):
            client = chromadb.PersistentClient(path=str(path), settings=client_settings)
        return reopen()

    if lock is None:
        return ArticleStore(handle, description, reopen)
    return ArticleStore(handle, description, reopen, reconnect=reconnect, writer_lock=lock)


def _open_collection(client: Any, collection: str, lock: WriterLock | None) -> Any:
    """The collection, created if missing: under the writer lock for an embedded store, since
    two processes creating it at once can each make one and one's chunks are lost."""
    if lock is None:
        return client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
    try:
        return client.get_collection(collection, embedding_function=None)
    except Exception:  # chromadb's NotFoundError, or a ValueError in older versions
        pass
    with lock.held():  # another process may have created it meanwhile: then this gets it
        return client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
