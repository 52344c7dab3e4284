"""Fit the reader's weights (bot/answering/reader.py) on dumped passages, and measure answers
offline, in seconds, on any dump:

    .venv/bin/python -m bench.fit_reader --fit /tmp/me/train-2022.jsonl /tmp/me/train-2023.jsonl \
        --measure /tmp/me/dev.jsonl /tmp/me/train-2022.jsonl /tmp/me/train-2023.jsonl

The dumps are bench/dump_passages.py's. --fit prints the fitted weights (a logistic regression
of "the mention holds the gold answer" on the reader's features, L2-regularised, fitted by
gradient descent with numpy) to be copied into reader.py; --measure answers every question of
each dump with the weights in reader.py (or the fitted ones, with --use-fitted) and prints the
short-answer accuracy, the whole answer's accuracy and its median length in words, next to the
answer the dump holds (the one the service gave when it was dumped).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from bot.answering import extractive, names, reader
from bot.answering.extractive import sentence_pool
from bot.settings import Settings
from bot.wiring.stores import sentence_embeddings
from index.embeddings import DEFAULT_BACKEND, make_embeddings

_MARKER = re.compile(r"\[\d+\]")


@dataclass
class Case:
    record: dict[str, Any]
    question: str
    gold: str
    documents: list[Document]
    pool: list[tuple[int, str]]
    scores: dict[int, float]
    ranked: list[int]


def load(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        documents = [
            Document(
                page_content=p["text"],
                metadata={"id": p["id"], "title": p["title"], "published": p["published"]},
            )
            for p in record["passages"]
            if p["given"]
        ]
        pool = sentence_pool(documents)
        where = {item: i for i, item in enumerate(pool)}
        scores: dict[int, float] = {}
        ranked = []
        for document, sentence, score in record["shortlist"]:
            position = where.get((document, sentence))
            if position is not None:
                scores[position] = score
                ranked.append(position)
        cases.append(
            Case(
                record,
                record["understood_as"],
                record["gold"].lower(),
                documents,
                pool,
                scores,
                ranked,
            )
        )
    return cases


def words(text: str) -> int:
    return len(_MARKER.sub("", text).split())


def measure(
    cases: list[Case],
    weights: Mapping[str, float],
    describe: names.Describe | None = None,
    description_weight: float = names.DESCRIPTION_WEIGHT,
    described: int = names.DESCRIBED,
    fullest: bool = True,
    unit_weight: float = names.UNIT_WEIGHT,
    described_gap: float = names.DESCRIBED_GAP,
    alone_margin: float = extractive.ALONE_MARGIN,
    widen: bool = True,
    answer_words: int = extractive.ANSWER_WORDS,
    **shape: Any,
) -> dict[str, float]:
    short_right = whole_right = before_right = shipped_right = 0
    lengths, before_lengths, shipped_lengths = [], [], []
    for case in cases:
        before = case.record.get("before", case.record["answer"])
        before_right += case.gold in before.lower() and not case.record["refused"]
        before_lengths.append(words(before))
        if not case.documents:
            lengths.append(words(before))
            shipped_lengths.append(words(before))
            shipped_right += case.gold in before.lower() and not case.record["refused"]
            continue
        reading = reader.read(
            case.question,
            case.documents,
            case.pool,
            case.scores,
            weights,
            describe=describe,
            description_weight=description_weight,
            described=described,
            fullest=fullest,
            unit_weight=unit_weight,
            described_gap=described_gap,
            widen=widen,
        )
        short, positions = reader.shape(reading, case.ranked, case.pool, **shape)
        whole = " ".join([short, *(case.pool[p][1] for p in positions)])
        short_right += bool(short) and case.gold in short.lower()
        whole_right += case.gold in whole.lower()
        # As the service shapes it: the short answer and its sentence (the first of the best
        # that holds it, else the reader's own), alone when the reader is sure, else on top of
        # the answerer's best sentences (the dump's "before").
        support = case.pool[positions[0]][1] if positions else ""
        holding = [
            case.pool[p][1]
            for p in case.ranked
            if short and short.lower() in case.pool[p][1].lower() and case.pool[p][1] in before
        ]
        support = holding[0] if holding else support
        sure = reading is not None and reading.margin >= alone_margin and reading.differing is None
        if short and sure:
            shipped = " ".join([short, support])
            # and the next best sentence, within the words (ExtractiveAnswerer._within_words)
            following = [case.pool[p][1] for p in case.ranked if case.pool[p][1] != support]
            following = [sentence for sentence in following if sentence in before][:1]
            if following and words(f"{shipped} {following[0]}") <= answer_words:
                shipped = f"{shipped} {following[0]}"
        else:
            shipped = " ".join([short, support, before.replace(support, "") if support else before])
        shipped_right += case.gold in shipped.lower()
        shipped_lengths.append(words(shipped))
        lengths.append(words(whole))
    n = len(cases)
    return {
        "questions": n,
        "short": short_right / n,
        "whole": whole_right / n,
        "words": statistics.median(lengths),
        "before": before_right / n,
        "before_words": statistics.median(before_lengths),
        "shipped": shipped_right / n,
        "shipped_words": statistics.median(shipped_lengths),
    }


def rows(cases: list[Case]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and question ids of every mention, for the questions with a mention
    holding the answer (the others teach nothing about choosing)."""
    features, labels, groups = [], [], []
    for number, case in enumerate(cases):
        mentions = reader.find_mentions(case.question, case.documents, case.pool, case.scores)
        found = [case.gold in m.span.text.lower() for m in mentions]
        if not any(found):
            continue
        for mention, right in zip(mentions, found, strict=True):
            features.append(mention.features)
            labels.append(float(right))
            groups.append(number)
    return np.array(features), np.array(labels), np.array(groups)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    l2: float = 0.01,
    steps: int = 3000,
    pointwise: float = 0.0,
) -> dict[str, float]:
    """Logistic regression by full-batch gradient descent on standardised features (the bias
    column left as it is), returned in the features' own units. Its loss is a blend: the
    pointwise log-loss (which keeps the probabilities meaningful for MIN_SCORE) weighted
    `pointwise`, and the rest a softmax over each question's mentions (the chance the right
    ones are chosen), which is what the reader does with the scores."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    mean[0], std[0] = 0.0, 1.0
    std[std == 0] = 1.0
    z = (x - mean) / std
    w = np.zeros(x.shape[1])
    rate = 0.5
    _, index = np.unique(groups, return_inverse=True)
    count = index.max() + 1
    for _ in range(steps):
        s = z @ w
        p = 1 / (1 + np.exp(-s))
        point = z.T @ (p - y) / len(y)
        e = np.exp(s - s.max())
        total = np.bincount(index, e, count)
        right = np.bincount(index, e * y, count)
        chosen = e / total[index]  # softmax within the question
        wanted = e * y / right[index]  # the same among its right mentions
        soft = z.T @ (chosen - wanted) / count
        gradient = pointwise * point + (1 - pointwise) * soft + l2 * np.r_[0.0, w[1:]]
        w -= rate * gradient
    raw = w / std
    raw[0] = w[0] - float((w[1:] * mean[1:] / std[1:]).sum())
    return {name: round(float(v), 3) for name, v in zip(reader.FEATURES, raw, strict=True)}


def sentence_model() -> names.Describe:
    """The extractive answerer's sentence model, as the service loads it."""
    settings = Settings()
    embeddings = sentence_embeddings(
        settings,
        make_embeddings(
            settings.embedding_model,
            backend=DEFAULT_BACKEND,
            cache_dir=settings.models_dir,
            lazy=True,
        ),
    )
    return embeddings.embed_together


def _weight(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if name not in reader.FEATURES:
        raise SystemExit(
            f"--weight {text}: no such feature; the reader's are {', '.join(reader.FEATURES)}"
        )
    try:
        return name, float(value)
    except ValueError:
        raise SystemExit(f"--weight {text}: {value!r} is not a number") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, nargs="*", default=[])
    parser.add_argument("--measure", type=Path, nargs="*", default=[])
    parser.add_argument("--use-fitted", action="store_true")
    parser.add_argument("--weights", type=Path, help="weights from a file (--weights-out)")
    parser.add_argument("--weights-out", type=Path)
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one weight set to VALUE, the others kept (repeatable): slot_before=0.7",
    )
    parser.add_argument("--min-score", type=float, default=reader.MIN_SCORE)
    parser.add_argument("--max-words", type=int, default=reader.MAX_WORDS)
    parser.add_argument(
        "--alone-margin",
        type=float,
        default=extractive.ALONE_MARGIN,
        help="a reading this far ahead of the next is shipped with its sentence alone (2: never)",
    )
    parser.add_argument(
        "--answer-words",
        type=int,
        default=extractive.ANSWER_WORDS,
        help="a sure answer takes the next best sentence if it stays within these words (0: never)",
    )
    parser.add_argument(
        "--description-weight",
        type=float,
        nargs="*",
        default=[names.DESCRIPTION_WEIGHT],
        help="each weight of the cosine to what the question calls the answer, measured in turn",
    )
    parser.add_argument("--described", type=int, nargs="*", default=[names.DESCRIBED])
    parser.add_argument("--unit-weight", type=float, default=names.UNIT_WEIGHT)
    parser.add_argument(
        "--described-gap",
        type=float,
        nargs="*",
        default=[names.DESCRIBED_GAP],
        help="each cosine gap a name's odds may trail the best's by and still be embedded",
    )
    parser.add_argument(
        "--no-widen", action="store_true", help="show the chosen mention alone (widening.py)"
    )
    parser.add_argument(
        "--as-written", action="store_true", help="show the chosen name as written, not its fullest"
    )
    args = parser.parse_args()

    weights: Mapping[str, float] = reader.WEIGHTS
    if args.weights:
        weights = json.loads(args.weights.read_text())
    weights = {**weights, **dict(_weight(text) for text in args.weight)}
    if args.fit:
        cases = [case for path in args.fit for case in load(path)]
        x, y, groups = rows(cases)
        fitted = fit(x, y, groups)
        if args.weights_out:
            args.weights_out.write_text(json.dumps(fitted))
        print(f"fitted on {len(cases)} questions, {len(y)} mentions ({int(y.sum())} right):")
        print(json.dumps(fitted, indent=4))
        if args.use_fitted:
            weights = fitted
    shape = {
        "min_score": args.min_score,
        "max_words": args.max_words,
    }
    describe = sentence_model() if any(args.description_weight) else None
    print(
        f"{'dump':<20}{'gap':>4}{'weight':>7}{'top':>4}{'n':>5}{'short':>8}{'whole':>8}{'words':>7}"
        f"{'before':>8}{'words':>7}{'shipped':>8}{'words':>7}"
    )
    for path in args.measure:
        cases = load(path)
        for weight in args.description_weight:
            for described, gap in itertools.product(args.described, args.described_gap):
                f = measure(
                    cases,
                    weights,
                    describe,
                    weight,
                    described,
                    not args.as_written,
                    args.unit_weight,
                    gap,
                    args.alone_margin,
                    not args.no_widen,
                    args.answer_words,
                    **shape,
                )
                print(
                    f"{path.stem:<20}{gap:>4.1f}{weight:>7.1f}{described:>4}{f['questions']:>5.0f}"
                    f"{f['short']:>8.3f}{f['whole']:>8.3f}{f['words']:>7.0f}"
                    f"{f['before']:>8.3f}{f['before_words']:>7.0f}"
                    f"{f['shipped']:>8.3f}{f['shipped_words']:>7.0f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
