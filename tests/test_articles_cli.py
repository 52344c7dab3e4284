"""`newsdesk articles list|show|rm` through the real CLI, over a real store and keyword index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.wiring.stores import keyword_index_folder, open_article_store
from index.catalog import article_id
from index.keyword import KeywordIndex
from index.store import ArticleStore
from index.writer_lock import WriterLock
from tests.conftest import make_settings

SOURCES = ["Reuters", "AP", "AFP"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def index_records(folder: Path, records: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record) for record in records]
    (folder / "wire.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["index", str(folder), "--quiet"]) == 0


def many_articles(count: int) -> list[dict[str, str]]:
    """Day n is published on 2026-01-n; every third title names Mosul."""
    return [
        {
            "id": f"a{n}",
            "title": f"{'Mosul' if n % 3 == 0 else 'Basra'} report number {n}",
            "text": f"Report {n}: the council met on day {n} and talked about the harbour.",
            "published": f"2026-01-{n:02d}",
            "source": SOURCES[n % 3],
        }
        for n in range(1, count + 1)
    ]


def test_list_pages_newest_first_and_searches_titles(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_records(tmp_path / "wire", many_articles(25))
    capsys.readouterr()

    code, out, _ = run(capsys, "articles", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "articles: 1-20 of 25 (page 1 of 2)"
    assert "2026-01-25  AP  Basra report number 25  (1 chunks)" in lines[1]
    assert lines[1].startswith(article_id(str(tmp_path / "wire" / "wire.jsonl") + "#a25"))
    assert lines[-1] == "next: --page 2"

    code, out, _ = run(capsys, "articles", "list", "--page", "2")
    assert out.splitlines()[0] == "articles: 21-25 of 25 (page 2 of 2)"
    assert "report number 1 " in out.splitlines()[-1] and "next:" not in out

    code, out, _ = run(capsys, "articles", "list", "--search", "mOSUL", "--per-page", "3")
    lines = out.splitlines()
    assert lines[0] == "articles matching 'mOSUL': 1-3 of 8 (page 1 of 3)"
    assert [line.split("  ")[3] for line in lines[1:4]] == [
        "Mosul report number 24",
        "Mosul report number 21",
        "Mosul report number 18",
    ]

    code, out, _ = run(
        capsys, "articles", "list", "--search", "mosul", "--json", "--page", "3", "--per-page", "3"
    )
    listed = json.loads(out)
    assert (listed["page"], listed["pages"], listed["total"]) == (3, 3, 8)
    assert [a["title"] for a in listed["articles"]] == [
        "Mosul report number 6",
        "Mosul report number 3",
    ]
    assert listed["articles"][0]["published"] == "2026-01-06"
    assert listed["articles"][0]["chunks"] == 1

    code, out, _ = run(capsys, "articles", "list", "--search", "Kirkuk")
    assert (code, out) == (0, "no articles with 'Kirkuk' in the title\n")


def test_bad_pages_are_refused_with_the_reason(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_records(tmp_path / "wire", many_articles(3))
    capsys.readouterr()
    code, _, err = run(capsys, "articles", "list", "--page", "3")
    assert code == 2
    assert "page 3 is past the last one: 3 articles make 1 pages of 20" in err
    for bad in (["--page", "0"], ["--per-page", "-1"], ["--page", "two"]):
        with pytest.raises(SystemExit) as exit_:
            main(["articles", "list", *bad])
        assert exit_.value.code == 2
        assert "must be 1 or more" in capsys.readouterr().err or bad[1] == "two"


def test_an_empty_index_says_so_and_how_to_fill_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "articles", "list")
    assert code == 0 and "the index is empty: add articles with `newsdesk index" in out
    for action in ("show", "rm"):
        code, _, err = run(capsys, "articles", action, "0123456789ab")
        assert code == 2
        assert "no article with id '0123456789ab' (the index is empty)" in err
        code, _, err = run(capsys, "articles", action)
        assert code == 2 and f"`newsdesk articles {action}` needs the article's id" in err


def test_show_by_id_start_of_id_or_key(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    body = " ".join(f"Sentence {n} about the Tigris bridge." for n in range(200))
    story = folder / "bridge.md"
    story.write_text(f"Bridge opens in Mosul\n\n{body}")
    assert main(["index", str(folder), "--quiet"]) == 0
    capsys.readouterr()
    wanted = article_id(str(story))

    for given in (wanted, wanted[:5].upper(), str(story)):
        code, out, _ = run(capsys, "articles", "show", given, "--chars", "60")
        assert code == 0
        assert f"id:         {wanted}" in out and "title:      Bridge opens in Mosul" in out
        assert f"from:       {story}" in out and "chunks:     " in out
        assert out.rstrip().endswith(
            "Sentence 0 about the Tigris bridge. Sentence 1 about the Tig…"
        )

    code, out, _ = run(capsys, "articles", "show", wanted, "--json")
    shown = json.loads(out)
    assert shown["text_chars"] == len(body) and shown["chunks"] > 1
    assert shown["text_start"].startswith("Sentence 0 about")

    for unknown in ("abc", "ffffffffffff", " ", "x" * 5000):
        code, _, err = run(capsys, "articles", "show", unknown)
        assert code == 2 and "see `newsdesk articles list`" in err and len(err) < 300


def keyword_of(home: Path) -> KeywordIndex:
    return KeywordIndex(keyword_index_folder(make_settings(home)))


def store_of(home: Path) -> ArticleStore:
    return open_article_store(make_settings(home))


def test_rm_removes_from_store_and_keyword_index_and_reindex_brings_it_back(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "mayor.md").write_text(
        "Mayor elected in Tal Sufouq\n\nThe council elected Ahmed Jabouri as mayor of Tal Sufouq."
    )
    (folder / "bridge.md").write_text("Bridge opens\n\nThe new bridge over the Tigris opened.")
    assert main(["index", str(folder), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["ask", "--json", "who is the mayor of Tal Sufouq?"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["title"].startswith("Mayor")
    mayor = article_id(str(folder / "mayor.md"))

    code, out, _ = run(capsys, "articles", "rm", mayor, "--dry-run")
    assert code == 0 and out.startswith(f"would remove {mayor} 'Mayor elected in Tal Sufouq'")
    assert store_of(home).overview().articles == 2

    code, out, _ = run(capsys, "articles", "rm", mayor)
    assert code == 0
    assert out.splitlines()[0] == (
        f"removed {mayor} 'Mayor elected in Tal Sufouq': 1 chunks from the vector store and "
        "the keyword index"
    )
    assert f"its source {folder / 'mayor.md'} is still there" in out
    store, keyword = store_of(home), keyword_of(home)
    assert store.overview().articles == 1 and keyword.folder.count() == store.count() == 1
    assert not keyword.sync.catch_up(store)  # in step: nothing left over to catch up
    assert main(["ask", "--json", "who is the mayor of Tal Sufouq?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "Jabouri" not in answer["answer"]
    assert all(c["title"] == "Bridge opens" for c in answer["citations"])

    code, _, err = run(capsys, "articles", "rm", mayor)
    assert code == 2 and f"no article with id {mayor!r}" in err

    assert main(["index", str(folder)]) == 0  # the file is still there: indexed again, as new
    assert "2 articles read (1 new, 0 changed, 1 unchanged)" in capsys.readouterr().out
    assert keyword_of(home).folder.count() == store_of(home).count() == 2


def test_rm_waits_for_an_indexing_run_then_gives_up(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index_records(tmp_path / "wire", many_articles(2))
    capsys.readouterr()
    wanted = article_id(str(tmp_path / "wire" / "wire.jsonl") + "#a1")
    monkeypatch.setenv("NEWSDESK_INDEX_WAIT_SECONDS", "0.5")
    with WriterLock(make_settings(home).chroma_dir).held():  # another run is writing
        code, _, err = run(capsys, "articles", "rm", wanted)
    assert code == 2
    assert "is writing to this index; waiting up to" in err
    assert "has been writing to this index for over 0 s" in err
    assert store_of(home).overview().articles == 2


@pytest.mark.parametrize("command", ["articles", "export", "backup", "restore"])
def test_each_operator_command_explains_itself(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: newsdesk {command}") and len(out.splitlines()) > 6
    with pytest.raises(SystemExit):
        main(["--help"])
    assert command in capsys.readouterr().out
