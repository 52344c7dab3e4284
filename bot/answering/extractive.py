"""The default answerer: no LLM, the answer is made only of sentences from the passages."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from bot.answering.answers import Answer, Citation, citation_for, sentences_of
from bot.answering.relevance import combined, cosine
from index.embeddings import SentenceTransformerEmbeddings
from index.text import content_words, word_overlap

MAX_SENTENCES = 3
MAX_ANSWER_CHARS = 700
# A sentence joins the answer only if it scores close to the best one.
KEEP_RATIO = 0.85
# Embedding every sentence of every passage is most of a question's latency on a CPU, so only
# the sentences sharing the most words with the question are embedded and scored (see
# BENCHMARKS.md, "Retrieval and answer quality", for what this costs in answer accuracy).
SHORTLIST = 8
SCORING_BATCH = 4


@dataclass(frozen=True)
class _Candidate:
    document: int
    sentence: str
    score: float


class ExtractiveAnswerer:
    """Scores every sentence of the retrieved passages against the question and answers with
    the best few, each followed by the [n] of the passage it was taken from."""

    def __init__(
        self, embeddings: SentenceTransformerEmbeddings, shortlist: int | None = SHORTLIST
    ) -> None:
        self.embeddings = embeddings
        self.shortlist = shortlist

    def __call__(self, question: str, documents: list[Document]) -> Answer:
        candidates = self._rank(question, documents)
        chosen: list[_Candidate] = []
        for candidate in candidates:
            if len(chosen) == MAX_SENTENCES or candidate.score < candidates[0].score * KEEP_RATIO:
                break
            length = sum(len(c.sentence) for c in chosen) + len(candidate.sentence)
            if chosen and length > MAX_ANSWER_CHARS:
                continue
            chosen.append(candidate)

        numbers: dict[int, int] = {}
        quotes: dict[int, str] = {}
        parts = []
        for candidate in chosen:
            n = numbers.setdefault(candidate.document, len(numbers) + 1)
            quotes.setdefault(candidate.document, candidate.sentence)
            parts.append(f"{candidate.sentence} [{n}]")
        citations: list[Citation] = [
            citation_for(documents[index], n, quotes[index]) for index, n in numbers.items()
        ]
        return Answer(question=question, answer=" ".join(parts), refused=False, citations=citations)

    def _rank(self, question: str, documents: list[Document]) -> list[_Candidate]:
        seen: set[str] = set()
        pool: list[tuple[int, str]] = []
        for index, document in enumerate(documents):
            for sentence in sentences_of(document.page_content):
                if sentence not in seen:
                    seen.add(sentence)
                    pool.append((index, sentence))
        if not pool:
            return []
        wanted = content_words(question)
        overlaps = [word_overlap(wanted, sentence) for _, sentence in pool]
        order = sorted(range(len(pool)), key=lambda i: overlaps[i], reverse=True)
        kept = sorted(order[: self.shortlist] if self.shortlist else order)
        # The question's vector is cached from retrieval. Small batches (of sentences sorted
        # by length) so that one long sentence doesn't pad all the others to its length.
        query = self.embeddings.embed_query(question)
        vectors = self.embeddings.embed_documents([pool[i][1] for i in kept], SCORING_BATCH)
        ranked = []
        for i, vector in zip(kept, vectors, strict=True):
            index, sentence = pool[i]
            score = combined(cosine(query, vector), overlaps[i])
            ranked.append(_Candidate(index, sentence, score))
        ranked.sort(key=lambda candidate: candidate.score, reverse=True)
        return ranked
