"""Figures live in BENCHMARKS.md and comments point there: every `BENCHMARKS.md, "Heading"` in
the code, the tests, the README and the prompts names the start of a markdown heading of
BENCHMARKS.md or of bench/HISTORY.md, and BENCHMARKS.md opens with today's figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import PROJECT_DIR

BENCHMARKS = PROJECT_DIR / "BENCHMARKS.md"
HISTORY = PROJECT_DIR / "bench" / "HISTORY.md"
SCANNED = ("bot", "index", "bench", "tests", "prompts", "scripts", "README.md", "pyproject.toml")
SUFFIXES = (".py", ".md", ".txt", ".toml")
# `BENCHMARKS.md, "Heading"`, or in markdown `[BENCHMARKS.md](BENCHMARKS.md), "Heading"`. A
# reference names a heading by its start ("Refusal floor" for "Refusal floor (`NEWSDESK_...`)")
# and may run over the lines of a docstring or a comment.
REFERENCE = re.compile(r'BENCHMARKS\.md(?:\]\([^)]*\))?,\s+"([^"]+)"')
COMMENT_CONTINUATION = re.compile(r"\n[ \t]*#[ \t]*")
HEADING = re.compile(r"#{1,6} +(.+)")
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def headings(path: Path) -> list[str]:
    """The markdown headings of a file; a `# ...` line inside a fenced block is a shell comment."""
    found: list[str] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.fullmatch(line)):
            found.append(match.group(1).strip())
    return found


def references(path: Path) -> list[str]:
    text = COMMENT_CONTINUATION.sub(" ", path.read_text(encoding="utf-8"))
    return [" ".join(match.group(1).split()) for match in REFERENCE.finditer(text)]


def unresolved(files: list[Path], docs: tuple[Path, ...]) -> list[str]:
    """Each reference in `files` that begins no heading of `docs`, as "file: heading"."""
    known = [heading for doc in docs for heading in headings(doc)]
    return [
        f"{path.name}: {reference!r}"
        for path in files
        for reference in references(path)
        if not any(heading.startswith(reference) for heading in known)
    ]


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        root = PROJECT_DIR / name
        candidates = sorted(root.rglob("*")) if root.is_dir() else [root]
        files += [path for path in candidates if path.is_file() and path.suffix in SUFFIXES]
    # This file's own examples are not references; the two documents are what is referred to.
    return [path for path in files if path not in (Path(__file__).resolve(), BENCHMARKS, HISTORY)]


def test_every_reference_to_a_benchmarks_section_names_a_heading() -> None:
    files = scanned_files()
    found = [reference for path in files for reference in references(path)]
    assert len(found) >= 20, f"the references were found: {found}"
    assert unresolved(files, (BENCHMARKS, HISTORY)) == []


@pytest.mark.parametrize(
    ("source", "resolves"),
    [
        ('# see BENCHMARKS.md, "Refusal floor", for the figures\n', True),
        ('# figures (BENCHMARKS.md,\n# "Many readers at once").\n', True),
        ('"""Faster (BENCHMARKS.md, "A new\n    machine, one text a run")."""\n', True),
        ('See [BENCHMARKS.md](BENCHMARKS.md), "The default: int8 with 7-bit weights".\n', True),
        ('# history: BENCHMARKS.md, "The first, loaded run".\n', True),
        ('# see BENCHMARKS.md, "A section no one wrote", for the figures\n', False),
        ('"""As measured (BENCHMARKS.md, "Refusal\n    ceiling")."""\n', False),
        # A `# ...` line inside a fenced block of HISTORY.md is a shell comment, not a heading.
        ('# BENCHMARKS.md, "before: e408e3f, the last commit before the move"\n', False),
    ],
)
def test_a_reference_resolves_only_to_a_heading_there(
    tmp_path: Path, source: str, resolves: bool
) -> None:
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert len(references(path)) == 1
    assert (unresolved([path], (BENCHMARKS, HISTORY)) == []) is resolves


def test_benchmarks_opens_with_one_table_of_todays_figures_each_with_command_and_date() -> None:
    text = BENCHMARKS.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    assert sections[1].startswith("Today's figures\n")
    rows = [line for line in sections[1].splitlines() if line.startswith("| ")][1:]
    assert len(rows) >= 20, "one row per figure"
    for row in rows:
        figure, value, command, measured = (cell.strip() for cell in row.strip("|").split(" | "))
        assert figure and value and command, row
        assert DATE.search(measured), row
