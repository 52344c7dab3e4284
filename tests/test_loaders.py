import gzip
import json
from pathlib import Path

import pytest

from index.articles import Article, LoadProblem, normalize_date
from index.ingest.capped import MAX_FILE_BYTES
from index.ingest.loaders import load_file, load_paths
from tests.conftest import SEED_DIR
from tests.support.documents import make_pdf


def articles(items: list[Article | LoadProblem]) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def problems(items: list[Article | LoadProblem]) -> list[LoadProblem]:
    return [item for item in items if isinstance(item, LoadProblem)]


def test_seed_text_file_first_line_is_title() -> None:
    (article,) = list(load_paths([SEED_DIR]))
    assert isinstance(article, Article)
    assert article.title == "International Coalition underlined the coming fighting in Mousl"
    assert article.text.startswith("Spokesperson of International Coalition")
    assert "Qairawan" in article.text
    assert article.key == str((SEED_DIR / "mosul-campaign-2017.txt").resolve())


def test_markdown_heading_becomes_title(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("\n\n# A headline\n\nBody paragraph.\n", encoding="utf-8")
    (article,) = list(load_file(tmp_path / "a.md"))
    assert isinstance(article, Article)
    assert (article.title, article.text) == ("A headline", "Body paragraph.")


def test_jsonl_gz_records_keep_metadata(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    record = {
        "id": "x1",
        "url": "https://example.org/story",
        "title": "Story",
        "text": "Body.",
        "published": "2023/01/05",
        "source": "example.org",
    }
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(json.dumps(record) + "\n")
    (article,) = list(load_file(path))
    assert article == Article(
        key="https://example.org/story",
        title="Story",
        text="Body.",
        url="https://example.org/story",
        source="example.org",
        published="2023-01-05",
    )


def test_json_list_and_object(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([{"title": "A", "text": "a."}, {"text": "b."}]))
    (tmp_path / "one.json").write_text(json.dumps({"title": "C", "text": "c."}))
    loaded = list(load_paths([tmp_path]))
    assert [a.title for a in articles(loaded)] == ["A", "b.", "C"]
    assert len({a.key for a in articles(loaded)}) == 3


def test_html_main_text_title_and_date(tmp_path: Path) -> None:
    html = """<html><head><title>Ignored site title</title>
    <meta property="og:title" content="Troops reach the border">
    <meta property="article:published_time" content="2017-05-26T10:00:00Z">
    <meta property="og:url" content="https://news.example.org/border">
    </head><body><nav>Home | World | Sport</nav><article><h1>Troops reach the border</h1>
    <p>Iraqi paramilitary forces reached the Syrian border on Friday, commanders said, after a
    week-long push through villages west of Mosul that had been held by Islamic State.</p>
    <p>The Popular Mobilization Units said they had taken several villages near Baaj and were
    now securing the crossing, which militants had used to move fighters and supplies.</p>
    <script>alert('x')</script></article><footer>Copyright</footer></body></html>"""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (article,) = list(load_file(tmp_path / "page.html"))
    assert isinstance(article, Article)
    assert article.title == "Troops reach the border"
    assert article.published == "2017-05-26"
    assert article.url == "https://news.example.org/border"
    assert "Syrian border" in article.text
    assert "alert" not in article.text and "Copyright" not in article.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "empty file"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
        ("latin1.txt", "Caf\xe9 news\nbody".encode("latin-1"), "not valid UTF-8"),
        ("title-only.txt", b"Just a title\n", "no article text"),
        ("bad.json", b"{not json", "not valid JSON"),
        ("scalar.json", b"42", "expected a JSON object"),
        ("no-text.json", b'{"title": "t"}', 'no "text"'),
        ("empty.html", b"<html><body><nav>menu</nav></body></html>", "no article text"),
        ("broken.jsonl.gz", b"this is not gzip", "not a valid gzip file"),
        ("report.docx", b"PK\x03\x04 word", "unsupported file type"),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj", "damaged PDF"),
        ("renamed.pdf", b"plain text pretending to be a PDF", "not a PDF file"),
        ("scanned.pdf", make_pdf([]), "no text layer"),
    ],
)
def test_unreadable_files_are_reported_by_name_with_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (problem,) = list(load_file(path))
    assert isinstance(problem, LoadProblem)
    assert name in problem.where
    assert reason in problem.reason


def test_bad_jsonl_line_is_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"title": "A", "text": "a."}\n{broken\n\n{"title": "B", "text": "b."}\n')
    loaded = list(load_file(path))
    assert [a.title for a in articles(loaded)] == ["A", "B"]
    (problem,) = problems(loaded)
    assert problem.where == f"{path}:2"
    assert "not valid JSON" in problem.reason


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    lines = "".join(json.dumps({"title": f"T{i}", "text": "x " * 500}) + "\n" for i in range(200))
    data = gzip.compress(lines.encode())
    path.write_bytes(data[: len(data) // 2])
    loaded = list(load_file(path))
    assert articles(loaded), "articles before the cut are kept"
    assert "gzip" in problems(loaded)[-1].reason or "JSON" in problems(loaded)[-1].reason


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: no need to write 50 MB
    (problem,) = list(load_file(path))
    assert isinstance(problem, LoadProblem) and "too large" in problem.reason


def test_missing_path_and_folder_walk(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Title A\nBody A.")
    (tmp_path / ".hidden.txt").write_text("Hidden\nBody.")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    loaded = list(load_paths([tmp_path, tmp_path / "missing.txt"]))
    assert [a.title for a in articles(loaded)] == ["Title A"]
    (problem,) = problems(loaded)
    assert "missing.txt" in problem.where and "no such file" in problem.reason


def test_html_in_text_is_kept_as_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("<b>Bold</b> & title\n<script>alert(1)</script> body")
    (article,) = list(load_file(tmp_path / "a.txt"))
    assert isinstance(article, Article)
    assert article.text == "<script>alert(1)</script> body"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023/01/05", "2023-01-05"),
        ("2017-05-26T10:00:00Z", "2017-05-26"),
        ("", ""),
        (None, ""),
        ("May 26, 2017", "2017-05-26"),
        ("yesterday", "yesterday"),
    ],
)
def test_normalize_date(raw: object, expected: str) -> None:
    assert normalize_date(raw) == expected


def test_pdf_text_layer_is_read_with_its_title(tmp_path: Path) -> None:
    path = tmp_path / "briefing.pdf"
    lines = ["Iraqi forces retook the airport on Thursday.", "The PMU holds Qairawan (west)."]
    path.write_bytes(make_pdf(lines, title="Mosul briefing"))
    (article,) = list(load_paths([path]))
    assert isinstance(article, Article)
    assert article.title == "Mosul briefing"
    assert "retook the airport" in article.text and "Qairawan (west)" in article.text
    assert article.source == "briefing.pdf" and article.origin == str(path.resolve())


def test_pdf_without_title_uses_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(make_pdf(["Airport retaken", "Iraqi forces retook the airport."]))
    (article,) = list(load_paths([path]))
    assert isinstance(article, Article)
    assert (article.title, article.text) == ("Airport retaken", "Iraqi forces retook the airport.")


def test_include_patterns_pick_files_in_folders(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Title A\nBody of A.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("Title B\nBody of B.")
    (tmp_path / "c.txt").write_text("Title C\nBody of C.")
    loaded = list(load_paths([tmp_path], include=["*.md"]))
    assert sorted(a.title for a in loaded if isinstance(a, Article)) == ["Title A", "Title B"]
