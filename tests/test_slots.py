"""Where the question puts its answer: the words either side of what it asks, and the
candidate standing between the same words in a sentence chosen over one that doesn't."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from bot.answering.asked import AnswerKind
from bot.answering.candidates import spans
from bot.answering.extractive import sentence_pool
from bot.answering.reader import WEIGHTS, read
from bot.answering.slots import Slot, asked_slot, slot_fit

WITHOUT_SLOTS = {**WEIGHTS, "slot_before": 0.0, "slot_after": 0.0}


@pytest.mark.parametrize(
    ("question", "slot"),
    [
        ("The Pell grant was raised by how much?", Slot("by", None)),
        ("Which team won the Harbour Cup?", Slot(None, "won")),
        ("Who leads the Badr Organization?", Slot(None, "leads")),
        ("He is a valued member of which team?", Slot("of", None)),
        ("Voters in which state approved the measure?", Slot("in", "approved")),
        # The last asking phrase asks: not the relative "which".
        (
            "A balloon, which officials said spied, was shot down off the coast of which state?",
            Slot("of", None),
        ),
        # An article is no slot word, nor is "and" before the phrase.
        ("Prices rose, and what did the bank do?", Slot(None, None)),
        ("The Doomsday Clock moved to how many seconds to midnight?", Slot("to", "to")),
        ("Tell me about the harbour.", Slot(None, None)),
        ("", Slot(None, None)),
        ("???", Slot(None, None)),
    ],
)
def test_the_words_either_side_of_what_a_question_asks(question: str, slot: Slot) -> None:
    assert asked_slot(question) == slot


def test_a_candidate_between_the_same_words_fits_the_slot() -> None:
    sentence = "Congress raised the grant by $500 for about 7 million students."
    found = {span.text: span for span in spans(sentence, AnswerKind.NUMBER)}
    assert slot_fit(sentence, found["$500"], Slot("by", None)) == (1.0, 0.0)
    assert slot_fit(sentence, found["7 million"], Slot("by", None)) == (0.0, 0.0)
    # Past an article before it; the word after is compared stemmed.
    names = "In the final, the Northgate Rovers controls the game."
    (rovers,) = spans(names, AnswerKind.PERSON)
    assert slot_fit(names, rovers, Slot("final", "control")) == (1.0, 1.0)
    assert slot_fit(names, rovers, Slot(None, None)) == (0.0, 0.0)
    assert slot_fit(names, rovers, Slot("in", "lost")) == (0.0, 0.0)


def passage(text: str) -> Document:
    return Document(
        page_content=text, metadata={"id": "c1", "title": "Article 1", "published": "2024-03-01"}
    )


@pytest.mark.parametrize(
    ("question", "text", "answer", "without"),
    [
        (
            "The Pell grant was raised by how much?",
            "About 7 million students get the Pell grant. Congress raised the grant by $500.",
            "$500",
            "7 million",
        ),
        (
            "Which team won the Harbour Cup?",
            "The Lakeside Hawks lost to the Northgate Rovers in the Harbour Cup final. "
            "The Northgate Rovers won after extra time.",
            "The Northgate Rovers",
            "The Lakeside Hawks",
        ),
        (
            "The Doomsday Clock was moved to how many seconds to midnight?",
            "The Doomsday Clock moved from 100 seconds to midnight to 90 seconds to midnight.",
            "90 seconds",
            "100 seconds",
        ),
    ],
)
def test_the_candidate_where_the_question_puts_its_answer_is_chosen(
    question: str, text: str, answer: str, without: str
) -> None:
    documents = [passage(text)]
    pool = sentence_pool(documents)
    scores = {i: 0.9 - 0.1 * i for i in range(len(pool))}
    reading = read(question, documents, pool, scores)
    assert reading is not None and reading.short_answer == answer, reading
    # The slot decides: without it the reader takes the other name.
    ignoring = read(question, documents, pool, scores, WITHOUT_SLOTS)
    assert ignoring is not None and ignoring.short_answer == without, ignoring
