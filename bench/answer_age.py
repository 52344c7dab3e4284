"""How far back a bench's answers lie, and how each retriever does on fresh and on old ones.

A question is "fresh" when its gold answer string is in an article published in the week
before it was asked (or the day after), and "old" when the string is only in older articles:
often an unrelated story that happens to hold the same word ("Rabbit" in a 2018 column). For
each group it prints Hit@1/4/10 of newsdesk's retriever as the bot runs it and, if the textbook
store is kept in DIR (`newsdesk eval BENCH --baseline --store DIR`), of the textbook pipeline.

    .venv/bin/python -m bench.answer_age BENCH_DIR --store DIR
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.evaluation.baseline import RETRIEVE_K, build_textbook_store
from bot.evaluation.bench import Question, read_articles, read_questions
from bot.evaluation.metrics import first_hit_rank, hit_rate
from bot.settings import Settings
from bot.wiring.answering import build_answering
from bot.wiring.stores import configured_embeddings
from index.articles import Article
from index.chroma_client import open_store
from index.keyword import KeywordIndex

FRESH_DAYS = 7


def published_day(article: Article) -> date | None:
    try:
        return date.fromisoformat(article.published[:10])
    except ValueError:
        return None


def is_fresh(question: Question, articles: list[tuple[str, date | None]]) -> bool:
    """Whether the answer is in an article of the FRESH_DAYS before the question."""
    needle = question.answer.lower()
    if question.asked is None:
        return False
    asked = question.asked
    return any(
        day is not None and -1 <= (asked - day).days <= FRESH_DAYS and needle in text
        for text, day in articles
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("--store", type=Path, required=True, help="the DIR given to eval --store")
    args = parser.parse_args()

    articles = read_articles(args.bench)
    texts = [(f"{a.title}\n{a.text}".lower(), published_day(a)) for a in articles]
    questions = [q for q in read_questions(args.bench, None) if q.answer_in_corpus]
    fresh = {q.question: is_fresh(q, texts) for q in questions}

    settings = Settings()
    store = open_store("eval-bench", path=args.store / "chroma")
    home = settings.model_copy(update={"home": args.store / "home"})
    retriever = build_answering(
        home,
        store=store,
        keyword=KeywordIndex(args.store / "keyword"),
        embeddings=configured_embeddings(settings, store),
        retrieve_k=RETRIEVE_K,
    ).service.retriever
    ranks: dict[str, dict[str, int | None]] = {"newsdesk": {}}
    for q in questions:
        passages = [d.page_content for d in retriever.invoke(q.question, as_of=q.asked)]
        ranks["newsdesk"][q.question] = first_hit_rank(q.answer, passages)
    if (args.store / "textbook").is_dir():
        textbook, _, _ = build_textbook_store(articles, args.store, lambda _: None, reuse=True)
        ranks["textbook"] = {
            q.question: first_hit_rank(
                q.answer, [d.page_content for d in textbook.similarity_search(q.question, k=10)]
            )
            for q in questions
        }

    print(f"{args.bench.name}: {len(articles):,} articles, {len(questions)} answerable questions")
    print(f"fresh: the answer is in an article of the {FRESH_DAYS} days before the question")
    header = f"{'questions':<22}" + "".join(f"{name + ' Hit@1/4/10':>30}" for name in ranks)
    print(header)
    for group, wanted in (("fresh", True), ("old only", False), ("all", None)):
        chosen = [q.question for q in questions if wanted is None or fresh[q.question] == wanted]
        line = f"{group + f' ({len(chosen)})':<22}"
        for by_question in ranks.values():
            got = [by_question[question] for question in chosen]
            figures = " / ".join(f"{hit_rate(got, k):.3f}" for k in (1, 4, 10))
            line += f"{figures:>30}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
