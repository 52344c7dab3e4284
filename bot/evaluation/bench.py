"""A bench folder: `articles.jsonl.gz` and `questions.jsonl`, the format of ../shared/bench/*."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.errors import NewsdeskError
from index.articles import Article, LoadProblem, normalize_date
from index.ingest.loaders import load_paths


class BenchError(NewsdeskError):
    """The bench folder is missing or malformed; the message names the file."""


@dataclass
class Question:
    id: str
    question: str
    answer: str
    answer_in_corpus: bool
    asked: date | None = None  # the bench's question date: answers are "as of" that day


def read_questions(bench: Path, limit: int | None) -> list[Question]:
    path = bench / "questions.jsonl"
    if not path.exists():
        raise BenchError(
            f"{path} not found: a bench folder has articles.jsonl.gz and questions.jsonl"
        )
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw.get("id", number)),
                    question=str(raw["question"]),
                    answer=str(raw["answer"]),
                    answer_in_corpus=bool(raw.get("answer_in_corpus", True)),
                    asked=_as_date(raw.get("date")),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BenchError(f"{path}:{number}: not a question record ({error})") from error
    return questions[:limit] if limit else questions


def _as_date(raw: object) -> date | None:
    try:
        return date.fromisoformat(normalize_date(raw))
    except ValueError:
        return None


def read_articles(bench: Path) -> list[Article]:
    path = bench / "articles.jsonl.gz"
    if not path.exists():
        raise BenchError(
            f"{path} not found: a bench folder has articles.jsonl.gz and questions.jsonl"
        )
    loaded = list(load_paths([path]))
    problems = [item for item in loaded if isinstance(item, LoadProblem)]
    if problems:
        raise BenchError(f"{len(problems)} unreadable articles, first: {problems[0]}")
    return [item for item in loaded if isinstance(item, Article)]
