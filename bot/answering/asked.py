"""What a question asks for: the kind of thing, what it calls it, and what it counts.

The kind is read from the question's words: "who" asks for a person, "which company" for an
organisation, "where" or "which country" for a place, "how many" for a number, "when" for a
date, and anything else ("what did they discover?") for other.
"""

from __future__ import annotations

import re
from enum import Enum

from index.text import STOPWORDS

_WORD = re.compile(r"[\w’'-]+")


class AnswerKind(Enum):
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    NUMBER = "number"
    DATE = "date"
    OTHER = "other"


_NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|old|long|far|high|big|large|tall|fast)\b|"
    r"\b(what|which) (percentage|percent|number|share|amount|price|age|fraction|proportion)\b",
    re.IGNORECASE,
)
_DATE_QUESTION = re.compile(
    r"\bwhen\b|\b(what|which) (year|date|day|month|time|decade)\b|\bon what day\b", re.IGNORECASE
)
_WHO = re.compile(r"\bwho(m|se)?\b", re.IGNORECASE)
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)
# "which 23-time grand slam tennis champion": the noun the question asks about, a few words on.
_ASKED_NOUN = re.compile(r"\b(?:which|what)\s+((?:[\w’'-]+\s+){0,4}[\w’'-]+)", re.IGNORECASE)
_PERSON_NOUNS = frozenset(
    """person man woman actor actress singer rapper star player president leader minister
    ceo founder celebrity musician artist author writer director judge senator governor
    candidate champion athlete comedian host king queen prince princess pope official
    billionaire entrepreneur politician lawmaker footballer golfer coach manager chef
    journalist anchor presenter figure icon legend designer executive member mayor
    spokesperson spokesman scientist astronaut model influencer youtuber congressman
    congresswoman republican democrat speaker""".split()  # noqa: SIM905
)
_PLACE_NOUNS = frozenset(
    """country countries nation nations state states city cities continent region island
    islands capital county town province territory location place port village area
    neighborhood neighbourhood district park""".split()  # noqa: SIM905
)
_ORGANISATION_NOUNS = frozenset(
    """company companies firm organization organisation team airline automaker carmaker
    brand retailer party network bank club agency university college newspaper chain
    restaurant manufacturer maker giant startup broadcaster group corporation business
    outlet store league union government department ministry agency publisher studio
    platform service band channel magazine institution lender insurer""".split()  # noqa: SIM905
)


_POSSESSIVE_END = re.compile(r"[’']s?$")
_HIS_NAME = re.compile(r"\b(?:his|her) (?:full )?name\b", re.IGNORECASE)


def _asking(pattern: re.Pattern[str], question: str) -> list[re.Match[str]]:
    """The pattern's matches that ask: a "which" after a comma is a relative one when
    another follows it ("a balloon, which Pentagon officials said ..., was shot down off the
    coast of which state?"), and the asking one when none does ("In addition to the US,
    which country ...?")."""
    found = list(pattern.finditer(question))
    return [
        m
        for i, m in enumerate(found)
        if i == len(found) - 1 or not question[: m.start()].rstrip().endswith(",")
    ]


_TRUE_OR_FALSE = re.compile(r"\btrue or false\b", re.IGNORECASE)


def asks_true_or_false(question: str) -> bool:
    """ "True or false: ...": what it asks is a judgement, not a thing the passages name."""
    return _TRUE_OR_FALSE.search(question) is not None


def expected_kind(question: str) -> AnswerKind:
    """What kind of thing `question` asks for (see the module's docstring)."""
    if _NUMBER_QUESTION.search(question):
        return AnswerKind.NUMBER
    if _DATE_QUESTION.search(question):
        return AnswerKind.DATE
    # "Which U.S. state", "Which company’s stock": the noun's words as plain words.
    plain = question.replace("U.S.", "US")
    for match in _asking(_ASKED_NOUN, plain):
        for word in match.group(1).lower().split():
            word = _POSSESSIVE_END.sub("", word)
            if word in _PERSON_NOUNS or word.rstrip("s") in _PERSON_NOUNS:
                return AnswerKind.PERSON
            if word in _PLACE_NOUNS:
                return AnswerKind.PLACE
            if word in _ORGANISATION_NOUNS:
                return AnswerKind.ORGANISATION
    if _WHO.search(question) or _HIS_NAME.search(question):
        return AnswerKind.PERSON
    if _WHERE.search(question):
        return AnswerKind.PLACE
    return AnswerKind.OTHER


# What a "which ..." question names as the thing asked ("which former pope was laid to rest":
# "former pope"): its words up to the first function word, possessive or punctuation.
_DESCRIBED = re.compile(r"\b(?:which|what)\s+((?:[\w-]+\s+){0,2}[\w-]+)(?:’s|'s)?", re.IGNORECASE)
_NOT_DESCRIBING = frozenset(
    """is was are were did does do has have had will would can could should might may
    recently reportedly""".split()  # noqa: SIM905
)


_UNIT = re.compile(r"\bhow (?:many|much)\s+([\w-]+)", re.IGNORECASE)


def asked_unit(question: str) -> str | None:
    """What a "how many" question counts ("seconds" in "how many seconds to midnight?"), or
    None ("how much did it raise?")."""
    match = _UNIT.search(question)
    if match is None:
        return None
    word = match.group(1).lower()
    return None if word in STOPWORDS or word in _NOT_DESCRIBING else word


def asked_description(question: str) -> str | None:
    """The words a question uses for the thing it asks about ("team" in "What team does he
    play for?", "home goods chain" in "Which home goods chain recently said ..."), or None
    ("Who won ...?"): held against each candidate's name by the reader (reader.py)."""
    for match in _asking(_DESCRIBED, question.replace("U.S.", "US")):
        kept = []
        for word in match.group(1).split():
            if word.lower() in STOPWORDS or word.lower() in _NOT_DESCRIBING:
                break
            kept.append(word)
        if kept:
            return " ".join(kept)
    if _WHO.search(question):
        words = [word.strip("’'").lower() for word in _WORD.findall(question)]
        named = [word for word in words if word in _PERSON_NOUNS]
        return named[0] if named else None
    return None
