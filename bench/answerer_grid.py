"""The extractive answerer's constants (bot/answering/extractive.py) measured over passage
dumps, a grid at a time: every question of each dump is answered with the dump's given
passages, and the short and whole answers are checked against the gold one.

    .venv/bin/python -m bench.answerer_grid /tmp/me/dev.jsonl /tmp/me/train-2022.jsonl \
        --vectors /tmp/me/vectors.pkl --set shortlist=8,12 --set passage_rank_penalty=0,0.03

The dumps are bench/dump_passages.py's (or bench/proxy_passages.py's). Each `--set NAME=V,V`
is one of ExtractiveAnswerer's keyword arguments with the values to try; every combination
is measured. Sentence vectors are kept in `--vectors` between runs (the fp32 sentence model
the service answers with), so a grid costs the answerer's own work only: about a minute
over the two train sets' 1,404 questions. The constants were first chosen on rtqa-dev alone;
BENCHMARKS.md, "More of the issue's ideas, measured on train", has this grid on train.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import statistics
from pathlib import Path

from bench.fit_reader import Case, load, words
from bot.answering.extractive import ExtractiveAnswerer
from bot.settings import Settings
from bot.wiring.stores import sentence_embeddings
from index.embeddings import DEFAULT_BACKEND, SentenceTransformerEmbeddings, make_embeddings

# ExtractiveAnswerer's keyword arguments a grid may set, with how a value is read.
SETTABLE = {
    "shortlist": int,
    "type_bonus": float,
    "shortlist_type_weight": float,
    "question_penalty": float,
    "lexical_weight": float,
    "keep_ratio": float,
    "passage_rank_penalty": float,
}


class KeptVectors:
    """The answerer's sentence model, with every vector kept in a file between runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.vectors: dict[str, list[float]] = {}
        if path is not None and path.exists():
            self.vectors = pickle.loads(path.read_bytes())
        self._model: SentenceTransformerEmbeddings | None = None
        self.embedded = 0

    def _of(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.embedded += len(missing)
            fresh = self.model.embed_documents(missing, 4)
            self.vectors.update(zip(missing, fresh, strict=True))
        return [self.vectors[t] for t in texts]

    @property
    def model(self) -> SentenceTransformerEmbeddings:
        if self._model is None:
            settings = Settings()
            stored = make_embeddings(
                settings.embedding_model,
                backend=DEFAULT_BACKEND,
                cache_dir=settings.models_dir,
                lazy=True,
            )
            self._model = sentence_embeddings(settings, stored)
        return self._model

    def embed_query_and_sentences(
        self, query: str, texts: list[str], batch_size: int
    ) -> tuple[list[float], list[list[float]]]:
        vectors = self._of([query, *texts])
        return vectors[0], vectors[1:]

    def embed_together(self, texts: list[str]) -> list[list[float]]:
        return self._of(texts)

    def save(self) -> None:
        if self.path is not None and self.embedded:
            self.path.write_bytes(pickle.dumps(self.vectors))


def measure(cases: list[Case], answerer: ExtractiveAnswerer) -> tuple[float, float, float]:
    """Short-answer accuracy, whole-answer accuracy and the median answer in words; a
    question the dump has no passages for keeps the answer the dump holds."""
    short_right = whole_right = 0
    lengths = []
    for case in cases:
        if not case.documents:
            given = case.record["answer"]
            whole_right += case.gold in given.lower() and not case.record["refused"]
            lengths.append(words(given))
            continue
        answer = answerer(case.question, case.documents)
        whole = f"{answer.short_answer} {answer.answer}"
        short_right += bool(answer.short_answer) and case.gold in answer.short_answer.lower()
        whole_right += case.gold in whole.lower()
        lengths.append(words(whole))
    n = max(1, len(cases))
    return short_right / n, whole_right / n, statistics.median(lengths) if lengths else 0.0


def grid(settings: list[str]) -> list[dict[str, float | int]]:
    """Every combination of the `NAME=V,V` settings; one empty combination with none."""
    names, choices = [], []
    for setting in settings:
        name, _, values = setting.partition("=")
        if name not in SETTABLE or not values:
            known = ", ".join(sorted(SETTABLE))
            raise SystemExit(f"--set {setting!r}: give NAME=V,V, NAME one of {known}")
        try:
            choices.append([SETTABLE[name](v) for v in values.split(",")])
        except ValueError:
            raise SystemExit(f"--set {setting!r}: {values!r} are not all numbers") from None
        names.append(name)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dumps", type=Path, nargs="+", help="bench/dump_passages.py's files")
    parser.add_argument("--vectors", type=Path, help="a file keeping the sentence vectors")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=V,V", help="constants to try"
    )
    args = parser.parse_args()
    combinations = grid(args.set)
    cases = {path.stem: load(path) for path in args.dumps}
    model = KeptVectors(args.vectors)
    print("short / whole / median words, per dump")
    for combination in combinations:
        # KeptVectors has the two methods the answerer calls; the grid's values are numbers.
        answerer = ExtractiveAnswerer(model, **combination)  # type: ignore[arg-type]
        figures = []
        for name, dump in cases.items():
            short, whole, length = measure(dump, answerer)
            figures.append(f"{name} {short:.3f} / {whole:.3f} / {length:.0f}")
        print(combination or "as shipped", " | ".join(figures), flush=True)
        model.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
