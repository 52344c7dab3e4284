"""Time in questions (issue 28): the span a question's words name, read against a fixed day;
retrieval ranking reports from that span first, or keeping to dates given explicitly; and a
"now" question answered from old reports saying how old. Four dated reports about an invented
town, Varnak, over a real Chroma, the bundled model and the keyword index."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from langchain_core.documents import Document

from bot.answering.chain_states import Gated
from bot.answering.retrieval import ChunkRetriever
from bot.answering.time_window import DatesError, TimeWindow, explicit_window, window_in
from bot.cli.main import main
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.support.fakes import RecordingChatModel
from tests.test_llm import PROMPTS, llm_step

ASKED = date(2024, 5, 10)  # a Friday

SPANS = [
    ("what happened today in Varnak?", date(2024, 5, 10), date(2024, 5, 10)),
    ("what happened yesterday?", date(2024, 5, 9), date(2024, 5, 9)),
    ("what happened last week?", date(2024, 4, 29), date(2024, 5, 5)),
    ("what happened this month?", date(2024, 5, 1), date(2024, 5, 10)),
    ("who won last month?", date(2024, 4, 1), date(2024, 4, 30)),
    ("who controlled Varnak in January 2024?", date(2024, 1, 1), date(2024, 1, 31)),
    ("who controlled Varnak in January?", date(2024, 1, 1), date(2024, 1, 31)),
    ("who controlled Varnak in December?", date(2023, 12, 1), date(2023, 12, 31)),
    ("what changed since March?", date(2024, 3, 1), None),
    ("what happened after 5 March 2024?", date(2024, 3, 6), None),
    ("who ran Varnak before 2023?", None, date(2022, 12, 31)),
    ("who ran the city during 2023?", date(2023, 1, 1), date(2023, 12, 31)),
    ("what was agreed on 2024-02-14?", date(2024, 2, 14), date(2024, 2, 14)),
    ("what happened in 2024?", date(2024, 1, 1), ASKED),  # a span ends today at the latest
]


@pytest.mark.parametrize(("question", "since", "until"), SPANS)
def test_the_span_a_question_names(question: str, since: date | None, until: date | None) -> None:
    window = window_in(question, ASKED)
    assert window is not None
    assert (window.since, window.until) == (since, until)
    assert not window.hard  # words are a preference; only dates given are a filter


@pytest.mark.parametrize(
    "question",
    ["who controls Varnak now?", "what is the latest on Varnak?", "Which team won this week?"],
)
def test_now_latest_and_this_week_ask_for_the_newest(question: str) -> None:
    window = window_in(question, ASKED)
    assert window is not None and window.recent and not window.is_span


@pytest.mark.parametrize(
    "question",
    [
        "who controls Qairawan?",
        "Who is Hadi al-Amiri?",
        "who may win the vote?",  # 'may' the verb
        "Which teams are headed to the Super Bowl on June 12?",  # a schedule, not reports
        "Which politician is running for president in 2025?",  # a plan
        "",
        "2024 2024 2024",
    ],
)
def test_questions_naming_no_span(question: str) -> None:
    window = window_in(question, ASKED)
    assert window is None or not window.is_span


def test_a_very_long_question_is_read_quickly() -> None:
    question = "who controlled Varnak in January 2024? " * 25
    window = window_in(question, ASKED)
    assert window is not None and window.since == date(2024, 1, 1)


def test_dates_given_are_a_filter_and_must_be_in_order() -> None:
    window = explicit_window(date(2024, 3, 1), None)
    assert window == TimeWindow(date(2024, 3, 1), None, hard=True, said="the dates given")
    assert explicit_window(None, None) is None
    with pytest.raises(DatesError, match="wrong way round"):
        explicit_window(date(2024, 3, 2), date(2024, 3, 1))


VARNAK = [
    ("jan", "2024-01-10", "The Blue Brigade controls Varnak, its commander said in January."),
    ("feb", "2024-02-12", "Fighting reached the edge of Varnak as the Blue Brigade dug in."),
    ("mar", "2024-03-05", "The Red Front took control of Varnak after the Blue Brigade withdrew."),
    ("apr", "2024-04-20", "The Red Front controls Varnak and has reopened the market there."),
]


@pytest.fixture
def varnak(
    fresh_store: ArticleStore, tmp_path: Path, embeddings: SentenceTransformerEmbeddings
) -> ChunkRetriever:
    articles = [
        Article(key=key, title=f"Varnak report {key}", text=text, published=published)
        for key, published, text in VARNAK
    ]
    keyword = KeywordIndex(tmp_path / "keyword")
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)
    return ChunkRetriever(store=fresh_store, embeddings=embeddings, keyword=keyword.search, k=4)


def keys(retriever: ChunkRetriever, question: str, window: TimeWindow | None) -> list[str]:
    found = retriever.invoke(question, as_of=ASKED, window=window)
    return [d.metadata["article_key"] for d in found]


def test_dates_given_keep_to_them(varnak: ChunkRetriever) -> None:
    window = explicit_window(date(2024, 3, 1), date(2024, 3, 31))
    assert keys(varnak, "who controls Varnak?", window) == ["mar"]
    assert keys(varnak, "who controls Varnak?", explicit_window(date(2025, 1, 1), None)) == []


@pytest.fixture
def varnak_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "varnak.jsonl"
    source.write_text(
        "".join(
            json.dumps({"title": f"Varnak report {key}", "text": text, "published": published})
            + "\n"
            for key, published, text in VARNAK
        )
    )
    assert main(["index", "--quiet", str(source)]) == 0
    return tmp_path / "home"


def test_ask_since_and_until_on_the_cli(
    varnak_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ask = ["ask", "--json", "--as-of", "2024-05-10", "who controls Varnak?"]
    assert main([*ask, "--since", "2024-03-01", "--until", "2024-03-31"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {c["published"] for c in answer["citations"]} == {"2024-03-05"}

    assert main([*ask, "--since", "2023-01-01", "--until", "2023-12-31"]) == 0
    refused = json.loads(capsys.readouterr().out)
    assert refused["refused"]
    assert "Only articles published from 1 January 2023 to 31 December 2023" in refused["answer"]

    assert main([*ask, "--since", "2024-04-01", "--until", "2024-03-01"]) == 2
    assert "wrong way round" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused_date:
        main([*ask, "--since", "March"])
    assert refused_date.value.code == 2
    assert "not a date in YYYY-MM-DD form" in capsys.readouterr().err


def test_a_now_question_answered_from_old_reports_says_how_old(
    varnak_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["ask", "--as-of", "2024-09-01", "who controls Varnak now?"]) == 0
    out = capsys.readouterr().out
    assert "(Newest report cited: 20 April 2024.)" in out
    assert main(["ask", "--as-of", "2024-04-25", "who controls Varnak now?"]) == 0
    assert "Newest report" not in capsys.readouterr().out  # five days old: not stale


def test_an_answer_from_outside_the_span_asked_about_says_when_its_reports_are_from(
    varnak_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["ask", "--as-of", "2024-05-10", "who controlled Varnak in 2022?"]) == 0
    out = capsys.readouterr().out
    assert "none from 1 January 2022 to 31 December 2022.)" in out
    assert main(["ask", "--as-of", "2024-05-10", "who controlled Varnak in 2024?"]) == 0
    assert "Newest report cited" not in capsys.readouterr().out


def test_the_llm_is_told_when_the_question_was_asked_and_what_time_it_asks_about() -> None:
    question = "who controlled Varnak in January 2024?"
    doc = Document(
        page_content="The Blue Brigade controls Varnak.",
        metadata={"title": "Varnak", "published": "2024-01-10", "relevance": 0.9},
    )
    for window, said in [
        (window_in(question, ASKED), "It asks about reports published from 1 January 2024"),
        (window_in("who controls Varnak now?", ASKED), "It asks for the newest reports"),
    ]:
        model = RecordingChatModel(responses=["The Blue Brigade [1]."], prompts=[])
        state = Gated(question, (), ASKED, None, understood_as=question, window=window,
                      passages=[doc], relevant=[doc])  # fmt: skip
        llm_step(model, PROMPTS).invoke(state)
        (prompt,) = model.prompts
        assert "(Asked on 10 May 2024." in prompt and said in prompt
        assert "(Varnak, 2024-01-10)" in prompt or "2024-01-10" in prompt  # each passage's date


def test_an_llm_answer_leading_with_the_newest_report_and_its_date_passes_the_check() -> None:
    """Asked for the newest, the model is told to lead with the newest report's answer and
    date, then the earlier one's: dates said in words ("20 April 2024") are the passages'."""
    question = "who controls Varnak now?"
    passages = [
        Document(page_content=text, metadata={"title": f"Varnak {key}", "published": published,
                                              "relevance": 0.9})
        for key, published, text in (VARNAK[3], VARNAK[0])
    ]  # fmt: skip
    reply = (
        "The Red Front [1]\n"
        "The Red Front controls Varnak, as of 20 April 2024 [1]. "
        "Before that, the Blue Brigade controlled it (10 January 2024) [2]."
    )
    model = RecordingChatModel(responses=[reply], prompts=[])
    window = window_in(question, ASKED)
    state = Gated(question, (), ASKED, None, understood_as=question, window=window,
                  passages=passages, relevant=passages)  # fmt: skip
    outcome = llm_step(model, PROMPTS).invoke(state)
    (prompt,) = model.prompts
    assert "lead with the newest one's answer and its date" in prompt
    answer = outcome.answer
    assert not answer.unsupported, answer.checks
    assert answer.short_answer == "The Red Front"
    assert "as of 20 April 2024 [1]" in answer.answer and "(10 January 2024) [2]" in answer.answer
    # a date no passage has is still caught
    wrong = reply.replace("20 April", "21 April")
    model = RecordingChatModel(responses=[wrong], prompts=[])
    assert llm_step(model, PROMPTS).invoke(state).answer.unsupported
