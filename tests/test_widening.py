"""The short answer shows what its sentence says right after the chosen name or number when it
belongs to the answer: the unit counted, the other one of two asked for (widening.py)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from bot.answering.extractive import sentence_pool
from bot.answering.reader import read
from bot.answering.widening import asks_for_several


def short_answer(question: str, text: str, widen: bool = True) -> str:
    documents = [Document(page_content=text, metadata={"id": "c1", "title": "", "published": ""})]
    reading = read(question, documents, sentence_pool(documents), {}, widen=widen)
    assert reading is not None, (question, text)
    return reading.short_answer


@pytest.mark.parametrize(
    ("question", "text", "shown"),
    [
        (
            "Liz Truss resigned as prime minister after how many days in office?",
            "Truss resigned after 45 days in office, the shortest tenure.",
            "45 days",
        ),
        (
            "How many hot dogs did the champion eat?",
            "The champion ate 63 hot dogs in ten minutes.",
            "63 hot dogs",
        ),
        (
            "How many kilometers of Mosul does ISIS still hold?",
            "Militants control less than ten square kilometers of land in Mosul.",
            "ten square kilometers",
        ),
        # What describes the things counted without naming them is no unit.
        (
            "How many new cases were reported on Monday?",
            "Officials reported 500 new infections on Monday.",
            "500",
        ),
        # The number alone when its sentence counts something else.
        (
            "How many days did the strike last?",
            "About 11,000 workers walked out during the strike.",
            "11,000",
        ),
        (
            "Which two major supermarkets plan to merge in 2024?",
            "On Friday, Kroger and Albertsons said they plan to merge in 2024.",
            "Kroger and Albertsons",
        ),
        (
            "Which countries did NATO invite to join its alliance?",
            "NATO formally invited Sweden and Finland to join the alliance.",
            "Sweden and Finland",
        ),
        (
            "Detective Munch appeared for 23 years on what TV show franchise?",
            'Richard Belzer played Detective John Munch on "Law & Order" for 23 years.',
            '"Law & Order"',
        ),
        (
            "Which streaming platform premiered the show?",
            "The show premiered this week on Apple TV+ to good reviews.",
            "Apple TV+",
        ),
        (
            "Which product did Apple unveil this week?",
            "On Tuesday, Apple unveiled a new iPhone with a faster chip.",
            "iPhone",
        ),
        # One asked for: one given, whatever stands beside it.
        (
            "Which supermarket plans to merge in 2024?",
            "On Friday, Kroger and Albertsons said they plan to merge in 2024.",
            "Albertsons",
        ),
    ],
)
def test_what_the_short_answer_shows(question: str, text: str, shown: str) -> None:
    assert short_answer(question, text) == shown
    assert shown in text, "the short answer stays a quote of its passage"


def test_without_widening_the_chosen_mention_alone_is_shown() -> None:
    question = "Which two major supermarkets plan to merge in 2024?"
    text = "On Friday, Kroger and Albertsons said they plan to merge in 2024."
    assert short_answer(question, text, widen=False) in ("Kroger", "Albertsons")


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("Which two major supermarkets plan to merge?", True),
        ("Which states had winning tickets?", True),
        ("Which supermarket plans to merge?", False),
        ("What series is it a spin-off of?", False),
        ("What news did the company share?", False),
        ("Who won the match?", False),
        ("", False),
    ],
)
def test_whether_a_question_asks_for_several(question: str, several: bool) -> None:
    assert asks_for_several(question) is several
