"""Misspelled names corrected against the keyword index built from the seed article."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.answering.spelling import correct_spelling
from bot.cli.main import main
from bot.wiring.bot import BotServices
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings, bundled_words
from index.keyword import KeywordIndex
from index.pipeline import index_articles
from index.store import ArticleStore


@dataclass
class Counts:
    """A vocabulary of these chunk counts, with no articles to place a word in (as a
    question whose other words find nothing); it notes how many words each look-up asks for."""

    counts: dict[str, int]
    looked_up: list[int] = field(default_factory=list)

    def document_frequencies(self, candidates: Iterable[str]) -> dict[str, int]:
        wanted = list(candidates)
        self.looked_up.append(len(wanted))
        return {term: self.counts[term] for term in wanted if term in self.counts}

    def in_articles_found_for(self, term: str, query: str) -> bool | None:
        return None


@pytest.mark.parametrize(
    ("asked", "understood"),
    [
        ("who controls Qairwan?", "who controls Qairawan?"),  # a letter dropped
        ("who controls Qiarawan?", "who controls Qairawan?"),  # two letters swapped
        ("WHO CONTROLS QAIRAWN", "WHO CONTROLS QAIRAWAN"),  # the case is kept
        ("what did al Amiri say?", "what did al-Amiri say?"),  # written hyphenated
        ("fighting in Mossul", "fighting in Mosul"),
    ],
)
def test_misspelled_names_are_spelled_as_the_article_spells_them(
    seed_bot: BotServices, asked: str, understood: str
) -> None:
    assert seed_bot.service.answer(asked).understood_as == understood


@pytest.mark.parametrize(
    "asked",
    [
        "who controls Qairawan?",  # spelled right
        "fighting in Mousl",  # the article itself spells it so
        "who controls Zorblaxia?",  # made up: nothing indexed is one edit away
        "Who won the Super Bowl in Uruguay?",  # English words the article lacks stay
        "is it ISIL or ISIS",  # short words have too many neighbours to guess from
    ],
)
def test_words_that_are_known_or_not_close_to_anything_are_left_alone(
    seed_bot: BotServices, asked: str
) -> None:
    assert seed_bot.service.answer(asked).understood_as == ""


def test_the_most_frequent_neighbour_wins_and_ties_are_stable() -> None:
    counts = Counts({"mosul": 5, "mosun": 1, "basra": 2, "basri": 2})
    assert correct_spelling("Mosol", counts, frozenset()) == "Mosul"
    assert correct_spelling("basrx", counts, frozenset()) == "basra"
    assert correct_spelling("", counts, frozenset()) == ""
    assert correct_spelling("?!", counts, frozenset()) == "?!"


def test_ask_says_how_it_understood_a_corrected_question(
    seed_home, seed_store, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(seed_home))
    monkeypatch.chdir(seed_home)  # no .env from the project directory
    assert main(["ask", "who controls Qairwan?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("(Understood as: who controls Qairawan?)")
    assert main(["ask", "who controls Qairwan?", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["question"] == "who controls Qairwan?"
    assert record["understood_as"] == "who controls Qairawan?"
    assert not record["refused"] and "Qairawan" in record["answer"]


def test_a_question_full_of_unknown_words_has_only_its_first_few_looked_up() -> None:
    counts = Counts({"qairawan": 1})
    question = " ".join(["Qairwan"] * 200)
    fixed = correct_spelling(question, counts, frozenset())
    assert fixed.split()[:5] == ["Qairawan"] * 5 and fixed.split()[5:] == ["Qairwan"] * 195
    edits = [count for count in counts.looked_up if count > 1]
    assert len(edits) == 1 + 5, "the question's words once, then the words one edit away 5 times"


def test_a_name_the_articles_never_mention_is_not_turned_into_one_they_do(
    tmp_path: Path, fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    """ "Cantona" is one letter from "cantina", which an article holds, but not one that the
    rest of the question finds: a name spelled right, not a typo, so it stays as asked."""
    keyword = KeywordIndex(tmp_path / "keyword")
    articles = [
        Article(key="https://x.org/cantina", title="Cantina Opens",
                text="A new cantina opened in Austin on the first weekend of the month."),
        Article(key="https://x.org/concert", title="Concert Review",
                text="The football legend sang at his first concert, in Lyon, a French city."),
    ]  # fmt: skip
    index_articles(articles, fresh_store, embeddings, keyword=keyword.sync)

    def spell(question: str) -> str:
        english = bundled_words() - {"cantina"}
        return correct_spelling(question, keyword.vocabulary, english)

    asked = "Football legend Eric Cantona gave his concert. In which French city?"
    assert spell(asked) == asked
    assert spell("Which Cantna opened in Austin?") == "Which Cantina opened in Austin?"
    assert spell("Cantna") == "Cantina"  # nothing else in the question to contradict it
    assert keyword.vocabulary.in_articles_found_for("cantina", "opened in Austin") is True
    assert keyword.vocabulary.in_articles_found_for("cantina", "French football concert") is False
    assert keyword.vocabulary.in_articles_found_for("cantina", "Zorblaxia") is None
