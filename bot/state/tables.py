"""The tables, as SQLAlchemy Core: every statement in this package is built from them. A
change here is a new migration in `migrations/versions`."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

METADATA = MetaData()
# A client's language as kept: an ISO 639 code (bot/state/follows.py, clean_language).
LANGUAGE_CHARS = 8

answers = Table(
    "answers",
    METADATA,
    # A random 63-bit id, so answers made by different replicas never share one.
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger),
    Column("user_id", BigInteger),
    Column("asked_at", Float, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer_json", Text, nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("prompt_version", String(64), nullable=False),
    Index("answers_asked_at", "asked_at"),
)

feedback = Table(
    "feedback",
    METADATA,
    Column("answer_id", BigInteger, ForeignKey("answers.id"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("vote", SmallInteger, nullable=False),
    Column("at", Float, nullable=False),
    PrimaryKeyConstraint("answer_id", "user_id"),
    Index("feedback_at", "at"),
)

prompt_versions = Table(
    "prompt_versions",
    METADATA,
    Column("name", String(64), nullable=False),
    Column("number", Integer, nullable=False),
    Column("author", String(200), nullable=False),
    Column("at", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("note", Text, nullable=False),
    # True for a version read from the shipped default file: while the newest version is
    # one, the default file is what is live (and an edit to it is noticed).
    Column("from_default", Boolean, nullable=False),
    PrimaryKeyConstraint("name", "number"),
)

feeds = Table(
    "feeds",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("added_at", Float, nullable=False),
    # The collection its articles are indexed into (index/collections.py); NULL: main.
    Column("collection", String(40)),
)

uploads = Table(
    "uploads",
    METADATA,
    Column("digest", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_at", Float, nullable=False),
)

conversation_memory = Table(
    "conversation_memory",
    METADATA,
    Column("conversation", String(100), primary_key=True),
    Column("turns_json", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

rate_windows = Table(
    "rate_windows",
    METADATA,
    Column("key", String(100), primary_key=True),
    Column("stamps_json", Text, nullable=False),
)

jobs = Table(
    "jobs",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("chat_id", BigInteger),
    Column("status", String(10), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("worker", String(200)),
    Column("result_json", Text),
    Index("jobs_status", "status", "id"),
)

feed_entry_failures = Table(
    "feed_entry_failures",
    METADATA,
    # The sha256 of the entry's identity (a guid may be any length); `entry` shows its start.
    Column("key", String(64), primary_key=True),
    Column("entry", Text, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("retry_at", Float, nullable=False),
    Column("failed_at", Float, nullable=False),
    Column("reason", Text, nullable=False),
)

legacy_imports = Table(
    "legacy_imports",
    METADATA,
    Column("key", String(200), primary_key=True),
    Column("at", Float, nullable=False),
)

follows = Table(
    "follows",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    # The forum topic the follow was made in (its pushes go there); 0 outside topics.
    Column("thread_id", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    # The language of the client that made the follow (its pushes are worded in it); NULL:
    # English (a follow made before 0006, or a client that didn't say).
    Column("language", String(LANGUAGE_CHARS)),
    Index("follows_chat", "chat_id", "thread_id", "id"),
)

follow_pushes = Table(
    "follow_pushes",
    METADATA,
    # "CHAT:THREAD": one row per place pushes go, for the rate limit.
    Column("place", String(60), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("last_push_at", Float),
    # Matches found while the place was rate-limited, pushed with its next push (JSON list).
    Column("held_json", Text, nullable=False),
    Column("dropped", Integer, nullable=False),
)

follow_digests = Table(
    "follow_digests",
    METADATA,
    Column("place", String(60), primary_key=True),  # "CHAT:THREAD", as in follow_pushes
    Column("chat_id", BigInteger, nullable=False),
    Column("timezone", String(64), nullable=False),  # an IANA name: /timezone
    Column("at_minute", Integer),  # the digest's local time, minutes after midnight; None: off
    Column("next_at", Float),  # when the next digest is due (Unix time)
    Column("last_at", Float),  # when the last one was sent
    # The articles the last digest listed: not listed again.
    Column("sent_keys_json", Text, nullable=False),
    # The language of the client that last set the digest or time zone; NULL: English.
    Column("language", String(LANGUAGE_CHARS)),
)

chat_sources = Table(
    "chat_sources",
    METADATA,
    # A chat's scope (/sources): one row per collection it answers from; none: every one.
    Column("chat_id", BigInteger, nullable=False),
    Column("collection", String(40), nullable=False),
    PrimaryKeyConstraint("chat_id", "collection"),
)
