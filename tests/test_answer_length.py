"""How long the extractive answer is: the short answer's own sentence when the reader is sure
of it (extractive.ALONE_MARGIN), with the next best one only if the answer stays within
extractive.ANSWER_WORDS; the best sentences under it when it is not sure."""

from __future__ import annotations

import re

import pytest
from langchain_core.documents import Document

from bot.answering.answers import Answer
from bot.answering.extractive import (
    ALONE_MARGIN,
    ANSWER_WORDS,
    ExtractiveAnswerer,
    sentence_pool,
)
from bot.answering.reader import read
from index.embeddings import SentenceTransformerEmbeddings

QUESTION = "Who leads the Badr Organization?"
# One person named, and more sentences that match the question.
ONE_NAME = (
    "Badr Organization has announced storming the front defense line of Islamic State. "
    "In a statement, Hadi al-Amiri, the leader of the organization, said the troops resumed "
    "their advance. The Badr Organization leads the assault on the western front, the "
    "organization's statement said. Badr Organization fighters reached the border on Tuesday."
)
# Two people named as leader, alike, in one passage.
TWO_NAMES = (
    "Hadi al-Amiri leads the Badr Organization, its statement said. "
    "Qais al-Khazali leads the Badr Organization, a rival statement said."
)


def passage(text: str, n: int = 1) -> Document:
    return Document(
        page_content=text,
        metadata={"id": f"c{n}", "title": f"Article {n}", "published": "2017-06-08"},
    )


def cited_sentences(answer: str) -> int:
    return answer.count("[")


def test_one_person_named_is_a_sure_reading() -> None:
    documents = [passage(ONE_NAME)]
    reading = read(QUESTION, documents, sentence_pool(documents), {})
    assert reading is not None and reading.short_answer == "Hadi al-Amiri"
    assert reading.margin > ALONE_MARGIN, reading


def test_the_only_thing_named_has_nothing_after_it() -> None:
    documents = [passage("Hadi al-Amiri leads the Badr Organization.")]
    reading = read(QUESTION, documents, sentence_pool(documents), {})
    assert reading is not None and reading.margin == 1.0


def test_two_things_named_alike_are_an_unsure_reading() -> None:
    documents = [passage(TWO_NAMES)]
    reading = read(QUESTION, documents, sentence_pool(documents), {})
    assert reading is not None
    assert 0.0 <= reading.margin < ALONE_MARGIN, reading


@pytest.fixture(scope="module")
def answerer(embeddings: SentenceTransformerEmbeddings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embeddings)


def words(answer: Answer) -> int:
    """As `newsdesk eval` counts them: the short answer and the answer, [n] left out."""
    return len(re.sub(r"\[\d+\]", " ", f"{answer.short_answer} {answer.answer}").split())


OWN_SENTENCE = (
    "In a statement, Hadi al-Amiri, the leader of the organization, said the troops resumed "
    "their advance. [1]"
)


def test_a_sure_short_answer_comes_with_its_own_sentence_first(
    answerer: ExtractiveAnswerer, embeddings: SentenceTransformerEmbeddings
) -> None:
    answer = answerer(QUESTION, [passage(ONE_NAME)])
    assert answer.short_answer == "Hadi al-Amiri"
    assert answer.answer.startswith(OWN_SENTENCE), answer.answer
    assert "Hadi al-Amiri" in answer.citations[0].quote
    # Never alone, the same passages give all the best sentences under it: the margin decides.
    longer = ExtractiveAnswerer(embeddings, alone_margin=2.0)(QUESTION, [passage(ONE_NAME)])
    assert longer.short_answer == "Hadi al-Amiri"
    assert cited_sentences(longer.answer) > cited_sentences(answer.answer), longer.answer
    assert longer.answer.startswith(OWN_SENTENCE), longer.answer


def test_a_sure_answer_takes_the_next_best_sentence_only_within_the_words(
    answerer: ExtractiveAnswerer, embeddings: SentenceTransformerEmbeddings
) -> None:
    answer = answerer(QUESTION, [passage(ONE_NAME)])
    assert cited_sentences(answer.answer) == 2, answer.answer
    assert words(answer) <= ANSWER_WORDS, answer.answer
    # 18 words hold the short answer and its sentence (2 + 16), not one more sentence.
    alone = ExtractiveAnswerer(embeddings, answer_words=18)(QUESTION, [passage(ONE_NAME)])
    assert alone.answer == OWN_SENTENCE and words(alone) == 18
    # A long next sentence is left out rather than going past the words.
    rambling = ONE_NAME.replace(
        "The Badr Organization leads the assault on the western front,",
        "The Badr Organization leads the assault on the western front, " + "and on " * 10,
    )
    kept = answerer(QUESTION, [passage(rambling)])
    assert kept.short_answer == "Hadi al-Amiri", kept
    assert words(kept) <= ANSWER_WORDS, kept.answer
    assert "and on" not in kept.answer, kept.answer
    roomier = ExtractiveAnswerer(embeddings, answer_words=100)(QUESTION, [passage(rambling)])
    assert "and on" in roomier.answer, "the sentence left out was the next best one"


def test_an_unsure_short_answer_keeps_the_best_sentences_under_it(
    answerer: ExtractiveAnswerer,
) -> None:
    answer = answerer(QUESTION, [passage(TWO_NAMES)])
    assert answer.short_answer in ("Hadi al-Amiri", "Qais al-Khazali")
    assert "Hadi al-Amiri" in answer.answer and "Qais al-Khazali" in answer.answer, answer.answer
    assert cited_sentences(answer.answer) == 2, answer.answer


def test_no_short_answer_keeps_the_best_sentences(answerer: ExtractiveAnswerer) -> None:
    answer = answerer(QUESTION, [passage("The front line moved. Nobody said more.")])
    assert answer.short_answer == ""
    assert answer.answer.endswith("[1]")
