"""Language detectors on short news questions: accuracy and per-call latency of lingua
(`lingua-language-detector`) and py3langid on bench/language_questions.tsv (20 questions each
in English, Spanish, Russian, Arabic, French and German, written for issue 29; name-only
questions such as "Who is Hadi al-Amiri?" count as English).

    .venv/bin/pip install lingua-language-detector py3langid
    .venv/bin/python -m bench.language_detectors

Each detector is asked as the bot asks it: the top language, taken only when its confidence
reaches a threshold, else English (each detector's best of THRESHOLDS is shown, and all).
It is tried over every language it knows and over the bot's list (LANGUAGES in
bot/answering/language.py), lingua in low-accuracy mode too, each on the question as asked
and with its names taken out. Each runs in a fresh process: load is the time and memory to
its first answer; per-call latency is the median and p95 over the set. Last, the bot's own
rule (detect_language).
See BENCHMARKS.md, "Question languages".
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot.answering.language import LANGUAGES, MIN_LETTERS, without_names

DATA = Path(__file__).with_name("language_questions.tsv")
Guess = Callable[[str], tuple[str, float]]  # (ISO 639-1 code, confidence)


def labelled() -> list[tuple[str, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, question = line.split("\t", 1)
            rows.append((code, question))
    return rows


def lingua_guess(restricted: bool, low_accuracy: bool) -> Guess:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    if restricted:
        codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
        languages = [Language.from_iso_code_639_1(code) for code in codes]
        builder = LanguageDetectorBuilder.from_languages(*languages)
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def guess(text: str) -> tuple[str, float]:
        values = detector.compute_language_confidence_values(text)
        if not values:
            return "", 0.0
        top = values[0]
        return top.language.iso_code_639_1.name.lower(), top.value

    return guess


def langid_guess(restricted: bool) -> Guess:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        identifier.set_languages(list(LANGUAGES))

    def guess(text: str) -> tuple[str, float]:
        code, confidence = identifier.classify(text)
        return str(code), float(confidence)

    return guess


def as_asked(question: str) -> str:
    return question


def names_out(question: str) -> str:
    """What the bot detects on: the question without its names; "" when too little is left."""
    words = without_names(question)
    return words if sum(c.isalpha() for c in words) >= MIN_LETTERS else ""


THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
DETECTORS: dict[str, Callable[[], Guess]] = {
    "py3langid, all 97 languages": lambda: langid_guess(False),
    f"py3langid, {len(LANGUAGES)} languages": lambda: langid_guess(True),
    "lingua, all 75 languages": lambda: lingua_guess(False, False),
    f"lingua, {len(LANGUAGES)} languages": lambda: lingua_guess(True, False),
    f"lingua, {len(LANGUAGES)} languages, low accuracy": lambda: lingua_guess(True, True),
}
PREPARED: dict[str, Callable[[str], str]] = {"as asked": as_asked, "names out": names_out}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(detector: str, prepared: str) -> str:
    """One detector in a fresh process (so its load time and memory are its own)."""
    rows, prepare = labelled(), PREPARED[prepared]
    before, started = rss_mb(), time.perf_counter()
    guess = DETECTORS[detector]()
    guess("Who controls the city?")  # lingua loads its models on the first call
    load_ms, memory = (time.perf_counter() - started) * 1000, rss_mb() - before
    found, timings = [], []
    for _, question in rows:
        began = time.perf_counter()
        text = prepare(question)
        found.append(guess(text) if text else ("en", 0.0))
        timings.append((time.perf_counter() - began) * 1000)
    scores = []
    for threshold in THRESHOLDS:
        taken = [code if confidence >= threshold else "en" for code, confidence in found]
        scores.append(sum(t == code for t, (code, _) in zip(taken, rows, strict=True)))
    best = max(range(len(THRESHOLDS)), key=lambda i: scores[i])
    taken = [code if confidence >= THRESHOLDS[best] else "en" for code, confidence in found]
    wrong = [f"{q} -> {t}" for t, (code, q) in zip(taken, rows, strict=True) if t != code]
    per_language = " ".join(
        f"{code} {sum(t == code == c for t, (c, _) in zip(taken, rows, strict=True))}"
        for code in dict.fromkeys(code for code, _ in rows)
    )
    p95 = sorted(timings)[int(len(timings) * 0.95)]
    sweep = " ".join(f"{t}:{n}" for t, n in zip(THRESHOLDS, scores, strict=True))
    lines = [
        f"{detector} ({prepared}): best {scores[best]}/{len(rows)} at threshold "
        f"{THRESHOLDS[best]} ({per_language}); by threshold {sweep}",
        f"    load {load_ms:,.0f} ms, +{memory:,.0f} MB; per call median "
        f"{statistics.median(timings):.3f} ms, p95 {p95:.3f} ms",
        *(f"    wrong: {line}" for line in wrong),
    ]
    return "\n".join(lines)


def main() -> int:
    print(f"{len(labelled())} questions; a guess below the threshold is English")
    spawn = multiprocessing.get_context("spawn")
    for prepared in PREPARED:
        for detector in DETECTORS:
            with spawn.Pool(1) as pool:
                print(pool.apply(measure, (detector, prepared)), flush=True)
    with spawn.Pool(1) as pool:
        print(pool.apply(as_the_bot_detects), flush=True)
    return 0


def as_the_bot_detects() -> str:
    """newsdesk's own rule (detect_language): name-only is English, else py3langid."""
    from bot.answering.language import THRESHOLD, detect_language

    rows = labelled()
    started = time.perf_counter()
    detect_language("Who controls the city?")
    load_ms = (time.perf_counter() - started) * 1000
    timings, wrong = [], []
    for code, question in rows:
        began = time.perf_counter()
        found = detect_language(question).code
        timings.append((time.perf_counter() - began) * 1000)
        if found != code:
            wrong.append(f"    wrong: {question} -> {found}")
    lines = [
        f"newsdesk detect_language (threshold {THRESHOLD}): {len(rows) - len(wrong)}/{len(rows)}; "
        f"load {load_ms:,.0f} ms; per call median {statistics.median(timings):.3f} ms",
        *wrong,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
