"""The extractive answerer prefers the sentence that answers over the one that repeats the
question: question types, answer-holding sentences, and the answerer on hand-made passages."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from bot.answering.answer_types import AnswerType, answer_strength, answer_type, holds_answer
from bot.answering.extractive import ExtractiveAnswerer
from index.embeddings import SentenceTransformerEmbeddings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many Iraqis were killed in April?", AnswerType.NUMBER),
        ("how much did egg prices rise?", AnswerType.NUMBER),
        ("When did the troops regain eastern Mosul?", AnswerType.DATE),
        ("What year was she first elected?", AnswerType.DATE),
        ("Who leads the Badr Organization?", AnswerType.NAME),
        ("Which country sent tanks?", AnswerType.NAME),
        ("The record was previously held by:", AnswerType.NAME),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


def test_a_sentence_holds_an_answer_only_if_it_adds_something_of_the_asked_type() -> None:
    number = "How many Iraqis were killed in April?"
    assert holds_answer(
        "Violence claimed the lives of 317 Iraqis in April.", number, AnswerType.NUMBER
    )
    assert not holds_answer("Many Iraqis were killed in April.", number, AnswerType.NUMBER)
    date = "When did the troops regain eastern Mosul?"
    assert holds_answer("Troops regained eastern Mosul in January.", date, AnswerType.DATE)
    assert not holds_answer("Troops regained eastern Mosul.", date, AnswerType.DATE)
    name = "Who leads the Badr Organization?"
    assert holds_answer("Hadi al-Amiri leads it.", name, AnswerType.NAME)
    # Names the question already has, or a word capitalised only because it opens the
    # sentence, are no answer.
    assert not holds_answer("The Badr Organization fights on.", name, AnswerType.NAME)
    assert not holds_answer("Several units of the organization fought.", name, AnswerType.NAME)
    assert not holds_answer("", name, AnswerType.NAME)


def test_an_answer_beside_the_question_s_words_counts_more_than_one_far_from_them() -> None:
    question = "Who leads the Badr Organization?"
    near = "Hadi al-Amiri, head of Badr Organization, said the troops reached the border."
    far = (
        "Badr Organization has announced storming the front defense line of Islamic State "
        "and liberating a border crossing."
    )
    kind = answer_type(question)
    assert answer_strength(near, question, kind) > answer_strength(far, question, kind) > 0


@pytest.fixture(scope="module")
def answerer(embeddings: SentenceTransformerEmbeddings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embeddings)


def passage(text: str, n: int = 1) -> Document:
    return Document(page_content=text, metadata={"id": f"c{n}", "title": f"Article {n}"})


def test_the_sentence_with_the_answer_beats_the_one_repeating_the_question(
    answerer: ExtractiveAnswerer,
) -> None:
    text = (
        "The Badr Organization has announced storming the front defense line of the militants. "
        "In a statement, Hadi al-Amiri, the leader of the organization, said the troops "
        "resumed their advance."
    )
    answer = answerer("Who leads the Badr Organization?", [passage(text)])
    assert "Hadi al-Amiri, the leader of the organization" in answer.answer, answer.answer


def test_a_sentence_that_asks_a_question_is_not_an_answer(answerer: ExtractiveAnswerer) -> None:
    text = (
        "How many people watched the Super Bowl this year?\n"
        "About 113 million viewers watched the game on Sunday."
    )
    answer = answerer("How many people watched the Super Bowl?", [passage(text)])
    assert "113 million" in answer.answer
    assert "this year?" not in answer.answer


def test_when_the_best_sentence_names_the_subject_the_next_one_with_the_answer_follows(
    answerer: ExtractiveAnswerer,
) -> None:
    text = (
        "Violence and armed conflicts in Iraq during the month of April were counted again. "
        "The count found 317 dead and 403 injured."
    )
    answer = answerer(
        "How many Iraqis died in violence and armed conflicts in April?", [passage(text)]
    )
    assert "317" in answer.answer
    assert answer.citations[0].quote in text


def test_headlines_on_lines_of_their_own_are_sentences_of_their_own(
    answerer: ExtractiveAnswerer,
) -> None:
    text = "LATEST UPDATES\nThe Bay Area braces for flooding as a bomb cyclone hits California."
    answer = answerer("Which part of California braces for flooding?", [passage(text)])
    assert "LATEST UPDATES" not in answer.answer and "Bay Area" in answer.answer
