"""Questions with a misspelled name ("who controls Qairwan?", "Mousl", "al Amiri"), understood
as if spelled the way the articles spell it.

A word of the question the keyword index has never seen is replaced by the indexed word one
edit away (a letter dropped, added, changed, or two swapped) that the most chunks hold, if
that word is a name or a rare word rather than an ordinary English one. Two words the
articles write hyphenated ("al Amiri"), one of which the index doesn't know alone, are joined.

Left alone: short words, words the index knows, ordinary English words it lacks (the
embedding model's vocabulary), and in a question written with capitals the words not
capitalised (names are). So a question about something the articles don't cover isn't turned
into one they do, and "agave" isn't read as "agape". A made-up word with no indexed word one
edit away stays as it is, and the question is refused as before.

A correction must also belong with the rest of the question: it must be in one of the
articles that the question's other words find. A name spelled right that the articles never
mention ("Michael Kealty", in a question about a detective's charges) is not a typo of a word
they do ("realty", in no article about those charges).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from index.text import STOPWORDS, stem

Frequencies = Callable[[Iterable[str]], dict[str, int]]


class Vocabulary(Protocol):
    """The two lookups spelling correction makes in the keyword index
    (`index.keyword.KeywordVocabulary`), of words as `index.text.terms` makes them:
    `document_frequencies`, how many chunks hold each candidate, for those that occur at all;
    `in_articles_found_for`, whether a word is in the articles the chunks BM25 ranks best for
    a query come from, or None if the query finds nothing."""

    def document_frequencies(self, candidates: Iterable[str]) -> dict[str, int]: ...

    def in_articles_found_for(self, term: str, query: str) -> bool | None: ...


# Each unknown word costs a look-up per word one edit away (about 50 per letter): a question
# full of unknown words (up to NEWSDESK_MAX_QUESTION_CHARS) has only its first few corrected.
MAX_CORRECTIONS = 5
MIN_LENGTH = 5  # shorter words ("ISIL") have too many neighbours one edit away to guess from
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[\w’'-]+")


def correct_spelling(question: str, vocabulary: Vocabulary, english: frozenset[str]) -> str:
    """`question` with its unknown words spelled as the index spells them (unchanged if none),
    only into words of the articles the rest of the question finds."""
    words = list(_WORD.finditer(question))
    if not words:
        return question
    frequencies = vocabulary.document_frequencies
    surface = [m.group(0).lower() for m in words]
    # In a question written with capitals, only capitalised words are taken for names; one
    # typed all in lower case may have a name in any word.
    cased = any(m.group(0)[:1].isupper() for m in words)
    known = frequencies([stem(word) for word in surface])
    replacements: dict[int, str] = {}
    skip = set()
    tried = 0
    for i, (match, word) in enumerate(zip(words, surface, strict=True)):
        if i in skip:
            continue
        if i + 1 < len(words) and _adjacent(question, match, words[i + 1]):
            joined = f"{word}-{surface[i + 1]}"
            pair = (word, surface[i + 1])
            apart = any(stem(part) not in known for part in pair)
            ordinary = any(part in STOPWORDS or not part.isalpha() for part in pair)
            if apart and not ordinary and frequencies([stem(joined)]):
                replacements[i] = _cased(joined, match.group(0) + "-" + words[i + 1].group(0))
                skip.add(i + 1)
                continue
        if len(word) < MIN_LENGTH or word in STOPWORDS or not word.isalpha():
            continue
        if stem(word) in known or word in english:
            continue
        if cased and not match.group(0)[:1].isupper():
            continue  # a word the asker didn't capitalise is no name: likely spelled as meant
        if tried == MAX_CORRECTIONS:
            break
        tried += 1
        rest = question[: match.start()] + question[match.end() :]
        better = _nearest(word, frequencies, english, _fits(rest, vocabulary))
        if better is not None:
            replacements[i] = _cased(better, match.group(0))
    if not replacements:
        return question
    out, cursor = [], 0
    for i, match in enumerate(words):
        if i in replacements:
            out.append(question[cursor : match.start()] + replacements[i])
            cursor = match.end()
        elif i in skip:
            cursor = match.end()
    out.append(question[cursor:])
    return "".join(out)


def _adjacent(question: str, first: re.Match[str], second: re.Match[str]) -> bool:
    """Two words with only a space between them."""
    return question[first.end() : second.start()] == " "


def _fits(rest: str, vocabulary: Vocabulary) -> Callable[[str], bool]:
    """Whether a correction belongs with the `rest` of the question: it is in the articles
    the rest finds. A rest that finds nothing has nothing to contradict."""
    return lambda candidate: vocabulary.in_articles_found_for(candidate, rest) is not False


def _nearest(
    word: str,
    frequencies: Frequencies,
    english: frozenset[str],
    fits: Callable[[str], bool],
) -> str | None:
    """The indexed word one edit from `word` that the most chunks hold (alphabetical on a tie)
    and that `fits` the question. Only names and rare words are candidates: an ordinary
    English word one edit away ("gave" for "agave") is more likely a different word than the
    one meant."""
    variants = {variant for variant in _one_edit(word) if variant not in english}
    stems = {variant: stem(variant) for variant in variants}
    found = frequencies(stems.values())
    scored = sorted((-found[s], variant) for variant, s in stems.items() if s in found)
    for _, variant in scored:
        if fits(stems[variant]):
            return variant
    return None


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return (deletes | swaps | changes | inserts) - {word}


def _cased(word: str, like: str) -> str:
    """`word` written the way `like` was, part by part: capitalised, upper or lower case."""
    parts, models = word.split("-"), like.split("-")
    if len(parts) != len(models):
        models = [like] * len(parts)
    return "-".join(_cased_part(part, model) for part, model in zip(parts, models, strict=True))


def _cased_part(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
