"""The prompt templates, read on every use so an edit is live without a restart, with every
version kept: who changed it, when, and the text."""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Protocol

from index.errors import NewsdeskError

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate

log = logging.getLogger(__name__)

# Each template's placeholders: all are required, no others are allowed...
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer": frozenset({"question", "passages"}),
    "condense": frozenset({"history", "question"}),
    "refusal": frozenset(),
    "help": frozenset({"articles", "latest"}),
}
# ...but these, which a template may hold or not: a version published before one was added
# (the shared database keeps them) stays valid, and the code says it another way (chain.py
# tells an answer prompt without {language} the reader's language in a rule of its own).
OPTIONAL_PLACEHOLDERS: dict[str, frozenset[str]] = {"answer": frozenset({"language"})}


# Every question sends the answer template to the LLM; a runaway paste must not.
MAX_TEMPLATE_CHARS = 20_000


class PromptError(NewsdeskError):
    """A template is missing, unreadable or has wrong placeholders; the message names it."""


def placeholders_in(text: str) -> set[str]:
    return {field for field, _, _ in _fields(text)}


def _fields(text: str) -> list[tuple[str, str, str]]:
    """(name, conversion, format spec) of each placeholder, in order."""
    try:
        return [
            (field, conversion or "", spec or "")
            for _, field, spec, conversion in Formatter().parse(text)
            if field is not None
        ]
    except ValueError as error:  # e.g. a single "{" that is not a placeholder
        raise PromptError(f"{error}; write a literal brace as {{{{ or }}}}") from error


def _check_bare(name: str, text: str) -> None:
    """A placeholder is its name alone: a format spec such as {question:>20000000} would pad
    every question to 20 MB before the LLM sees it, and a conversion ({question!r}) changes
    what the LLM is given."""
    for field, conversion, spec in _fields(text):
        if conversion or spec:
            written = "{" + field + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            what = "a conversion" if conversion else "a format spec"
            raise PromptError(
                f"prompt {name!r}: placeholder {written} has {what}; "
                f"write it as {{{field}}}, with nothing after the name"
            )


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
    _check_bare(name, text)
    found = placeholders_in(text)
    required = PLACEHOLDERS[name]
    if missing := sorted(required - found):
        raise PromptError(f"prompt {name!r} lacks placeholder {{{missing[0]}}}")
    permitted = required | OPTIONAL_PLACEHOLDERS.get(name, frozenset())
    if unknown := sorted(found - permitted):
        allowed = ", ".join(f"{{{p}}}" for p in sorted(permitted)) or "none"
        raise PromptError(
            f"prompt {name!r} has unknown placeholder {{{unknown[0]}}} (allowed: {allowed})"
        )
    return text


def system_and_human(text: str) -> tuple[str, str]:
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
    material and the question in the human message (see `system_and_human`). LangChain's
    prompts (with YAML and Jinja2, 40 ms) are imported here: only an LLM's answer uses them."""
    from langchain_core.prompts import ChatPromptTemplate

    system, human = system_and_human(text)
    messages = [("system", system)] if system else []
    return ChatPromptTemplate.from_messages([*messages, ("human", human)])


@dataclass(frozen=True)
class PromptVersion:
    number: int
    author: str
    at: str  # ISO 8601, UTC
    text: str
    note: str = ""
    # Read from the shipped default file (not published): while a template's newest version
    # is one, the default file is what is live, and an edit made to it is noticed.
    from_default: bool = False


def default_is_news(newest: PromptVersion, text: str) -> bool:
    """Whether a default file's `text` is to be recorded after `newest`: not when it is the
    newest text already (every replica notices the shipped prompts as it starts), nor over
    a published version (the default is no longer live)."""
    return newest.from_default and newest.text != text


class PromptStore(Protocol):
    """Where versions are kept (the shared database in production: `bot.state.prompts`).
    `add` numbers the new version after the newest one, atomically; with `from_default`, it
    adds only if `default_is_news`, decided in the same turn, else returns the newest."""

    def history(self, name: str) -> list[PromptVersion]: ...

    def latest(self, name: str) -> PromptVersion | None: ...

    def add(
        self, name: str, text: str, author: str, note: str, *, from_default: bool
    ) -> PromptVersion: ...


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class MemoryPromptStore:
    """Versions kept in this process only: for a library with nowhere to keep them."""

    def __init__(self) -> None:
        self._versions: dict[str, list[PromptVersion]] = {}

    def history(self, name: str) -> list[PromptVersion]:
        return list(self._versions.get(name, []))

    def latest(self, name: str) -> PromptVersion | None:
        versions = self._versions.get(name)
        return versions[-1] if versions else None

    def add(
        self, name: str, text: str, author: str, note: str, *, from_default: bool
    ) -> PromptVersion:
        versions = self._versions.setdefault(name, [])
        if from_default and versions and not default_is_news(versions[-1], text):
            return versions[-1]
        number = versions[-1].number + 1 if versions else 1
        version = PromptVersion(number, author, now_iso(), text, note, from_default)
        versions.append(version)
        return version


class PromptLibrary:
    """The templates' live texts and every version of them (who, when, the text), kept in a
    PromptStore. A template nobody has published is read from its shipped default,
    `folder/NAME.txt`, on every use, so an edit to that file is live at once and noticed as a
    version (`notice_edits`); the default files are never written. Once a version has been
    published, the store's newest version is the live text, the same on every process that
    shares the store. A default file edited into an invalid template is refused with the
    reason logged, and the last valid version stays live. `overrides` stand in for some
    templates, to try a candidate without publishing it."""

    def __init__(
        self,
        folder: Path,
        store: PromptStore | None = None,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.store: PromptStore = store if store is not None else MemoryPromptStore()
        self.overrides = {name: validate(name, text) for name, text in (overrides or {}).items()}

    def with_override(self, name: str, text: str) -> PromptLibrary:
        """This library with `text` (validated) standing in for template `name`."""
        overrides = {**self.overrides, name: text}
        return PromptLibrary(self.folder, self.store, overrides)

    def template(self, name: str) -> str:
        """The live text of a template. Reading never writes: see `notice_edits`."""
        if name in self.overrides:
            return self.overrides[name]
        return self._read_live(name)[0]

    def notice_edits(self, name: str) -> PromptVersion | None:
        """Record the default file's text as a new version if it is live and was edited since
        the last recorded version (the first text ever seen is recorded as the shipped one).
        Returns the live version, or None for an override or a refused file."""
        if name in self.overrides or name not in PLACEHOLDERS:
            return None
        text, state = self._read_live(name)
        latest = self.store.latest(name)
        if state == "refused":
            return None
        if state == "published" or (latest is not None and latest.text == text):
            return latest
        author = "edited on disk" if latest is not None else "shipped"
        return self.store.add(name, text, author, "", from_default=True)

    def live_version(self, name: str) -> PromptVersion | None:
        """The recorded version that is live, read without writing: None for an override,
        or for a default file edited since its last recorded version (until `notice_edits`
        records it)."""
        if name in self.overrides or name not in PLACEHOLDERS:
            return None
        text, state = self._read_live(name)
        latest = self.store.latest(name)
        if latest is None or state == "refused":
            return latest
        return latest if latest.text == text else None

    def notice_all_edits(self) -> None:
        """`notice_edits` for every template: when a bot starts, and at its periodic look."""
        for name in PLACEHOLDERS:
            self.notice_edits(name)

    def _read_live(self, name: str) -> tuple[str, str]:
        """The live text, and where it came from: "published" (the store), "default" (the
        shipped file) or "refused" (the file is invalid; the last valid version stands in)."""
        latest = self.store.latest(name) if name in PLACEHOLDERS else None
        if latest is not None and not latest.from_default:
            return latest.text, "published"
        path = self.folder / f"{name}.txt"
        try:
            return validate(name, path.read_text(encoding="utf-8").strip()), "default"
        except (OSError, UnicodeDecodeError, PromptError) as error:
            if latest is None:
                if isinstance(error, PromptError):
                    raise
                raise PromptError(f"can't read prompt {name!r} from {path}: {error}") from error
            log.error("prompt file %s refused (%s); version %d stays live",
                      path, error, latest.number)  # fmt: skip
            return latest.text, "refused"

    def render(self, name: str, **values: object) -> str:
        return self.template(name).format(**values)

    def history(self, name: str) -> list[PromptVersion]:
        """Every recorded version of a template, oldest first."""
        return self.store.history(name)

    def publish(self, name: str, text: str, author: str, note: str = "") -> PromptVersion:
        """Validate, record as a new version, and make it live for every process sharing the
        store; the shipped default is never written. Raises PromptError, naming the
        problem, and changes nothing if invalid."""
        text = validate(name, text.strip())
        self.notice_edits(name)  # the live default text is a version before it is replaced
        return self.store.add(name, text, author, note, from_default=False)

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
