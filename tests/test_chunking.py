import hashlib
import itertools
import time

import pytest

from index.articles import Article
from index.chunking import (
    CHUNK_CHARS,
    Chunk,
    chunk_article,
    chunk_spans,
    join_chunks,
    sentence_spans,
)
from tests.conftest import SEED_DIR


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_sentences_split_on_end_punctuation_but_not_abbreviations() -> None:
    text = "Mr. Smith went to the U.S. Army base. He met Gen. Jones! Did John F. Kennedy go? Yes."
    assert sentences(text) == [
        "Mr. Smith went to the U.S. Army base.",
        "He met Gen. Jones!",
        "Did John F. Kennedy go?",
        "Yes.",
    ]


def test_sentences_keep_closing_quotes() -> None:
    text = "He said “we will win.” Then he left."
    assert sentences(text) == ["He said “we will win.”", "Then he left."]


def test_chunks_are_verbatim_slices_within_the_size_limit_and_overlap() -> None:
    text = (SEED_DIR / "mosul-campaign-2017.txt").read_text(encoding="utf-8")
    spans = chunk_spans(text)
    assert len(spans) > 3
    for span in spans:
        assert span.end - span.start <= CHUNK_CHARS
        piece = text[span.start : span.end]
        assert piece == piece.strip()
    # consecutive chunks share text (overlap) and together cover every sentence
    assert all(b.start < a.end for a, b in itertools.pairwise(spans))
    covered = "".join(text[s.start : s.end] for s in spans)
    for sentence in sentences(text):
        assert sentence in covered


def test_chunks_end_on_sentence_boundaries() -> None:
    text = " ".join(f"Sentence number {i} says something about Mosul." for i in range(60))
    for span in chunk_spans(text):
        assert text[span.start : span.end].endswith(".")
        assert text[span.start].isupper()


def test_a_sentence_longer_than_a_chunk_is_cut_at_whitespace() -> None:
    text = "word " * 1000
    spans = chunk_spans(text.strip())
    assert len(spans) > 1
    assert all(span.end - span.start <= CHUNK_CHARS for span in spans)
    assert all(not text[span.start : span.end].startswith(" ") for span in spans)


def test_empty_text_has_no_chunks() -> None:
    assert chunk_spans("") == []
    assert chunk_spans("   \n\n  ") == []


def test_chunk_ids_are_stable_and_depend_on_identity_and_content() -> None:
    article = Article(key="https://example.org/a", title="T", text="One. Two. Three.")
    first, again = chunk_article(article), chunk_article(article)
    assert [c.id for c in first] == [c.id for c in again]
    moved = Article(key="https://example.org/b", title="T", text="One. Two. Three.")
    edited = Article(key="https://example.org/a", title="T", text="One. Two. Four.")
    retitled = Article(key="https://example.org/a", title="T2", text="One. Two. Three.")
    assert chunk_article(moved)[0].id != first[0].id
    assert chunk_article(edited)[0].id != first[0].id
    assert chunk_article(retitled)[0].id != first[0].id


def test_chunks_carry_article_metadata() -> None:
    article = Article(
        key="k",
        title="Title",
        text="Body text here.",
        url="https://x.org",
        source="x.org",
        published="2023-01-05",
    )
    (chunk,) = chunk_article(article)
    assert (chunk.title, chunk.url, chunk.source, chunk.published) == (
        "Title",
        "https://x.org",
        "x.org",
        "2023-01-05",
    )
    assert chunk.embedding_text.startswith("Title\n")


def test_consecutive_chunks_join_into_the_article_text_each_overlap_once() -> None:
    text = (SEED_DIR / "mosul-campaign-2017.txt").read_text(encoding="utf-8").strip()
    chunks = chunk_article(Article(key="seed", title="", text=text))
    assert len(chunks) > 3
    for start in range(len(chunks) - 2):
        window = join_chunks(chunks[start : start + 3])
        # Verbatim, or verbatim but for a line break where two chunks didn't overlap.
        assert window in text or window.replace("\n", " ") in text.replace("\n", " ")
        assert len(window) < sum(len(c.text) for c in chunks[start : start + 3])
    # Given out of order, they are joined in article order.
    assert join_chunks(list(reversed(chunks[:3]))) == join_chunks(chunks[:3])
    assert join_chunks([]) == ""


def test_chunks_that_do_not_overlap_are_joined_by_a_line_break() -> None:
    first, second = (
        Chunk(id=str(n), article_key="a", position=n, text=t, title="", url="", source="",
              published="")
        for n, t in enumerate(["The road is open.", "Traders came back."])
    )  # fmt: skip
    assert join_chunks([second, first]) == "The road is open.\nTraders came back."


def test_a_skip_in_the_article_is_joined_by_the_gap() -> None:
    text = (SEED_DIR / "mosul-campaign-2017.txt").read_text(encoding="utf-8").strip()
    chunks = chunk_article(Article(key="seed", title="", text=text))
    assert len(chunks) > 4
    # The lede, then chunks 3 and 4: the skip is marked, the overlap of 3 and 4 is kept once.
    passage = join_chunks([chunks[4], chunks[0], chunks[3]], gap="\n[…]\n")
    lede, rest = passage.split("\n[…]\n")
    assert lede == chunks[0].text and rest == join_chunks(chunks[3:5])
    assert join_chunks([chunks[0], chunks[3]]) == chunks[0].text + "\n" + chunks[3].text


def test_chunk_ids_of_an_ordinary_article_are_those_existing_indexes_hold() -> None:
    # Computed before sentence splitting was made linear: stores indexed then stay valid.
    text = (SEED_DIR / "mosul-campaign-2017.txt").read_text(encoding="utf-8")
    ids = [chunk.id for chunk in chunk_article(Article(key="seed", title="Mosul", text=text))]
    assert len(ids) == 8
    assert hashlib.sha256(" ".join(ids).encode()).hexdigest() == (
        "9ca1ca75394997b7894302971272da9cef78679d9cf6727738869af20597be97"
    )


@pytest.mark.parametrize(
    "unit",
    ["A. ", "Mr. J. Smith Jr. ", "."],
    ids=["abbreviation-like ends", "initials and titles", "a run of dots"],
)
def test_sentence_splitting_is_linear_on_adversarial_text(unit: str) -> None:
    # 100 KB: about 0.1 s when linear, minutes when quadratic (30 KB took 17 s). The bound
    # is far above the linear time so a busy machine can't fail it; the 1 MB figures are in
    # BENCHMARKS.md, "Chunking speed" (bench/chunking_speed.py).
    text = unit * (100_000 // len(unit)) + "Done."
    started = time.perf_counter()
    spans = chunk_spans(text)
    assert time.perf_counter() - started < 10
    assert spans and all(span.end - span.start <= CHUNK_CHARS for span in spans)
    assert text[spans[-1].start : spans[-1].end].endswith("Done.")
