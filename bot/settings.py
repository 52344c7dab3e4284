"""One typed settings object, built once at the entry point from the environment and `.env`."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.articles import MAX_ARTICLE_CHARS
from index.backends import BACKENDS, BUNDLED_MODEL

PROJECT_DIR = Path(__file__).resolve().parent.parent


def shipped_folder(name: str) -> Path:
    """A folder shipped inside the `bot` package as package data (the default prompts, the
    sample article): found where the package is, in a checkout, an editable install or an
    installed wheel alike. Wheels install unpacked, so the folder is a real path."""
    return Path(str(resources.files("bot").joinpath(name)))


# The shipped default prompt templates (prompts/README.md) and the sample article that
# `newsdesk start` indexes into an empty index.
SHIPPED_PROMPTS_DIR = shipped_folder("prompts")
SAMPLE_DIR = shipped_folder("sample")


# Calibrated by bench/calibrate_floor.py on the seed article and ../shared/bench/rtqa-dev:
# see BENCHMARKS.md, "Refusal floor", for the distribution this value was read from.
DEFAULT_MIN_RELEVANCE = 0.48
# What Telegram accepts as a webhook secret_token.
WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Every setting newsdesk reads; `.env.example` documents each with its default."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # Only the names .env.example lists count, with their case: matched without it, the
        # field `home` would take the shell's HOME and put the index in the home folder.
        case_sensitive=True,
    )

    home: Path = Field(
        default=Path("~/.local/share/newsdesk"),
        validation_alias="NEWSDESK_HOME",
        description="Data directory: the embedded Chroma index lives here.",
    )
    embedding_model: str = Field(
        default=BUNDLED_MODEL,
        validation_alias="NEWSDESK_EMBEDDING_MODEL",
        description="sentence-transformers model name or path; the default is bundled.",
    )
    embedding_backend: str = Field(
        default="auto",
        validation_alias="NEWSDESK_EMBEDDING_BACKEND",
        description="torch, onnx, onnx-int8, or auto: the store's own (torch vectors searched "
        "with onnx, the same vectors faster), else DEFAULT_BACKEND (onnx-int8).",
    )
    models_dir_setting: Path | None = Field(
        default=None,
        validation_alias="NEWSDESK_MODELS_DIR",
        description="Where the ONNX exports of the model are cached; default NEWSDESK_HOME/models.",
    )
    chroma_host: str | None = Field(default=None, validation_alias="NEWSDESK_CHROMA_HOST")
    chroma_port: int = Field(default=8000, validation_alias="NEWSDESK_CHROMA_PORT")
    collection: str = Field(default="newsdesk-articles", validation_alias="NEWSDESK_COLLECTION")
    llm: str | None = Field(default=None, validation_alias="NEWSDESK_LLM")
    llm_api_key: SecretStr | None = Field(default=None, validation_alias="NEWSDESK_LLM_API_KEY")
    llm_base_url: str | None = Field(default=None, validation_alias="NEWSDESK_LLM_BASE_URL")
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, validation_alias="NEWSDESK_LLM_TIMEOUT_SECONDS"
    )
    transcription_model: str = Field(
        default="whisper-1",
        validation_alias="NEWSDESK_TRANSCRIPTION_MODEL",
        description="The speech-to-text model voice messages are sent to, on the "
        "OpenAI-compatible server of NEWSDESK_LLM=openai:MODEL (/v1/audio/transcriptions).",
    )
    voice_max_mb: float = Field(
        default=20.0,
        gt=0,
        validation_alias="NEWSDESK_VOICE_MAX_MB",
        description="Voice messages larger than this are refused before they are downloaded.",
    )
    voice_max_seconds: int = Field(
        default=300,
        ge=1,
        validation_alias="NEWSDESK_VOICE_MAX_SECONDS",
        description="Voice messages longer than this are refused before they are transcribed "
        "(a server such as OpenAI's charges by the minute).",
    )
    reranker: str | None = Field(default=None, validation_alias="NEWSDESK_RERANKER")
    top_k: int = Field(default=4, ge=1, le=20, validation_alias="NEWSDESK_TOP_K")
    min_relevance: float = Field(
        default=DEFAULT_MIN_RELEVANCE,
        ge=-1.0,
        le=1.0,
        validation_alias="NEWSDESK_MIN_RELEVANCE",
    )
    stale_days: int = Field(default=30, ge=0, validation_alias="NEWSDESK_STALE_DAYS")
    max_question_chars: int = Field(
        default=1000, ge=10, validation_alias="NEWSDESK_MAX_QUESTION_CHARS"
    )
    prompts_dir: Path = Field(default=SHIPPED_PROMPTS_DIR, validation_alias="NEWSDESK_PROMPTS_DIR")
    sample_dir: Path = Field(default=SAMPLE_DIR, validation_alias="NEWSDESK_SAMPLE_DIR")
    log_level: str = Field(default="INFO", validation_alias="NEWSDESK_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias="NEWSDESK_LOG_FORMAT",
        description="text (one readable line a record) or json (one JSON object a line).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias="NEWSDESK_METRICS_PORT",
        description="Serve Prometheus /metrics and /healthz on this port; unset: off.",
    )
    metrics_listen: str = Field(default="127.0.0.1", validation_alias="NEWSDESK_METRICS_LISTEN")

    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="NEWSDESK_ADMIN_IDS"
    )
    allowed_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="NEWSDESK_ALLOWED_USER_IDS"
    )
    allowed_chat_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="NEWSDESK_ALLOWED_CHAT_IDS"
    )
    rate_limit_per_minute: int = Field(
        default=10, ge=0, validation_alias="NEWSDESK_RATE_LIMIT_PER_MINUTE"
    )
    sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="NEWSDESK_SOURCES"
    )
    feed_poll_minutes: float = Field(
        default=60, ge=0, validation_alias="NEWSDESK_FEED_POLL_MINUTES"
    )
    # Not imported from index.ingest.polling: a one-off question loads nothing of ingest.
    feed_poll_deadline_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias="NEWSDESK_FEED_POLL_DEADLINE_SECONDS",
        description="One deadline for a whole feed poll, every feed and entry page; the "
        "entries not reached wait for the next poll.",
    )
    keyword_refresh_seconds: float = Field(
        default=60, ge=0, validation_alias="NEWSDESK_KEYWORD_REFRESH_SECONDS"
    )
    allow_private_urls: bool = Field(default=False, validation_alias="NEWSDESK_ALLOW_PRIVATE_URLS")
    fetch_timeout_seconds: float = Field(
        default=20.0, gt=0, validation_alias="NEWSDESK_FETCH_TIMEOUT_SECONDS"
    )
    fetch_max_mb: float = Field(default=10.0, gt=0, validation_alias="NEWSDESK_FETCH_MAX_MB")
    max_article_chars: int = Field(
        default=MAX_ARTICLE_CHARS, ge=1000, validation_alias="NEWSDESK_MAX_ARTICLE_CHARS"
    )

    database_url_setting: SecretStr | None = Field(
        default=None,
        validation_alias="NEWSDESK_DATABASE_URL",
        description="The shared-state database; default SQLite at NEWSDESK_HOME/newsdesk.sqlite.",
    )
    follow_push_minutes: float = Field(
        default=10.0,
        ge=0,
        validation_alias="NEWSDESK_FOLLOW_PUSH_MINUTES",
        description="At most one push of new reports on followed topics per chat in this "
        "many minutes; what is found in between goes with the next push.",
    )
    role: Literal["all", "bot", "indexer"] = Field(default="all", validation_alias="NEWSDESK_ROLE")
    job_poll_seconds: float = Field(default=2.0, gt=0, validation_alias="NEWSDESK_JOB_POLL_SECONDS")

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_base_url: str | None = Field(default=None, validation_alias="TELEGRAM_BASE_URL")
    telegram_base_file_url: str | None = Field(
        default=None, validation_alias="TELEGRAM_BASE_FILE_URL"
    )
    telegram_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="TELEGRAM_TIMEOUT_SECONDS"
    )
    concurrent_updates: int = Field(
        default=32, ge=1, validation_alias="NEWSDESK_CONCURRENT_UPDATES"
    )
    answer_threads: int = Field(default=32, ge=1, validation_alias="NEWSDESK_ANSWER_THREADS")
    index_wait_seconds: float = Field(
        default=600.0, gt=0, validation_alias="NEWSDESK_INDEX_WAIT_SECONDS"
    )
    index_progress_seconds: float = Field(
        default=30.0, gt=0, validation_alias="NEWSDESK_INDEX_PROGRESS_SECONDS"
    )
    shutdown_seconds: float = Field(
        default=20.0,
        gt=0,
        validation_alias="NEWSDESK_SHUTDOWN_SECONDS",
        description="After SIGTERM or SIGINT, the bot exits within this long: intake stops at "
        "once, an indexing run after its batch (it resumes after the restart).",
    )
    webhook_url: str | None = Field(default=None, validation_alias="NEWSDESK_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="NEWSDESK_WEBHOOK_SECRET"
    )
    webhook_listen: str = Field(default="127.0.0.1", validation_alias="NEWSDESK_WEBHOOK_LISTEN")
    webhook_port: int = Field(
        default=8443, ge=1, le=65535, validation_alias="NEWSDESK_WEBHOOK_PORT"
    )

    @field_validator("transcription_model")
    @classmethod
    def _default_transcription_model(cls, value: str) -> str:
        return value.strip() or "whisper-1"

    @field_validator("embedding_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        value = value.strip().lower() or "auto"
        if value not in ("auto", *BACKENDS):
            raise ValueError(f"choose one of auto, {', '.join(BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _keep_an_older_versions_home(self) -> Settings:
        """Versions before 2026-12-02 kept their data in the user's home folder itself (the
        shell's HOME was taken for NEWSDESK_HOME). Without NEWSDESK_HOME, and with nothing yet
        in the default folder, such data is used where it is rather than left behind."""
        if "home" in self.model_fields_set or self.home.exists():
            return self
        older = Path.home()
        if (older / "newsdesk.sqlite").exists() or (older / "chroma" / "chroma.sqlite3").exists():
            self.home = older
        return self

    @field_validator("home", "prompts_dir", "sample_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator(
        "llm",
        "llm_base_url",
        "reranker",
        "chroma_host",
        "telegram_base_url",
        "telegram_base_file_url",
        "webhook_url",
    )
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("admin_ids", "allowed_user_ids", "allowed_chat_ids", "sources", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("role", mode="before")
    @classmethod
    def _role_lowercase(cls, value: object) -> object:
        return (value.strip().lower() or "all") if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_lowercase(cls, value: object) -> object:
        return (value.strip().lower() or "text") if isinstance(value, str) else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _blank_port_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_listen")
    @classmethod
    def _listen_somewhere(cls, value: str) -> str:
        return value.strip() or "127.0.0.1"

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not WEBHOOK_SECRET_CHARS.fullmatch(value.get_secret_value().strip()):
            raise ValueError("use 1 to 256 of the characters A-Z, a-z, 0-9, _ and -")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_bot_token", "llm_api_key", "database_url_setting")
    @classmethod
    def _blank_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())

    def secrets(self) -> list[str]:
        """Every secret among the settings, for the one redaction (bot/redaction.py)."""
        held = (self.telegram_bot_token, self.llm_api_key, self.webhook_secret)
        found = [secret.get_secret_value() for secret in held if secret is not None]
        if self.telegram_bot_token:
            found.append(self.webhook_secret_token())
        if self.database_url_setting is not None:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                password = make_url(self.database_url_setting.get_secret_value()).password
            except ArgumentError:
                password = None
            found += [str(password)] if password else []
        return found

    def webhook_secret_token(self) -> str:
        """The secret Telegram sends with each webhook update: NEWSDESK_WEBHOOK_SECRET, else
        one derived from the bot token, the same on every replica of the bot."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""
        return hashlib.sha256(b"newsdesk-webhook:" + token.encode()).hexdigest()

    @property
    def database_url(self) -> str:
        """The shared state's database: NEWSDESK_DATABASE_URL, else SQLite under NEWSDESK_HOME."""
        if self.database_url_setting is not None:
            return self.database_url_setting.get_secret_value()
        return f"sqlite:///{self.default_database_file}"

    @property
    def default_database_file(self) -> Path:
        """The SQLite file of the shared state when NEWSDESK_DATABASE_URL is not set."""
        return self.home / "newsdesk.sqlite"

    @property
    def runs_indexing_jobs(self) -> bool:
        """Whether this process polls the feeds and runs queued /reindex jobs."""
        return self.role in ("all", "indexer")

    @property
    def models_dir(self) -> Path:
        """The ONNX exports of the embedding model, made once on this machine."""
        return (self.models_dir_setting or self.home / "models").expanduser()

    @property
    def chroma_dir(self) -> Path:
        """The embedded Chroma (unused with NEWSDESK_CHROMA_HOST)."""
        return self.home / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Documents admins send the bot are kept here, so re-indexing finds them again."""
        return self.home / "uploads"

    def reindex_sources(self) -> list[str]:
        """What /reindex re-syncs besides the feeds: NEWSDESK_SOURCES and the uploads folder.
        Never the sample folder: it is for trying newsdesk on an empty index only."""
        return [*self.sources, str(self.uploads_dir)]
