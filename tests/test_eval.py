"""`newsdesk eval` on a hand-made bench whose figures are known in advance."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from index.embeddings import SentenceTransformerEmbeddings
from tests.conftest import make_settings

ARTICLES = [
    {"id": "a1", "url": "https://example.org/hamlin", "title": "Hamlin breathing on his own",
     "published": "2023/01/05", "source": "example.org",
     "text": "Damar Hamlin, the Buffalo Bills safety, is breathing on his own. Doctors removed "
             "his breathing tube overnight.\n\nThe Bills play the Patriots on Sunday."},
    {"id": "a2", "url": "https://example.org/sesame", "title": "FDA adds sesame to allergen list",
     "published": "2023/01/02", "source": "example.org",
     "text": "Sesame is now the ninth major food allergen in the United States. The FDA rule "
             "took effect on January 1.\n\nFood makers must label sesame clearly."},
    {"id": "a3", "url": "https://example.org/weather", "title": "Storms batter California",
     "published": "2023/01/09", "source": "example.org",
     "text": "Atmospheric rivers brought flooding to California this week. Thousands were "
             "told to evacuate."},
]  # fmt: skip
QUESTIONS = [
    {"id": "q1", "question": "Damar Hamlin is a safety for which NFL team?",
     "answer": "Buffalo Bills", "answer_in_corpus": True},
    {"id": "q2", "question": "Which seed did the FDA add to its list of major food allergens?",
     "answer": "Sesame", "answer_in_corpus": True},
    {"id": "q3", "question": "Which country won the 1950 football World Cup?",
     "answer": "Uruguay", "answer_in_corpus": False},
    {"id": "q4", "question": "Not asked with --limit 3", "answer": "x", "answer_in_corpus": True},
]  # fmt: skip


def write_bench(
    folder: Path, articles: list[dict[str, str]], questions: list[dict[str, object]]
) -> Path:
    folder.mkdir()
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(article) + "\n" for article in articles)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return folder


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "user-home"))
    monkeypatch.chdir(tmp_path)
    return write_bench(tmp_path / "bench", ARTICLES, QUESTIONS)


def test_eval_reports_known_figures_and_never_touches_the_users_store(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(bench), "--limit", "3", "--json", "--baseline"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["articles"], report["questions"], report["answerable"]) == (3, 3, 2)
    ours = report["newsdesk"]
    assert ours["hit_at_1"] == 1.0 and ours["mrr_at_10"] == 1.0
    assert report["answer_accuracy"] == 1.0
    assert report["citation_precision"] == 1.0
    assert report["refusal_rate"] == pytest.approx(1 / 3)
    assert ours["latency_p50_ms"] > 0
    # Each article is one short chunk, so every question's passages are the three articles.
    mean_length = sum(len(a["text"]) for a in ARTICLES) / len(ARTICLES)
    assert ours["passage_chars"] == pytest.approx(mean_length)
    assert report["baseline"]["passage_chars"] == pytest.approx(mean_length)
    assert report["baseline"]["hit_at_10"] == 1.0 and report["baseline_chunks"] == 3
    assert not (tmp_path / "user-home").exists(), "the user's store was not created or touched"


def test_eval_prints_a_table_next_to_the_baseline(
    bench: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(bench), "--limit", "2", "--baseline"]) == 0
    table = capsys.readouterr().out
    assert "3 articles, 2 questions (2 with the answer in the corpus)" in table
    assert table.splitlines()[3].split() == ["measure", "newsdesk", "textbook"]
    assert "Hit@4" in table and "answer accuracy" in table and "passage length" in table


def test_bad_bench_folders_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nowhere")]) == 2
    assert "questions.jsonl not found" in capsys.readouterr().err
    (tmp_path / "questions.jsonl").write_text('{"question": "q"}\n')
    assert main(["eval", str(tmp_path)]) == 2
    assert "questions.jsonl:1: not a question record" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--limit", "0"]) == 2
    assert main(["eval", str(tmp_path), "--answers", str(tmp_path / "no" / "a.jsonl")]) == 2
    assert "no folder" in capsys.readouterr().err


def test_the_temporary_store_is_removed_after_a_run_and_when_interrupted(
    bench: Path, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    from bot.evaluation.run import run_eval

    settings = make_settings(tmp_path / "user-home")
    lines: list[str] = []
    report = run_eval(bench, settings, embeddings, limit=1, say=lines.append)
    assert report.articles == 3, "every article is indexed, even with --limit"

    def store_in(line: str) -> Path:  # "indexing all 3 articles into DIR (a store of its own)"
        return Path(line.split(" into ")[1].split(" (")[0])

    first = store_in(lines[0])
    assert first.name.startswith("newsdesk-eval-") and not first.exists()

    def interrupt(line: str) -> None:
        lines.append(line)
        if line.startswith("  "):  # the indexing summary: the store is written by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(bench, settings, embeddings, say=interrupt)
    second = store_in(next(line for line in lines[1:] if " into " in line))
    assert second != first and not second.exists()


def test_eval_measures_each_bench_and_backend_in_a_store_of_its_own(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other-bench"
    other.mkdir()
    for name in ("articles.jsonl.gz", "questions.jsonl"):
        (other / name).write_bytes((bench / name).read_bytes())
    store = tmp_path / "stores"
    argv = ["eval", str(bench), str(other), "--limit", "2", "--json", "--store", str(store)]
    assert main([*argv, "--backend", "torch", "--backend", "onnx"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [(Path(r["bench"]).name, r["embeddings"]) for r in reports] == [
        ("bench", "all-MiniLM-L6-v2/torch"),
        ("bench", "all-MiniLM-L6-v2/onnx"),
        ("other-bench", "all-MiniLM-L6-v2/torch"),
        ("other-bench", "all-MiniLM-L6-v2/onnx"),
    ]
    assert all(r["newsdesk"]["hit_at_1"] == 1.0 for r in reports), "onnx retrieves as torch"
    assert sorted(p.name for p in store.iterdir()) == [
        "bench-onnx",
        "bench-torch",
        "other-bench-onnx",
        "other-bench-torch",
    ]


def test_a_kept_store_reuses_the_textbook_index_until_the_articles_change(
    bench: Path, embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    from bot.evaluation.run import run_eval

    settings = make_settings(tmp_path / "user-home")
    kept = tmp_path / "kept"
    first: list[str] = []
    before = run_eval(bench, settings, embeddings, store_dir=kept, baseline=True, say=first.append)
    assert any(line.startswith("textbook baseline: embedding 3 chunks") for line in first)
    again: list[str] = []
    after = run_eval(bench, settings, embeddings, store_dir=kept, baseline=True, say=again.append)
    assert any(line.startswith("textbook baseline: reusing its 3 chunks") for line in again)
    assert after.baseline is not None and before.baseline is not None
    assert after.baseline.hit_at_10 == before.baseline.hit_at_10 == pytest.approx(2 / 3)

    # One article's text changes: the textbook index is built again, never reused stale.
    changed = [dict(ARTICLES[0], text=ARTICLES[0]["text"] + " New line."), *ARTICLES[1:]]
    with gzip.open(bench / "articles.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(article) + "\n" for article in changed)
    rebuilt: list[str] = []
    run_eval(bench, settings, embeddings, store_dir=kept, baseline=True, say=rebuilt.append)
    assert any(line.startswith("textbook baseline: embedding") for line in rebuilt)


def test_eval_measures_an_llm_on_the_wire_beside_the_extractive_default(
    bench: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.fake_llm_provider import FakeLLMProvider

    def reply(body: dict[str, object]) -> str:
        asked = str(body["messages"])
        if "Hamlin is a safety" in asked:
            return "Damar Hamlin plays for the Buffalo Bills [1]."
        return "The FDA made Sesame the 12th major allergen [1]."  # 12th: not in the passage

    provider = FakeLLMProvider().start()
    provider.reply_for = reply
    argv = ["eval", str(bench), "--limit", "3", "--llm", "openai:fake-model"]
    try:
        assert main([*argv, "--llm-base-url", provider.base_url, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert main([*argv, "--llm-base-url", provider.base_url]) == 0
        table = capsys.readouterr().out
    finally:
        provider.stop()
    extractive, llm = report["answerers"]
    assert extractive["answerer"] == "extractive" and llm["answerer"] == "openai:fake-model"
    assert extractive["answer_accuracy"] == report["answer_accuracy"] == 1.0
    assert extractive["supported_share"] == 1.0, "quoted sentences hold what they state"
    assert llm["answer_accuracy"] == 0.5, "the Sesame answer was refused: its claim failed"
    assert llm["supported_share"] == 0.5 and llm["citation_precision"] == 1.0
    assert llm["refusal_rate"] == pytest.approx(2 / 3) and llm["errors"] == 0
    assert llm["seconds_per_question"] > 0
    assert len(provider.bodies) == 4, "two answerable questions, two runs; q3 never reached it"
    assert "supported-sentence share" in table and "openai:fake-model" in table
    assert "--llm-base-url needs --llm" in _error_of(["eval", str(bench), "--llm-base-url", "x"])


def _error_of(argv: list[str]) -> str:
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(argv) == 2
    return err.getvalue()


def test_eval_reports_the_short_answer_and_writes_each_answer(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.jsonl"
    argv = ["eval", str(bench), "--limit", "3", "--json", "--answers", str(answers)]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    # "Buffalo Bills" is found first; "Sesame", one capitalised word opening its sentence, is
    # not taken for a name, but its sentence is given.
    assert report["short_answer_accuracy"] == 0.5
    assert report["short_answer_precision"] == 0.5, "both got a short answer, one right"
    assert report["answer_accuracy"] == 1.0
    assert 3 <= report["median_answer_words"] <= 40
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    first = lines[0]
    assert set(first) == {"id", "question", "answer", "short_answer", "refused", "gold_rank"}
    assert "Buffalo Bills" in first["short_answer"] and "[1]" in first["answer"]
    assert first["gold_rank"] == 1 and first["refused"] is False
    assert lines[2]["gold_rank"] is None, "Uruguay is in no passage"
    assert main(["eval", str(bench), "--limit", "2"]) == 0
    table = capsys.readouterr().out
    assert "short-answer accuracy" in table and "median answer, words" in table
    assert "short answers right, given" in table


def test_eval_counts_only_the_short_answers_given_in_their_precision(
    bench: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    festival = {
        "id": "a4", "url": "https://example.org/crowds", "title": "Crowds at the Hilton",
        "published": "2023/01/08", "source": "example.org",
        "text": "Crowds celebrated the Hindu festival as Matthew Perry arrived at the Hilton this "
                "week.",
    }  # fmt: skip
    asked = {
        "id": "q5", "question": "Which Hindu festival did the crowds celebrate this week?",
        "answer": "Hilton", "answer_in_corpus": True,
    }  # fmt: skip
    other = write_bench(tmp_path / "festival", [*ARTICLES, festival], [*QUESTIONS[:2], asked])
    answers = tmp_path / "festival.jsonl"
    assert main(["eval", str(other), "--json", "--answers", str(answers)]) == 0
    report = json.loads(capsys.readouterr().out)
    lines = {line["id"]: line for line in map(json.loads, answers.read_text().splitlines())}
    assert lines["q5"]["short_answer"] == "", "no name near 'Hindu festival': none is given"
    assert "Hilton" in lines["q5"]["answer"], "its sentence is still the answer"
    assert report["short_answer_accuracy"] == pytest.approx(1 / 3)
    assert report["short_answer_precision"] == 0.5, "of the two given, one is right"
