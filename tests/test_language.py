"""The question's language, told by the real py3langid model (bot/answering/language.py):
the labelled set of bench/language_questions.tsv, names and short questions as English, and
input that is no language at all."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.answering.language import (
    ENGLISH,
    LanguageDetector,
    detect_language,
    language_named,
    load_kept,
    without_names,
)

QUESTIONS = Path(__file__).parents[1] / "bench" / "language_questions.tsv"


def labelled() -> list[tuple[str, str]]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def test_the_labelled_questions_are_told_as_benchmarked() -> None:
    rows = labelled()
    assert len(rows) == 120
    wrong = [
        (code, q, detect_language(q).code) for code, q in rows if detect_language(q).code != code
    ]
    assert len(wrong) <= 1, wrong  # BENCHMARKS.md: 119 of 120


@pytest.mark.parametrize(
    "question",
    ["Who is Hadi al-Amiri?", "Baaj?", "Tal Sufouq?", "Qairawan", "al-Hashd al-Shaabi?", "PMU?"],
)
def test_a_question_of_names_is_english(question: str) -> None:
    assert detect_language(question) == ENGLISH


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("¿Quién controla Qairawan?", "es"),
        ("Кто контролирует Каирван?", "ru"),
        ("Кто контролирует Qairawan?", "ru"),  # mixed scripts: the question's own words
        ("من يسيطر على Qairawan؟", "ar"),
        ("Wer kontrolliert Qairawan?", "de"),
    ],
)
def test_names_in_another_language_s_question_leave_its_language(question: str, code: str) -> None:
    assert detect_language(question).code == code


@pytest.mark.parametrize(
    "question", ["", "   ", "?", "🙂🙂🙂", "123 456", "\x00\x01", "[1]", "https://example.com/a"]
)
def test_what_is_no_language_is_english(question: str) -> None:
    assert detect_language(question) == ENGLISH


def test_a_very_long_question_is_told_from_its_opening_in_bounded_time() -> None:
    assert detect_language("¿Quién controla la ciudad de Mosul? " * 20_000).code == "es"
    assert detect_language("x" * 1_000_000) == ENGLISH


def test_the_names_left_out_and_the_language_names() -> None:
    assert without_names("Who is Hadi al-Amiri?") == "Who is"
    assert without_names("¿Quién controla Qairawan?") == "Quién controla"
    assert language_named("es").name == "Spanish"
    assert language_named("ru-RU").name == "Russian"
    assert language_named("pt_BR").name == "Portuguese"
    assert language_named("xx") == ENGLISH
    assert language_named("") == ENGLISH


def test_the_detector_loads_once_for_threads_asking_at_once() -> None:
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(detect_language("¿Qué pasó en Mosul?").code))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == ["es"] * 8


def test_importing_the_module_loads_no_model() -> None:
    code = "import sys, bot.answering.language; print('py3langid' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"


def test_a_detector_keeps_its_model_unpacked_and_reads_it_back(tmp_path: Path) -> None:
    first = LanguageDetector(tmp_path / "models")
    assert first.detect("¿Quién controla Qairawan?").code == "es"
    (kept,) = (tmp_path / "models").iterdir()
    assert kept.name.startswith("py3langid-") and {p.name for p in kept.iterdir()} == {
        "arrays.npz",
        "nextmove.bin",
    }
    second, read_back = LanguageDetector(tmp_path / "models"), load_kept(kept)
    for _, question in labelled():
        assert second.guess(question) == first.guess(question), question
        assert read_back.classify(question) == first.identifier().classify(question)
    assert read_back.nb_classes == first.identifier().nb_classes


@pytest.mark.parametrize("damage", ["truncate", "remove", "garbage"])
def test_a_damaged_copy_is_unpacked_again(tmp_path: Path, damage: str) -> None:
    LanguageDetector(tmp_path).detect("¿Qué pasó en Mosul?")
    (kept,) = tmp_path.iterdir()
    if damage == "truncate":
        with (kept / "nextmove.bin").open("r+b") as stored:
            stored.truncate(4 * 1000 + 3)
    elif damage == "remove":
        (kept / "arrays.npz").unlink()
    else:
        (kept / "arrays.npz").write_bytes(b"not a zip at all")
    assert LanguageDetector(tmp_path).detect("¿Qué pasó en Mosul?").code == "es"


def test_a_folder_it_cannot_write_still_detects(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the models folder should be")
    assert LanguageDetector(blocked / "models").detect("Кто контролирует Каирван?").code == "ru"
