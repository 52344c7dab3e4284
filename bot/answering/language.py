"""The language a reader asks in, told from the question's own words.

The detector is py3langid (its model ships in the wheel, 4.6 MB), restricted to LANGUAGES,
loaded once per process on the first question (never for `--help`). BENCHMARKS.md, "Question
languages", has the figures it was chosen on, beside lingua.

Names say little about a language ("Hadi al-Amiri", "Qairawan" are the articles' spelling
whatever the question's language). A question that is names and little else ("Baaj?", "Tal
Sufouq?": fewer than MIN_LETTERS letters once each capitalised word but the first and each
"al-" name are out), and one whose best language is below THRESHOLD, is English, the
articles' language: a reader is never answered in a language they didn't use. The detector
itself reads the whole question, names and all, which was the more accurate (BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mmap
import os
import re
import tempfile
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The languages told apart: the world's most asked-in news languages. A smaller list is more
# accurate on short text (BENCHMARKS.md); a question in another language is told as the
# closest of these, or English.
LANGUAGES: tuple[str, ...] = (
    "en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "tr", "id",
    "ru", "uk", "ar", "fa", "he", "hi", "zh", "ja", "ko",
)  # fmt: skip
NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "pl": "Polish", "tr": "Turkish",
    "id": "Indonesian", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "fa": "Persian",
    "he": "Hebrew", "hi": "Hindi", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
}  # fmt: skip
# Below this confidence (py3langid's normalised probability) a question is English: the best
# of 0.1-0.6 on bench/language_questions.tsv (BENCHMARKS.md).
THRESHOLD = 0.4
# Fewer letters than this left once names are out: too little to tell, so English.
MIN_LETTERS = 4
# Only the opening of a long paste is read: enough to tell, and a bounded cost.
MAX_DETECTED_CHARS = 400

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ARTICLE_NAME = re.compile(r"^(?:al|el|ad|ar|as|ash|at|az|an|ibn|bin|abu)-", re.IGNORECASE)


@dataclass(frozen=True)
class Language:
    """A language by its ISO 639-1 code, and its English name (what an LLM is told)."""

    code: str
    name: str

    @property
    def is_english(self) -> bool:
        return self.code == "en"


ENGLISH = Language("en", "English")


def language_named(code: str) -> Language:
    """The Language with ISO 639-1 `code`; English for a code not in LANGUAGES."""
    code = code.lower().split("-")[0].split("_")[0]
    return Language(code, NAMES[code]) if code in NAMES else ENGLISH


def _is_name(word: str, position: int, count: int) -> bool:
    """A capitalised word after the first (or the first standing alone: "Qairawan?"), or an
    "al-" name wherever it stands."""
    opener = position == 0 and count > 1
    return bool(_ARTICLE_NAME.match(word)) or (not opener and word[:1].isupper())


def without_names(question: str) -> str:
    """The question's words but its names (`_is_name`)."""
    words = _WORD.findall(question[:MAX_DETECTED_CHARS])
    return " ".join(w for i, w in enumerate(words) if not _is_name(w, i, len(words)))


def names_of(question: str, *, opens: bool = True) -> list[str]:
    """The question's names (`_is_name`), in order: "Hadi", "al-Amiri". `opens`: the text
    opens the question (else its first word is capitalised for no reason but a name)."""
    words = _WORD.findall(question)
    first = 0 if opens else 1
    return [w for i, w in enumerate(words, first) if _is_name(w, i, len(words) + first)]


class LanguageDetector:
    """py3langid's identifier restricted to LANGUAGES, loaded on first use, once per process
    (thread-safe). With `cache_dir`, the restricted model is kept there, unpacked, after its
    first load: the wheel's is LZMA-packed and takes 0.45 s to unpack, in every process that
    asks a question (a one-off `newsdesk ask` too); the kept one loads in a tenth of that
    (BENCHMARKS.md, "Question languages")."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self._identifier: Any = None
        self._lock = threading.Lock()

    def identifier(self) -> Any:
        with self._lock:
            if self._identifier is None:
                self._identifier = self._load()
            return self._identifier

    def kept_copy(self) -> Path:
        """The unpacked copy under `cache_dir`, made now if missing. `newsdesk models export`
        makes it at install with the ONNX exports, so that no question unpacks it, nor, in the
        image, tries to keep it in a models folder its user may not write. Raises OSError when
        it can't be kept."""
        kept = self.kept_folder()
        if kept is None:
            raise OSError("no models folder to keep the language model in")
        self.identifier()
        if not kept.is_dir():
            raise OSError(f"could not keep the language model in {kept}")
        return kept

    def _load(self) -> Any:
        kept = self.kept_folder()
        if kept is not None and kept.is_dir():
            try:
                return load_kept(kept)
            except (OSError, ValueError, KeyError) as error:  # a damaged copy: unpack again
                log.warning("language model copy %s unreadable (%s); unpacking", kept, error)
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(LANGUAGES))
        if kept is not None:
            try:
                keep(identifier, kept)
            except OSError as error:  # a read-only home still answers, unpacking each time
                log.warning("could not keep the language model in %s: %s", kept, error)
        return identifier

    def kept_folder(self) -> Path | None:
        if self.cache_dir is None:
            return None
        from importlib.metadata import version

        languages = hashlib.sha256(",".join(LANGUAGES).encode()).hexdigest()[:12]
        return self.cache_dir / f"py3langid-{version('py3langid')}-{languages}"

    def guess(self, text: str) -> tuple[str, float]:
        code, confidence = self.identifier().classify(text)
        return str(code), float(confidence)

    def detect(self, question: str) -> Language:
        """The language `question` is written in; English when it can't be told (see the
        module's docstring)."""
        if sum(c.isalpha() for c in without_names(question)) < MIN_LETTERS:
            return ENGLISH
        code, confidence = self.guess(question[:MAX_DETECTED_CHARS])
        return language_named(code) if confidence >= THRESHOLD else ENGLISH


def keep(identifier: Any, folder: Path) -> None:
    """Write the restricted model's arrays into `folder`, whole or not at all."""
    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as building:
        staged = Path(building) / "model"
        staged.mkdir()
        with (staged / "nextmove.bin").open("wb") as out:
            identifier.tk_nextmove.tofile(out)
        np.savez(
            staged / "arrays.npz",
            ptc=identifier.nb_ptc,
            pc=identifier.nb_pc,
            classes=np.array(identifier.nb_classes),
            row=np.frombuffer(identifier.tk_row, dtype=f"u{identifier.tk_row.itemsize}"),
            out=np.asarray(identifier.tk_output, dtype=np.int32),
            typecodes=np.array([identifier.tk_nextmove.typecode, identifier.tk_row.typecode]),
        )
        with contextlib.suppress(OSError):  # another process kept it first: theirs stands
            staged.rename(folder)


def load_kept(folder: Path) -> Any:
    """The identifier `keep` wrote into `folder`."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
        ptc, pc, classes = arrays["ptc"], arrays["pc"], arrays["classes"].tolist()
        moves, rows = (str(code) for code in arrays["typecodes"])
        row = array(rows, arrays["row"].tobytes())
        out = arrays["out"].tolist()
    return LanguageIdentifier(
        ptc, pc, classes, mapped(folder / "nextmove.bin", moves), out, norm_probs=True, tk_row=row
    )


def mapped(path: Path, typecode: str) -> memoryview:
    """The entries of `path` (written by `array.tofile`) as a read-only memory map. The
    detector's state table is 39 MB, of which a question visits a few pages: mapped, it
    costs neither the read nor the memory of a copy (BENCHMARKS.md, "Start-up without
    torch"), and it is indexed as the array was."""
    with path.open("rb") as stored:
        size = os.fstat(stored.fileno()).st_size
        if size == 0 or size % array(typecode).itemsize:
            raise ValueError(f"{path.name} is not whole entries")
        table = mmap.mmap(stored.fileno(), 0, access=mmap.ACCESS_READ)  # stays after close
    # typeshed knows the format codes only as literals; this one is the array's own.
    return memoryview(table).cast(typecode)  # type: ignore[call-overload,no-any-return]


_DETECTOR = LanguageDetector()


def detect_language(question: str) -> Language:
    """The language `question` is written in, by this process's detector with nothing kept
    on disk (`LanguageDetector` for one that keeps its model)."""
    return _DETECTOR.detect(question)
