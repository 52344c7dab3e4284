"""The things of the asked kind (asked.py) that a sentence names, how well each looks like
that kind, and whether it merely repeats the question.

The things a sentence names are found by plain patterns: runs of capitalised words for names,
numbers with their currency and scale, and dates. spaCy's small English pipeline would tell
kinds of names apart, but its NER alone takes several times the question's whole latency
budget (BENCHMARKS.md, "Answer first: the reader").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.answering.answer_types import NAME_PATTERN
from bot.answering.asked import AnswerKind, asked_description
from index.text import STOPWORDS, content_words


@dataclass(frozen=True)
class Span:
    """One thing a sentence names: where it stands in the sentence, and its text."""

    start: int
    end: int
    text: str
    numeric: bool = False  # a number or an amount
    dated: bool = False  # a date or a year


_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b{_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+(?:1[89]|20)\d\d)?\b"
    rf"|\b\d{{1,2}}\s+{_MONTH}(?:\s+(?:1[89]|20)\d\d)?\b"
    rf"|\b{_WEEKDAY}\b|\b(?:1[89]|20)\d\d\b"
)
_SPELLED = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozens?|hundreds|thousands|millions|billions"
)
_SCALE = r"(?:\s*(?:%|percent|per cent|million|billion|trillion|thousand|hundred|bn|m)\b)?"
_AMOUNT = re.compile(
    rf"(?:[$£€¥]\s?)?\b\d[\d,]*(?:\.\d+)?{_SCALE}(?:\s*%)?"
    rf"|\b(?:{_SPELLED})(?:[\s-]+(?:{_SPELLED}))*{_SCALE}",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w’'-]+")
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()  # noqa: SIM905
)
# A name never ends on a particle ("Bank of" from "Bank of ..."), nor a possessive.
_TRAILING = re.compile(r"(?:\s+(?:of|the|de|del|da|al|bin|van|von|&))+$|[’']s?$|\.$")


def spans(sentence: str, kind: AnswerKind) -> list[Span]:
    """The things of `kind` that `sentence` names: numbers for a number, dates for a date, and
    names for the rest (a name question's answer is a name far more often than not)."""
    if kind is AnswerKind.NUMBER:
        return _amounts(sentence)
    if kind is AnswerKind.DATE:
        return [Span(m.start(), m.end(), m.group(0), dated=True) for m in _DATE.finditer(sentence)]
    return _names(sentence)


# "Millions", "dozens": no amount, whatever the question counts.
_VAGUE = frozenset("dozens hundreds thousands millions billions".split())  # noqa: SIM905
_NAMED_NUMBER = re.compile(r"[A-Za-z]-$")


def _amounts(sentence: str) -> list[Span]:
    found = []
    for m in _AMOUNT.finditer(sentence):
        text = m.group(0).strip()
        if not any(c.isalnum() for c in text) or text.lower() in _VAGUE:
            continue
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if _NAMED_NUMBER.search(sentence, 0, start):
            continue  # part of a name: "Covid-19", "F-35"
        found.append(Span(start, start + len(text), text, numeric=True))
    return found


def _names(sentence: str) -> list[Span]:
    opening = len(sentence) - len(sentence.lstrip(" \"“‘'([-–—"))
    found = []
    for m in NAME_PATTERN.finditer(sentence):
        start, text = _without_leading(m.start(), _TRAILING.sub("", m.group(0)))
        words = [w.lower() for w in _WORD.findall(text)]
        if not words or all(w in _CALENDAR or w in STOPWORDS or w in _NOT_NAMES for w in words):
            continue
        if start <= opening and len(words) == 1:
            continue  # capitalised only because it opens the sentence ("Several", "Officials")
        if text.isupper() and len(text) > 5 and " " in text:
            continue  # a headline in capitals, not a name
        found.append(Span(start, start + len(text), text))
    return found


def _without_leading(start: int, text: str) -> tuple[int, str]:
    """The name without the words that open it only because they open a sentence or a
    clause ("For the Suns" → "Suns", "If Georgia" → "Georgia"); "The" is kept."""
    dropped = 0
    while (word := _OPENING_WORD.match(text, dropped)) is not None:
        first = word.group(1)
        if first == "The" or (first.lower() not in _OPENING and first not in _PARTICLES):
            break
        dropped = word.end()
    return start + dropped, text[dropped:]


_OPENING_WORD = re.compile(r"(\S+)\s+(?=\S)")
_PARTICLES = frozenset({"&", "de", "del", "da", "al", "bin", "van", "von"})
_OPENERS = STOPWORDS | frozenset(
    """if like with without while although though because since until unless whether as
    clearly now how why yet still even meanwhile however instead indeed perhaps maybe
    today yesterday tonight here let before during against among despite
    hundreds thousands dozens millions several few both each every""".split()  # noqa: SIM905
)
# Capitals that name no one: "TV", "CEO", "AI" ("TV" answered which union ended a strike).
_NOT_NAMES = frozenset("tv os ceo cfo coo ai gdp cpi ev evs pc mvp nft ipo dj pm am".split())  # noqa: SIM905
_OPENING = _OPENERS | _NOT_NAMES  # "CEO of Apple TV": "Apple TV"


_PLACES = frozenset(
    """afghanistan albania algeria argentina armenia australia austria azerbaijan bahrain
    bangladesh belarus belgium bolivia bosnia brazil bulgaria cambodia cameroon canada chad
    chile china colombia congo croatia cuba cyprus czech denmark ecuador egypt england
    eritrea estonia ethiopia finland france gaza georgia germany ghana greece guatemala haiti
    honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan
    jordan kazakhstan kenya korea kosovo kuwait laos latvia lebanon libya lithuania
    madagascar malaysia mali malta mexico moldova mongolia montenegro morocco mozambique
    myanmar nepal netherlands nicaragua niger nigeria norway oman pakistan palestine panama
    paraguay peru philippines poland portugal qatar romania russia rwanda scotland senegal
    serbia singapore slovakia slovenia somalia spain sudan sweden switzerland syria taiwan
    tanzania thailand tunisia turkey uganda ukraine uruguay uzbekistan venezuela vietnam
    wales yemen zambia zimbabwe africa asia europe antarctica america oceania arctic
    alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii
    idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon
    pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming
    london paris beijing moscow tokyo delhi berlin rome madrid kyiv kiev baghdad mosul
    tehran cairo sydney toronto chicago houston boston atlanta seattle miami dallas denver
    detroit hollywood brooklyn manhattan""".split()  # noqa: SIM905
) | {
    "new york", "new jersey", "new mexico", "new hampshire", "north carolina",
    "south carolina", "north dakota", "south dakota", "west virginia", "rhode island",
    "united states", "united kingdom", "saudi arabia", "south africa", "south korea",
    "north korea", "new zealand", "sri lanka", "el salvador", "costa rica", "hong kong",
    "united arab emirates", "dominican republic", "puerto rico", "los angeles",
    "san francisco", "las vegas", "new orleans", "washington d.c", "west bank", "u.s", "uk",
    "us", "u.k", "eu", "the united states", "the uk", "the netherlands",
}  # fmt: skip
_PLACE_ENDS = frozenset(
    """city county province island islands river sea ocean mountains valley republic kingdom
    state states bay lake coast region street square park airport bridge""".split()  # noqa: SIM905
)
_ORGANISATION_WORDS = frozenset(
    """organization organisation party inc inc. corp corp. corporation company co co. ltd
    group airlines airline air bank university college council ministry agency association
    union committee department army forces force police club fc news times post network
    institute foundation commission court senate house congress parliament administration
    motors technologies systems studios records media league federation authority service
    services office board fund trust guard navy reuters""".split()  # noqa: SIM905
)


_THING_ENDS = frozenset(
    """prize prizes award awards trophy cup tour bowl series open championship championships
    games olympics olympic oscar oscars grammy grammys emmy emmys palace abbey castle center
    centre stadium arena festival show gala league day week month year act bill""".split()  # noqa: SIM905
)


def kind_fit(text: str, kind: AnswerKind) -> tuple[float, float]:
    """(fits, misfits): whether a name looks like the asked kind, and whether it looks like
    another one ("Islamic State" for "who"), by its words. Numbers and dates fit by being
    found at all."""
    if kind in (AnswerKind.NUMBER, AnswerKind.DATE):
        return 1.0, 0.0
    words = [w.lower().strip("’'.") for w in text.split()]
    lowered = " ".join(words)
    place = (
        lowered in _PLACES
        or lowered.removeprefix("the ") in _PLACES
        or (len(words) > 1 and words[-1] in _PLACE_ENDS)
    )
    organisation = any(w in _ORGANISATION_WORDS for w in words) or (
        text.isupper() and 2 <= len(text) <= 6 and lowered not in _PLACES
    )
    # A prize, an event or a building, or a name led by "the", is no one.
    thing = words[-1] in _THING_ENDS or (words[0] == "the" and len(words) > 1)
    # One word may be a person ("Bono", "DeSantis"): half a fit.
    person = 0.0 if place or organisation or thing else 1.0 if 2 <= len(words) <= 4 else 0.5
    looks = {AnswerKind.PLACE: float(place), AnswerKind.ORGANISATION: float(organisation)}
    looks[AnswerKind.PERSON] = person
    if kind is AnswerKind.OTHER:
        return 0.0, 0.0
    fits = looks[kind]
    misfits = fits == 0 and any(v == 1 for k, v in looks.items() if k is not kind)
    return fits, float(misfits)


@functools.lru_cache(maxsize=4096)
def repeated_share(span: str, question: str) -> float:
    """The share of the span's words that the question already has: 1 for "Badr Organization"
    asked "Who leads the Badr Organization?", which names the subject, not the answer."""
    words = content_words(span.replace(".", ""))
    if not words:
        return 1.0
    if _people_of(span, question):
        return 1.0
    # "Federal Aviation Administration" in the span, "FAA" in the question (as written: read
    # as "US" too, "U.S." cost train-2022 an answer, BENCHMARKS.md, "As long as it needs to be").
    if _initials(span) & content_words(question):
        return 1.0
    return len(words & _question_terms(question)) / len(words)


def too_wide(span: str, question: str) -> bool:
    """The whole country, asked for a part of it: "United States" (or "US") is no answer to
    "which state" or "which US city"."""
    return span.lower().rstrip(".") in _WHOLE_COUNTRY and _asks_for_a_part(question)


@functools.lru_cache(maxsize=256)
def _asks_for_a_part(question: str) -> bool:
    asked = asked_description(question)
    return asked is not None and asked.split()[-1].lower() in _PARTS_OF_A_COUNTRY


_PARTS_OF_A_COUNTRY = frozenset(
    "state states city cities region county town province district island".split()  # noqa: SIM905
)
_WHOLE_COUNTRY = frozenset(
    {"united states", "the united states", "us", "u.s", "the us", "the u.s", "usa", "america"}
)


def _people_of(span: str, question: str) -> bool:
    """A place whose people or language the question names: "Russia" asked about "Russian
    nuclear weapons", "Sri Lanka" asked about the "Sri Lankan President"."""
    place = span.lower().removeprefix("the ")
    if place not in _PLACES:
        return False
    *rest, last = place.split()
    if len(last) < 4:
        return False
    asked = [word.lower() for word in re.findall(r"[^\W\d_]+", question)]
    return all(word in asked for word in rest) and any(
        word.startswith(last[:-1]) and 0 <= len(word) - len(last) <= 4 and word != last
        for word in asked
    )


@functools.lru_cache(maxsize=256)
def _question_terms(question: str) -> frozenset[str]:
    """The question's terms, "U.S." as "US" too, each part of "Israel-Hamas", and the initials
    of its names of several words ("faa" for "Federal Aviation Administration")."""
    return frozenset(
        content_words(question)
        | content_words(question.replace(".", ""))
        | content_words(question.replace("-", " "))
        | _initials(question)
    )


# A name of several capitalised words, "of", "and", "for" and "the" allowed inside.
_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][\w’'-]*)+")


def _initials(text: str) -> set[str]:
    """The initials of each name of two or more capitalised words: "faa"."""
    found = set()
    for run in _NAME_RUN.finditer(text):
        capitals = [word[0] for word in run.group(0).split() if word[:1].isupper()]
        if len(capitals) >= 2:
            found.add("".join(capitals).lower())
    return found
