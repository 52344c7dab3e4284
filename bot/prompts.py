"""The templates in `prompts/`, read on every use so an edit is live without a restart."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

# Each template's placeholders: all are required, no others are allowed.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer": frozenset({"question", "passages"}),
    "condense": frozenset({"history", "question"}),
    "refusal": frozenset(),
    "help": frozenset({"articles", "latest"}),
}


class PromptError(Exception):
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


class PromptLibrary:
    """Reads `NAME.txt` from a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def template(self, name: str) -> str:
        path = self.folder / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PromptError(f"can't read prompt {name!r} from {path}: {error}") from error
        return validate(name, text.strip())

    def render(self, name: str, **values: object) -> str:
        return self.template(name).format(**values)
