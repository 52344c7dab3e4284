"""The prompt templates, read on every use so an edit is live without a restart, with every
version kept: who changed it, when, and the text."""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter

from langchain_core.prompts import ChatPromptTemplate

from index.errors import NewsdeskError

log = logging.getLogger(__name__)

# Each template's placeholders: all are required, no others are allowed.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer": frozenset({"question", "passages"}),
    "condense": frozenset({"history", "question"}),
    "refusal": frozenset(),
    "help": frozenset({"articles", "latest"}),
}


# Every question sends the answer template to the LLM; a runaway paste must not.
MAX_TEMPLATE_CHARS = 20_000


class PromptError(NewsdeskError):
    """A template is missing, unreadable or has wrong placeholders; the message names it."""


def placeholders_in(text: str) -> set[str]:
    try:
        return {field for _, field, _, _ in Formatter().parse(text) if field is not None}
    except ValueError as error:  # e.g. a single "{" that is not a placeholder
        raise PromptError(f"{error}; write a literal brace as {{{{ or }}}}") from error


def validate(name: str, text: str) -> str:
    """Return the text if it is a valid template called `name`, else raise PromptError."""
    if name not in PLACEHOLDERS:
        raise PromptError(f"unknown prompt {name!r}; the prompts are {', '.join(PLACEHOLDERS)}")
    if not text.strip():
        raise PromptError(f"prompt {name!r} is empty")
    if len(text) > MAX_TEMPLATE_CHARS:
        raise PromptError(
            f"prompt {name!r} is {len(text):,} characters long; the limit is "
            f"{MAX_TEMPLATE_CHARS:,} (a template is instructions, not material)"
        )
    found = placeholders_in(text)
    required = PLACEHOLDERS[name]
    if missing := sorted(required - found):
        raise PromptError(f"prompt {name!r} lacks placeholder {{{missing[0]}}}")
    if unknown := sorted(found - required):
        allowed = ", ".join(f"{{{p}}}" for p in sorted(required)) or "none"
        raise PromptError(
            f"prompt {name!r} has unknown placeholder {{{unknown[0]}}} (allowed: {allowed})"
        )
    return text


def split_messages(text: str) -> tuple[str, str]:
    """A template as (system, human) messages: the rules are the paragraphs before the first
    one holding a placeholder; that paragraph and the rest (passages, question) are the human
    message. A template opening with a placeholder is all human message."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    for index, paragraph in enumerate(paragraphs):
        if placeholders_in(paragraph):
            return "\n\n".join(paragraphs[:index]), "\n\n".join(paragraphs[index:])
    return "", text.strip()


def chat_prompt(text: str) -> ChatPromptTemplate:
    """A template's text as a ChatPromptTemplate: its rules in the system message, the
    material and the question in the human message (see `split_messages`)."""
    system, human = split_messages(text)
    messages = [("system", system)] if system else []
    return ChatPromptTemplate.from_messages([*messages, ("human", human)])


@dataclass(frozen=True)
class PromptVersion:
    number: int
    author: str
    at: str  # ISO 8601, UTC
    text: str
    note: str = ""


class PromptLibrary:
    """The templates are `NAME.txt`, read on every use: from the `live` folder (under
    NEWSDESK_HOME) once a template has been published there, else from `folder`, the shipped
    defaults, which are never written when there is a live folder (they are tracked files).
    With a history folder, every change is kept as a numbered version (who, when, the text):
    changes published here, and edits made to the live files (or, while a template has none,
    to its default) directly, noticed on the next read. A file edited into an invalid template
    is refused with the reason logged, and the last valid version stays live. `overrides`
    stand in for some templates, to try a candidate without publishing it."""

    def __init__(
        self,
        folder: Path,
        history: Path | None = None,
        overrides: dict[str, str] | None = None,
        live: Path | None = None,
    ) -> None:
        self.folder = folder
        self.history_dir = history
        self.live_dir = live or folder
        self.overrides = {name: validate(name, text) for name, text in (overrides or {}).items()}

    def with_override(self, name: str, text: str) -> PromptLibrary:
        """This library with `text` (validated) standing in for template `name`."""
        overrides = {**self.overrides, name: text}
        return PromptLibrary(self.folder, self.history_dir, overrides, self.live_dir)

    def _path(self, name: str) -> Path:
        """The file the template is read from: its live copy, else its shipped default."""
        live = self.live_dir / f"{name}.txt"
        return live if live.exists() else self.folder / f"{name}.txt"

    def template(self, name: str) -> str:
        """The live text of a template. Reading never writes: see `notice_edits`."""
        if name in self.overrides:
            return self.overrides[name]
        return self._read_live(name)[0]

    def notice_edits(self, name: str) -> PromptVersion | None:
        """Record the file's text as a new version if it was edited on disk since the last
        recorded one (the first text ever seen is recorded as the shipped one). Returns the
        live version, or None without a history folder or when the file is refused."""
        if name in self.overrides or self.history_dir is None:
            return None
        text, from_file = self._read_live(name)
        return self._record(name, text, "edited on disk") if from_file else None

    def notice_all_edits(self) -> None:
        """`notice_edits` for every template: done once when the service is built."""
        for name in PLACEHOLDERS:
            self.notice_edits(name)

    def _read_live(self, name: str) -> tuple[str, bool]:
        """The live text, and whether it is the file's (False: the file was refused, and the
        last valid version stands in)."""
        path = self._path(name)
        try:
            return validate(name, path.read_text(encoding="utf-8").strip()), True
        except (OSError, UnicodeDecodeError, PromptError) as error:
            fallback = self.history(name)[-1:] if name in PLACEHOLDERS else []
            if not fallback:
                if isinstance(error, PromptError):
                    raise
                raise PromptError(f"can't read prompt {name!r} from {path}: {error}") from error
            log.error("prompt file %s refused (%s); version %d stays live",
                      path, error, fallback[0].number)  # fmt: skip
            return fallback[0].text, False

    def render(self, name: str, **values: object) -> str:
        return self.template(name).format(**values)

    def history(self, name: str) -> list[PromptVersion]:
        """Every recorded version of a template, oldest first."""
        path = self._history_file(name)
        if path is None or not path.exists():
            return []
        versions = []
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, TypeError):
                versions.append(PromptVersion(**json.loads(line)))
        return versions

    def publish(self, name: str, text: str, author: str, note: str = "") -> PromptVersion:
        """Validate, record as a new version, and make it live: written to the live folder
        (the file replaced atomically), never over a shipped default. Raises PromptError,
        naming the problem, and changes nothing if invalid."""
        if name in PLACEHOLDERS:
            self.notice_edits(name)  # the live text is a version before it is replaced
        text = validate(name, text.strip())
        version = self._record(name, text, author, note, force=True)
        self.live_dir.mkdir(parents=True, exist_ok=True)
        path = self.live_dir / f"{name}.txt"
        staging = path.with_name(f".{path.name}.new")
        staging.write_text(text + "\n", encoding="utf-8")
        os.replace(staging, path)
        return version

    def rollback(self, name: str, author: str, number: int | None = None) -> PromptVersion:
        """Publish an earlier version again (default: the one before the live one)."""
        versions = self.history(name)
        if number is None:
            if len(versions) < 2:
                raise PromptError(f"prompt {name!r} has no earlier version to roll back to")
            target = versions[-2]
        else:
            found = [v for v in versions if v.number == number]
            if not found:
                raise PromptError(
                    f"prompt {name!r} has no version {number} (it has 1 to {len(versions)})"
                )
            target = found[0]
        return self.publish(name, target.text, author, note=f"rollback to version {target.number}")

    def diff(self, name: str, candidate: str | None = None) -> str:
        """A unified diff: the live version against a candidate text, or, with none, the
        previous version against the live one."""
        live = self.template(name)
        if candidate is not None:
            before, after, labels = live, candidate.strip(), ("live", "candidate")
        else:
            versions = self.history(name)
            if len(versions) < 2:
                return f"prompt {name!r} has only one version so far"
            before, after = versions[-2].text, versions[-1].text
            labels = (f"version {versions[-2].number}", f"version {versions[-1].number}")
        lines = difflib.unified_diff(before.splitlines(), after.splitlines(), *labels, lineterm="")
        return "\n".join(lines) or "no differences"

    def _history_file(self, name: str) -> Path | None:
        return self.history_dir / f"{name}.jsonl" if self.history_dir else None

    def _record(
        self, name: str, text: str, author: str, note: str = "", *, force: bool = False
    ) -> PromptVersion:
        versions = self.history(name)
        if versions and versions[-1].text == text and not force:
            return versions[-1]
        if not versions and not force:
            author = "shipped"  # the first text ever seen is the one the project shipped
        version = PromptVersion(
            number=(versions[-1].number if versions else 0) + 1,
            author=author,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            text=text,
            note=note,
        )
        path = self._history_file(name)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(asdict(version)) + "\n")
        return version
