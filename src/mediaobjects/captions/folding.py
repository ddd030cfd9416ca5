"""Words of caption text as transcript search sees them: accents and case folded (so "ecole"
finds "École" and "Café" finds "cafe"), split into runs of letters and digits, with the span of
each word in the original text so that a match can be marked where it was said. The same
folding serves the stored text and the query, on every database."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

# A word longer than this is cut: no one searches for it, and PostgreSQL refuses lexemes past
# 2,047 bytes.
MAX_WORD_LENGTH = 100


# ASCII text (most captions) folds to lower case and splits at anything but letters and
# digits: the general loop below gives the same words, ten times slower.
_ASCII_WORD = re.compile(r"[0-9A-Za-z]+")


@dataclass(frozen=True)
class Word:
    """One word of a text: ``text[start:end]`` as written, ``folded`` as searched."""

    start: int
    end: int
    folded: str


def _without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold(char: str) -> str:
    """One character folded: compatibility-decomposed, combining marks dropped, case-folded
    (twice, since case folding can bring a mark back: "İ" -> "i̇")."""
    return _without_marks(_without_marks(char).casefold())


@lru_cache(maxsize=65536)
def _is_word_char(char: str) -> bool:
    # Letters, digits and the spacing marks some scripts write inside words (Devanagari vowel
    # signs); the SQLite tokenizer is configured with the same categories.
    return unicodedata.category(char)[0] in "LNM"


def words(text: str) -> list[Word]:
    """The words of ``text`` in order. A character folding to nothing (a combining accent
    written separately) stays inside the word it follows."""
    if text.isascii():
        return [
            Word(m.start(), m.end(), m.group().lower()[:MAX_WORD_LENGTH])
            for m in _ASCII_WORD.finditer(text)
        ]
    return _words(text)


def _words(text: str) -> list[Word]:
    found: list[Word] = []
    start = -1
    pieces: list[str] = []

    def close(end: int) -> None:
        nonlocal start
        if pieces:
            # A character that folds to a word and a separator ("½" -> "1⁄2") ends the word
            # it starts: the word is that character.
            found.append(Word(start, max(end, start + 1), "".join(pieces)[:MAX_WORD_LENGTH]))
        pieces.clear()
        start = -1

    for index, char in enumerate(text):
        folded = fold(char)
        if folded == "":
            continue
        for part in folded:
            if _is_word_char(part):
                if start < 0:
                    start = index
                pieces.append(part)
            else:
                close(index)
    close(len(text))
    return found


class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character to its folded form, with every folded
    character that is not a word character turned into a space. Filled as characters are
    first seen, so translating runs in C for all but new characters."""

    def __missing__(self, code: int) -> str:
        value = "".join(part if _is_word_char(part) else " " for part in fold(chr(code)))
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def folded_words(text: str) -> list[str]:
    """``[word.folded for word in words(text)]``, computed without the spans (indexing a
    track folds every cue; only the cues shown are ever highlighted)."""
    return [word[:MAX_WORD_LENGTH] for word in text.translate(_FOLD_TABLE).split()]


def highlight(text: str, marked: Collection[str]) -> str:
    """``text`` HTML-escaped, each word whose folded form is in ``marked`` wrapped in
    ``<mark>``...``</mark>`` (the markup is ours; nothing of the text can become a tag)."""
    out: list[str] = []
    position = 0
    for word in words(text):
        if word.folded not in marked or word.start < position:
            continue
        out.append(html.escape(text[position : word.start]))
        out.append("<mark>" + html.escape(text[word.start : word.end]) + "</mark>")
        position = word.end
    out.append(html.escape(text[position:]))
    return "".join(out)
