"""Questions about the seed article, asked as readers ask them: plainly, in other words, and
misspelled. Each must be answered with a passage that holds the answer, and cited; questions
the article doesn't cover must be refused. Real Chroma, the real model, the real keyword index."""

from __future__ import annotations

import re

import pytest

from bot.answering.answers import Answer
from bot.answering.service import AnswerService
from index.store import ArticleStore
from tests.test_answers import assert_well_cited

# (question, text the answer must contain)
ANSWERED = [
    ("who controls Qairawan?", "Qairawan"),
    ("Who leads the Badr Organization?", "Hadi al-Amiri"),
    ("Who is the leader of the Badr Organisation?", "al-Amiri"),
    ("How many Iraqis were killed in April?", "317"),
    ("How many Iraqis were injured in April?", "403"),
    ("How much land do Islamic State militants still hold in western Mosul?", "ten"),
    ("Who is the spokesman for Operation Inherent Resolve?", "Ryan Dillon"),
    ("When did government troops regain control over eastern Mosul?", "January"),
    ("Where did al-Baghdadi declare the group's rule in Iraq?", "Old City"),
    ("How many militias make up the PMUs?", "60"),
    ("How many civilians were killed in Bahzar?", "Two civilians"),
    ("Which border crossing are the PMUs advancing toward?", "Tal Sufouq"),
    ("Who counted the Iraqis killed in April?", "United Nations"),
    ("What is Islamic State's largest stronghold in Iraq?", "Mosul"),
    ("Which village did the troops clear on Thursday?", "al-Khubra"),
    # Misspelled, the way readers type: understood as the article spells them.
    ("who controls Qairwan?", "Qairawan"),
    ("who controls Qairawn", "Qairawan"),
    ("How many civilians were killed in Bahzr?", "Two civilians"),
    ("what did al Amiri say?", "Amiri"),
    # The article says it twice, "ten square kilometers" and "10 sq. km": either answers.
    ("How many kilometers of Mossul does ISIS still hold?", "ten square kilometers"),
    ("How close are the Iraqi forces to controlling Mousl?", "ten kilometers"),
]
REFUSED = [
    "What is the population of Baghdad?",
    "Who won the Super Bowl?",
    "How do I bake sourdough bread?",
    "Who controls Zorblaxia?",
]


def ask(service: AnswerService, question: str) -> tuple[str, Answer]:
    answer = service.answer(question)
    return answer.standalone, answer


@pytest.mark.parametrize(("question", "expected"), ANSWERED)
def test_seed_questions_are_answered_and_cited(
    seed_service: AnswerService, seed_store: ArticleStore, question: str, expected: str
) -> None:
    _, answer = ask(seed_service, question)
    assert not answer.refused, question
    assert expected.lower() in answer.answer.lower(), (question, answer.answer)
    assert_well_cited(answer, seed_store)


@pytest.mark.parametrize("question", REFUSED)
def test_questions_the_article_does_not_cover_are_refused(
    seed_service: AnswerService, question: str
) -> None:
    understood, answer = ask(seed_service, question)
    assert understood == question, "nothing in the question is 'corrected' into the article"
    assert answer.refused, (question, answer.answer)


def test_there_are_at_least_twenty_seed_questions() -> None:
    assert len(ANSWERED) + len(REFUSED) >= 20


def test_the_badr_leader_is_answered_first_with_his_sentence_quoted(
    seed_service: AnswerService,
) -> None:
    answer = seed_service.answer("Who leads the Badr Organization?")
    assert answer.short_answer == "Hadi al-Amiri"
    first = answer.answer.split(" [")[0]
    assert "Hadi al-Amiri" in first, answer.answer
    quotes = " ".join(c.quote for c in answer.citations)
    sentences = re.findall(r"(.+?) \[\d+\]\s*", answer.answer)
    assert sentences and all(sentence.strip() in quotes for sentence in sentences), (
        "every cited sentence's quote is under Sources"
    )


def test_who_controls_qairawan_is_answered_by_the_doer_named_al_hashd_al_shaabi(
    seed_service: AnswerService,
) -> None:
    """A name spelt with a lowercase "al-" is a name, and the doer standing before the
    question's words ("al-Hashd al-Shaabi troops ... liberation of Qairawan") is read as the
    answer, not the town named after them ("Tal Afar")."""
    answer = seed_service.answer("who controls Qairawan?")
    assert answer.short_answer == "al-Hashd al-Shaabi", answer.answer
