"""The floor plan holds: data flows one way (index -> answering -> front ends), read from the
source's imports, and every error a user can see shares one base class."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import bot
import index
from bot.errors import NewsdeskError
from bot.settings import PROJECT_DIR

FRONT_ENDS = ("bot.telegram", "bot.cli", "bot.evaluation", "bot.wiring", "bot.prompt_commands")


def modules_of(package: str) -> list[Path]:
    return sorted((PROJECT_DIR / package.replace(".", "/")).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_answering_package_knows_no_front_end_and_no_settings() -> None:
    files = modules_of("bot.answering")
    assert len(files) >= 10, "the answering package was found"
    for path in files:
        for name in imported_modules(path):
            if within(name, "bot"):
                assert within(name, "bot.answering"), f"{path.name} imports {name}"
            assert not within(name, "telegram"), f"{path.name} imports {name}"


def test_index_imports_nothing_from_bot() -> None:
    files = modules_of("index")
    assert len(files) >= 12
    for path in files:
        bad = {name for name in imported_modules(path) if within(name, "bot")}
        assert not bad, f"{path} imports {bad}"


def test_the_shared_state_knows_no_front_end_and_no_settings() -> None:
    """bot/state is the database room: it uses index/ and bot/answering for their types, and
    is used by the front ends and bot/wiring; answering reaches it only through Protocols
    (PromptStore), so the answering rule above keeps it out of bot/answering."""
    files = modules_of("bot.state")
    assert len(files) >= 10, "the state package was found"
    for path in files:
        for name in imported_modules(path):
            if within(name, "bot"):
                assert within(name, "bot.state") or within(name, "bot.answering"), (
                    f"{path.name} imports {name}"
                )
            assert not within(name, "telegram"), f"{path.name} imports {name}"


def test_the_catalogs_reader_stands_below_its_readers() -> None:
    """bot/translation.py is read by the Telegram handlers and by bot/wiring (the refusal), so
    it imports nothing of the bot: no arrow from it runs up to either."""
    path = PROJECT_DIR / "bot" / "translation.py"
    bad = {name for name in imported_modules(path) if within(name, "bot")}
    assert not bad, f"translation.py imports {bad}"
    assert not any(within(name, "telegram") for name in imported_modules(path))


def test_the_import_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The checks above can fail: a lazy import inside a function is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from bot.settings import Settings\n    import telegram.ext\n")
    assert {"bot.settings", "telegram.ext"} <= imported_modules(sample)


def every_module() -> list[str]:
    names = []
    for package in (bot, index):
        prefix = package.__name__ + "."
        names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix)]
    return [name for name in names if not name.endswith("__main__")]


def test_every_error_class_subclasses_the_one_base() -> None:
    errors = []
    for name in every_module():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Exception) and value.__module__ == name:
                errors.append(value)
    assert len(errors) >= 12, [e.__name__ for e in errors]
    strays = [f"{e.__module__}.{e.__name__}" for e in errors if not issubclass(e, NewsdeskError)]
    assert not strays, f"errors shown to users must subclass NewsdeskError: {strays}"


@pytest.mark.parametrize(
    "package",
    ["bot.answering", "bot.telegram", "bot.cli", "bot.state", "bot.wiring", "index.ingest"],
)
def test_each_room_says_what_it_is(package: str) -> None:
    doc = importlib.import_module(package).__doc__ or ""
    assert len(doc.split()) >= 8, f"{package} has a docstring saying what it holds"


def test_front_ends_are_the_only_ones_to_use_settings() -> None:
    """Settings are built at the entry point and turned into parts in bot.wiring alone; below it,
    code gets the values it needs."""
    for path in modules_of("bot") + modules_of("index"):
        module = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts)
        if module in ("bot.settings", "bot.errors") or any(within(module, f) for f in FRONT_ENDS):
            continue
        assert "bot.settings" not in imported_modules(path), f"{module} imports bot.settings"


def test_answering_reads_the_keyword_index_only_through_its_protocols() -> None:
    """Retrieval and spelling are given the keyword index's read-only parts, typed by the
    Protocols they declare (KeywordLookup, Vocabulary): nothing in answering can sync it."""
    for path in modules_of("bot.answering"):
        bad = {name for name in imported_modules(path) if within(name, "index.keyword")}
        assert not bad, f"{path.name} imports {bad}"
