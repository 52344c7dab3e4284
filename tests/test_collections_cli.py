"""Collections on the command line (issue 29): `newsdesk index --collection`, `feeds add
--collection`, `ask --collection` (repeatable) and `articles list --collection`, with bad names
refused before anything is read. Real store, model, database and a local web server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.support.web_server import WebServer
from tests.test_telegram_admin import serve_feed, web

__all__ = ["web"]  # the fixture

MAYOR = (
    "Mayor chosen in Tal Sufouq\n\n"
    "The town council of Tal Sufouq chose Salim Qadir as its mayor on Friday."
)
FERRY = (
    "Ferry runs again to Tal Sufouq\n\n"
    "The ferry between Baaj and Tal Sufouq ran again on Tuesday; its captain is Omar Sabri."
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "torch")
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    for name, text in (("mayor.txt", MAYOR), ("ferry.txt", FERRY)):
        (tmp_path / name).write_text(text)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's refusal of an argument
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cited_titles(output: str) -> set[str]:
    return {str(c["title"]) for c in json.loads(output)["citations"]}


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "a collection name can't be empty"),
        ("x" * 3000, "a collection name is at most 40 characters, not 3,000"),
        ("Arabic desk", "'arabic desk' is not a collection name"),
        ("all", "'all' means every collection"),
    ],
)
def test_a_bad_collection_name_stops_every_command_saying_why(
    home: Path, capsys: pytest.CaptureFixture[str], name: str, says: str
) -> None:
    for command in (
        ["index", str(home / "mayor.txt"), "--collection", name],
        ["ask", "who is the mayor?", "--collection", name],
        ["articles", "list", "--collection", name],
        ["feeds", "add", "https://example.org/rss", "--collection", name],
    ):
        code, _, err = run(capsys, *command)
        assert code == 2 and "argument --collection: " + says in err, err
    assert not (home / "home" / "chroma").exists()  # nothing was read or written


def test_index_ask_and_list_by_collection(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "index", str(home / "mayor.txt"), "--collection", "Politics")[0] == 0
    assert run(capsys, "index", str(home / "ferry.txt"), "--collection", "transport")[0] == 0
    question = "who is in charge in Tal Sufouq, the mayor or the ferry captain?"
    code, out, _ = run(capsys, "ask", question, "--json", "--collection", "politics")
    assert code == 0 and cited_titles(out) == {"Mayor chosen in Tal Sufouq"}
    _, out, _ = run(capsys, "ask", "who is the ferry's captain?", "--json",
                    "--collection", "transport")  # fmt: skip
    assert "Omar Sabri" in json.loads(out)["answer"]
    _, out, _ = run(capsys, "ask", question, "--json",
                    "--collection", "politics", "--collection", "transport")  # fmt: skip
    assert len(cited_titles(out)) >= 1
    _, out, _ = run(capsys, "ask", question, "--json", "--collection", "sports")
    assert json.loads(out)["refused"] and json.loads(out)["citations"] == []

    code, out, _ = run(capsys, "articles", "list", "--collection", "transport")
    assert code == 0 and out.startswith("articles in transport: 1-1 of 1")
    assert "Ferry runs again" in out and "Mayor" not in out
    _, out, _ = run(capsys, "articles", "list", "--json")
    collections = {a["title"]: a["collection"] for a in json.loads(out)["articles"]}
    assert collections == {
        "Mayor chosen in Tal Sufouq": "politics",
        "Ferry runs again to Tal Sufouq": "transport",
    }
    _, out, _ = run(capsys, "articles", "list", "--collection", "sports")
    assert out.strip() == "no articles in sports"
    # Indexed again without --collection, an article stays where it is.
    run(capsys, "index", str(home / "mayor.txt"))
    _, out, _ = run(capsys, "articles", "list", "--collection", "politics")
    assert "Mayor chosen" in out


def test_a_feed_added_to_a_collection_indexes_its_entries_there(
    home: Path, web: WebServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = serve_feed(web)
    code, out, _ = run(capsys, "feeds", "add", url, "--collection", "wire")
    assert code == 0 and "into collection wire" in out
    assert run(capsys, "feeds", "list")[1].strip() == f"{url}  (wire)"
    code, _, err = run(capsys, "feeds", "list", "--collection", "wire")
    assert code == 2 and "--collection goes with `newsdesk feeds add`" in err
    assert run(capsys, "index", "--feeds")[0] == 0
    _, out, _ = run(capsys, "articles", "list", "--collection", "wire")
    assert "Mayor elected" in out and "1-1 of 1" in out
