"""Asking a bench's questions through one answer service, and the answer figures: accuracy,
the share of answer sentences supported by what they cite, citation precision, refusals and
seconds per question. `newsdesk eval --llm` measures the LLM and the extractive default this
way in the same run, over the same store."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from langchain_core.documents import Document

from bot.answering.answers import Answer
from bot.answering.claims import check_answer
from bot.answering.llm_errors import LLMError
from bot.answering.service import AnswerService
from bot.evaluation.bench import Question
from bot.evaluation.metrics import first_hit_rank

Say = Callable[[str], None]


@dataclass
class AnswerFigures:
    answerer: str  # "extractive" or the LLM's provider:model
    answer_accuracy: float = 0.0  # gold answer in the whole answer, answerable questions
    short_answer_accuracy: float = 0.0  # gold answer in the short answer, answerable questions
    # Of the answerable questions given a short answer, the share whose short answer holds the
    # gold one: how far a bold answer can be trusted (none is given when nothing fits).
    short_answer_precision: float = 0.0
    median_answer_words: float = 0.0  # the whole answer's words, [n] markers left out, answered
    supported_share: float = 0.0  # answer sentences whose names and numbers its citations hold
    citation_precision: float = 0.0  # citations whose passage holds the gold answer
    refusal_rate: float = 0.0  # all questions
    seconds_per_question: float = 0.0
    errors: int = 0  # questions the LLM provider failed (counted as wrong)


@dataclass
class Asked:
    """Everything measured while asking, for the retrieval figures too."""

    figures: AnswerFigures
    ranks: list[int | None] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)


def sentence_checks(answer: Answer, documents: list[Document]) -> tuple[int, int]:
    """(supported, all) sentences of an answer: the LLM's as checked when it was made, the
    extractive answerer's checked here against the passages its citations name."""
    if answer.refused and not answer.checks:
        return 0, 0
    checks = answer.checks
    if not checks:
        by_id = {str(d.metadata.get("id", "")): d for d in documents}
        cited = [by_id.get(c.chunk_id, Document(page_content=c.quote)) for c in answer.citations]
        checks = check_answer(answer.answer, cited)
    return sum(check.supported for check in checks), len(checks)


_MARKER = re.compile(r"\[\d+\]")


def whole_answer(answer: Answer) -> str:
    """What the user reads: the short answer, then the answer."""
    return f"{answer.short_answer}\n{answer.answer}" if answer.short_answer else answer.answer


def answer_words(answer: Answer) -> int:
    return len(_MARKER.sub(" ", whole_answer(answer)).split())


def ask_all(
    service: AnswerService,
    questions: list[Question],
    name: str,
    say: Say,
    answers: IO[str] | None = None,
) -> Asked:
    """Ask every question; with `answers`, write one JSON line a question there: its id, the
    question, the answer, the short answer, whether it was refused, and `gold_rank`, the rank
    of the first passage holding the gold answer (null when none does)."""
    asked = Asked(AnswerFigures(name))
    correct = short_correct = short_given = refused = cited = cited_right = 0
    supported = sentences = 0
    words: list[int] = []
    for number, q in enumerate(questions, start=1):
        started = time.perf_counter()
        try:
            answer, documents = service.answer_with_passages(q.question, q.asked)
        except LLMError as error:
            asked.figures.errors += 1
            say(f"  {name}: question {q.id}: {error}")
            asked.latencies.append(time.perf_counter() - started)
            if q.answer_in_corpus:
                asked.ranks.append(None)
            continue
        asked.latencies.append(time.perf_counter() - started)
        refused += answer.refused
        if not answer.refused:
            words.append(answer_words(answer))
        good, total = sentence_checks(answer, documents)
        supported, sentences = supported + good, sentences + total
        asked.lengths.extend(len(d.page_content) for d in documents[:4])
        rank = first_hit_rank(q.answer, [d.page_content for d in documents])
        if answers is not None:
            line = {
                "id": q.id,
                "question": q.question,
                "answer": answer.answer,
                "short_answer": answer.short_answer,
                "refused": answer.refused,
                "gold_rank": rank,
            }
            answers.write(json.dumps(line, ensure_ascii=False) + "\n")
        if q.answer_in_corpus:
            gold = q.answer.lower()
            asked.ranks.append(rank)
            correct += gold in whole_answer(answer).lower()
            short_correct += bool(answer.short_answer) and gold in answer.short_answer.lower()
            short_given += bool(answer.short_answer)
            by_id = {d.metadata.get("id"): d.page_content.lower() for d in documents}
            for citation in answer.citations:
                cited += 1
                cited_right += gold in by_id.get(citation.chunk_id, "")
        if number % 50 == 0:
            say(f"  {name}: {number}/{len(questions)} questions asked")
    figures = asked.figures
    figures.answer_accuracy = correct / len(asked.ranks) if asked.ranks else 0.0
    figures.short_answer_accuracy = short_correct / len(asked.ranks) if asked.ranks else 0.0
    figures.short_answer_precision = short_correct / short_given if short_given else 0.0
    figures.median_answer_words = statistics.median(words) if words else 0.0
    figures.supported_share = supported / sentences if sentences else 0.0
    figures.citation_precision = cited_right / cited if cited else 0.0
    figures.refusal_rate = refused / len(questions) if questions else 0.0
    figures.seconds_per_question = sum(asked.latencies) / len(questions) if questions else 0.0
    return asked
