"""Every claim of an LLM answer checked against the passage it cites.

An answer is split into sentences (a `[n]` standing after a sentence's full stop belongs to
that sentence). A sentence is supported when:
- it cites at least one passage that was given to the model (a marker to one that wasn't
  is dropped, and doesn't count);
- every number it states (317, 1,200, 3.5, 2017) is a number of a passage it cites;
- every name it states is found in a passage it cites (its title, source and date count).
  A name is a capitalized word ("Qairawan", "al-Amiri", "PMU"), but not the first word of a
  sentence when that word is a common one ("The", "It", "According"), and any word in a
  script other than Latin ("Каирван");
- every link it gives (http, https, tg, www.) stands in a passage it cites: a reader follows
  a link on the bot's word, so an invented one is phishing;
- every number written in words ("sixty", "three hundred") is a number of a passage it cites,
  in words or figures;
- a sentence that writes in lowercase a name the passage capitalises ("qairawan"), or has no
  capital at all, is checked word by word: a name can't hide in lowercase ("the wagner
  group"). Each of its words (stopwords aside) must be in a passage it cites.

Matching is case-insensitive and ignores a possessive "'s", so a paraphrase that keeps the
facts passes however its other words differ. A failing sentence says why, in `reason`.

An answer in another language than English (the reader's, language.py) can't be held word
by word to English passages: its names would be its capitalised words in Spanish, its
Cyrillic words in Russian, all of them "missing". It is checked by what it can't translate:
its citations, numbers (in figures, any digits: "٣١٧" is 317) and links as above, and its
names, which the answer prompt tells the model to keep as the passages write them:
- in an answer written in another script (Russian, Arabic, ...), every word in Latin letters
  ("Qairawan", "al-Hashd", "PMU");
- in one in Latin letters, every capitalised word but the first of a sentence ("Qairawan";
  "Estado" of a translated "Estado Islámico" fails), and every "al-Amiri"; in German, which
  capitalises every noun, only the words a capital alone can't make a name of: those with a
  hyphen ("al-Amiri"), a digit, or in capitals ("PMU").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from langchain_core.documents import Document

from bot.answering.answers import SentenceCheck, sentences_of
from bot.answering.language import ENGLISH, Language
from bot.answering.time_window import spoken
from index.text import STOPWORDS, content_words, terms

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^\s*((?:\s*\[\d+(?:\s*,\s*\d+)*\])+[.,;:!?]*)\s*")
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th|s)?(?![\w])")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
# Links a reader could follow: with a scheme (https://, tg://), or www.
LINK = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\[\]()\"'“”‘’]+", re.IGNORECASE)
# A word with a letter outside the Latin script (Cyrillic, Arabic, Greek, CJK, ...).
_NON_LATIN_WORD = re.compile(r"\w*[^\W\d_a-zA-Z\u00C0-\u024F]\w*")
_ANY_WORD = re.compile(r"[^\W\d_][\w’'-]*")
_UNITS = {
    word: value
    for value, word in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen
        fourteen fifteen sixteen seventeen eighteen nineteen""".split()  # noqa: SIM905
    )
}
_TENS = {
    word: 10 * value
    for value, word in enumerate(
        "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split(),  # noqa: SIM905
    )
    if word != "_"
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
# A number in words opens on a unit or a ten ("one" and "zero" aside: "one of the villages"
# stands for "a") and runs on through units, tens and scales ("three hundred and ten").
_NUMBER_WORDS = re.compile(
    r"\b(?:{first})(?:[\s-]+(?:and[\s-]+)?(?:{rest}))*\b".format(
        first="|".join([*(w for w in _UNITS if w not in ("one", "zero")), *_TENS]),
        rest="|".join([*_UNITS, *_TENS, *_SCALES]),
    ),
    re.IGNORECASE,
)
_SENTENCE_OPENERS = STOPWORDS | frozenset(
    """however meanwhile yes no while although though because since if once last next
    earlier later today yesterday officials reports report several both each every all
    here neither either nor before after until""".split()  # noqa: SIM905
)


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer, each with the `[n]` markers that follow it."""
    merged: list[str] = []
    for sentence in sentences_of(text.strip()) or [text.strip()]:
        leading = _LEADING_MARKERS.match(sentence)
        if merged and leading:
            merged[-1] = f"{merged[-1]} {leading.group(1).strip()}"
            sentence = sentence[leading.end() :]
        if sentence.strip():
            merged.append(sentence.strip())
    return merged


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for group in MARKER.findall(sentence) for n in group.split(",") if n.strip()]


def numbers_in(text: str) -> set[str]:
    """The numbers of a text, normalized: "1,200" and "1200" are one number, "12th" is 12,
    "٣١٧" (Arabic-Indic digits) is 317."""
    found = _NUMBER.findall(MARKER.sub(" ", text))
    return {ascii_digits(match).replace(",", "") for match in found}


def ascii_digits(text: str) -> str:
    """Every decimal digit of any script as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


# Languages written in Latin letters (language.LANGUAGES); the others' answers keep names in
# Latin letters among words in their own script.
LATIN_SCRIPT = frozenset({"en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "tr", "id"})
# Languages that capitalise every noun: there a capital doesn't make a name.
CAPITALISE_NOUNS = frozenset({"de"})
_NAME_LIKE = re.compile(r"-|\d|^[A-Z]{2,}$")
_PARTICLE_NAME = re.compile(r"-[A-Z]")  # "al-Amiri", whose capital stands after the hyphen


def kept_names_in(sentence: str, language: Language) -> list[str]:
    """The names a sentence in another language than English must share with its passages
    (see the module's docstring)."""
    words = [
        re.sub(r"['’]s$", "", word).strip("'’-")
        for word in _WORD.findall(LINK.sub(" ", MARKER.sub(" ", sentence)))
    ]
    if language.code not in LATIN_SCRIPT:
        return [word for word in words if word]
    names = [word for word in words[1:] if word[:1].isupper() or _PARTICLE_NAME.search(word)]
    if language.code in CAPITALISE_NOUNS:
        return [word for word in names if _NAME_LIKE.search(word)]
    return names


def names_in(sentence: str) -> list[str]:
    """The capitalized words of a sentence, but a common word opening it, and its words in a
    script other than Latin."""
    text = LINK.sub(" ", MARKER.sub(" ", sentence))
    words = _WORD.findall(text)
    names = []
    for position, word in enumerate(words):
        bare = re.sub(r"['’]s$", "", word).strip("'’-")
        capitalized = any(part[:1].isupper() for part in bare.split("-"))
        if not bare or not capitalized:
            continue
        if position == 0 and (bare.lower() in _SENTENCE_OPENERS or _is_number_word(bare)):
            continue  # a number in words is checked as a number
        names.append(bare)
    return names + _NON_LATIN_WORD.findall(text)


def without_links(text: str) -> str:
    """The text with each link replaced by "[link]": for what is shown before it is checked
    (a streamed draft), where an invented link would be one tap away."""
    return LINK.sub("[link]", text)


def _is_number_word(word: str) -> bool:
    lowered = word.lower()
    return lowered in _UNITS or lowered in _TENS or lowered in _SCALES


def links_in(text: str) -> list[str]:
    """The links of a text, without the punctuation that closes a sentence after them."""
    return [link.rstrip(".,;:!?") for link in LINK.findall(text)]


def spelled_numbers(text: str) -> set[str]:
    """The numbers a text writes in words, as figures: "three hundred and ten" is "310"."""
    found = set()
    for match in _NUMBER_WORDS.finditer(text):
        total = current = 0
        for word in re.split(r"[\s-]+", match.group(0).lower()):
            if word in _UNITS or word in _TENS:
                current += _UNITS.get(word, 0) + _TENS.get(word, 0)
            elif word in _SCALES:
                scale = _SCALES[word]
                if scale == 100:
                    current = max(current, 1) * 100
                else:
                    total += max(current, 1) * scale
                    current = 0
        found.add(str(total + current))
    return found


def _hides_names(sentence: str, haystack: str) -> bool:
    """The sentence writes in lowercase a word its passages only capitalise ("qairawan"), or
    has no capital letter at all: its names can't be told by their case."""
    words = _ANY_WORD.findall(MARKER.sub(" ", LINK.sub(" ", sentence)))
    if words and not any(c.isupper() for word in words for c in word):
        return True
    capitalised: set[str] = set()
    lowercase: set[str] = set()
    for line in sentences_of(haystack):
        passage_words = _WORD.findall(line)
        # A word opening a sentence, or a headline's, is capitalised for that alone.
        capitalised |= {w.lower() for w in passage_words[1:] if w[:1].isupper()}
        lowercase |= {w.lower() for w in passage_words if w[:1].islower()}
    names = capitalised - lowercase - _SENTENCE_OPENERS
    return any(word[:1].islower() and word in names for word in words)


def passage_text(document: Document) -> str:
    """The passage as a sentence citing it is checked against: its text, title, source and
    date, the date also as said ("20 April 2024"), since the model is asked to say it."""
    meta = document.metadata
    extra = " ".join(str(meta.get(key, "")) for key in ("title", "source", "published"))
    try:
        said = " " + spoken(date.fromisoformat(str(meta.get("published") or "")[:10]))
    except ValueError:
        said = ""
    return f"{extra}{said}\n{document.page_content}"


def check_sentence(
    sentence: str, passages: list[Document], language: Language = ENGLISH
) -> SentenceCheck:
    cited = cited_numbers(sentence)
    if not cited:
        return SentenceCheck(sentence, False, "cites no passage")
    given = [n for n in cited if 1 <= n <= len(passages)]
    if not given:  # markers to passages not given are dropped; one given must remain
        return SentenceCheck(
            sentence, False, f"cites passage [{cited[0]}], which the model was not given"
        )
    labels = "".join(f"[{n}]" for n in dict.fromkeys(given))
    haystack = "\n".join(passage_text(passages[n - 1]) for n in given)
    for link in links_in(sentence):
        if link.lower() not in haystack.lower():
            return SentenceCheck(sentence, False, f"links to {link}, which {labels} does not")
    figures = numbers_in(haystack) | spelled_numbers(haystack)
    stated = numbers_in(sentence)
    if language.is_english:  # numbers in words are English words
        stated |= spelled_numbers(sentence)
    if absent := sorted(stated - figures):
        return SentenceCheck(sentence, False, f"states {absent[0]}, which {labels} does not")
    lowered = haystack.lower()
    if not language.is_english:
        return _names_kept(sentence, lowered, labels, language)
    for name in names_in(sentence):
        if not re.search(rf"(?<!\w){re.escape(name.lower())}", lowered):
            return SentenceCheck(sentence, False, f"names {name}, which {labels} does not")
    if _hides_names(sentence, haystack):
        known = content_words(haystack)
        for word in _ANY_WORD.findall(LINK.sub(" ", MARKER.sub(" ", sentence))):
            if any(term not in known for term in terms(word)):
                return SentenceCheck(
                    sentence, False, f"names {word} in lowercase, which {labels} does not"
                )
    return SentenceCheck(sentence, True)


def _names_kept(sentence: str, lowered: str, labels: str, language: Language) -> SentenceCheck:
    for name in kept_names_in(sentence, language):
        if not re.search(rf"(?<!\w){re.escape(name.lower())}", lowered):
            return SentenceCheck(sentence, False, f"names {name}, which {labels} does not")
    return SentenceCheck(sentence, True)


def check_answer(
    text: str, passages: list[Document], language: Language = ENGLISH
) -> list[SentenceCheck]:
    """Each sentence of `text` (markers numbered as the passages were given) checked; an
    answer in another `language` than English by its names, numbers and links alone."""
    return [check_sentence(s, passages, language) for s in answer_sentences(text)]


# A first line this short, with a citation, is the model's short answer (prompts/answer.txt).
MAX_SHORT_ANSWER_WORDS = 12


def split_short_answer(text: str) -> tuple[str, str]:
    """(the short answer line with its markers, the rest) when the reply opens with a line of
    its own of at most MAX_SHORT_ANSWER_WORDS words that cites a passage; else ("", text)."""
    first, newline, rest = text.strip().partition("\n")
    words = MARKER.sub(" ", first).split()
    if not newline or not rest.strip() or not cited_numbers(first):
        return "", text
    if not words or len(words) > MAX_SHORT_ANSWER_WORDS:
        return "", text
    return first.strip(), rest.strip()


def check_short_answer(line: str, passages: list[Document]) -> SentenceCheck:
    """The short answer must stand, word for word (case and spacing aside), in a passage it
    cites: it is shown on its own, in bold, with nothing around it to qualify it."""
    short = " ".join(MARKER.sub(" ", line).split()).strip(" .")
    given = [n for n in cited_numbers(line) if 1 <= n <= len(passages)]
    if not given:
        return SentenceCheck(line, False, "the short answer cites no passage it was given")
    labels = "".join(f"[{n}]" for n in dict.fromkeys(given))
    haystack = " ".join(" ".join(passage_text(passages[n - 1]).split()) for n in given).lower()
    if short.lower() not in haystack:
        return SentenceCheck(line, False, f"the short answer {short!r} is not in {labels}")
    return SentenceCheck(line, True)


def supported_share(checks: list[SentenceCheck]) -> float:
    return sum(check.supported for check in checks) / len(checks) if checks else 0.0
