"""Word error rate: how far a transcript (an automatic caption track) is from a reference
script, in words, as speech recognition is usually scored.

Both texts are first reduced to words by ``normalise_words``, so that what a viewer would not
count as a mistake is not one:

- WebVTT/SRT markup is removed and character references decoded (``<i>Hi</i> &amp;`` is
  "hi &"), so a caption file's text can be passed as it is;
- Unicode is normalised (NFKC: a full-width "Ａ" is "a", a composed "é" equals "e" plus a
  combining accent) and case-folded (``str.casefold``: "Straße" equals "STRASSE");
- punctuation is dropped, except an apostrophe inside a word ("don't", "o'clock"; the
  typographic ’ counts as ') and a full stop or comma between digits ("3.5", "1,000");
- a hyphen (or dash) splits words: "well-known" is "well" "known", because recognisers
  write compounds either way;
- numbers stay as written: "5" and "five" are different words, as they are to a reader;
- scripts written without spaces between words (Han, Hiragana, Katakana) count each
  character as a word, as the quality checks do.
"""

from __future__ import annotations

import unicodedata

import regex

from .markup import plain_text

# Letters, digits and combining marks, other than the scripts written without spaces.
_NO_SPACE_SCRIPT = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD_CHAR = rf"[[\p{{L}}\p{{N}}\p{{M}}]--[{_NO_SPACE_SCRIPT}]]"
_WORD = regex.compile(
    rf"(?V1)[{_NO_SPACE_SCRIPT}]"
    rf"|{_WORD_CHAR}+(?:'{_WORD_CHAR}+|(?<=\p{{N}})[.,]\p{{N}}+)*"
)
# Hyphens and dashes of every kind (Unicode category Pd) separate words.
_DASH = regex.compile(r"\p{Pd}")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})


def normalise_words(text: str) -> list[str]:
    """The words of ``text`` as ``word_error_rate`` compares them (see the module docstring)."""
    if "<" in text or "&" in text:
        text = plain_text(text)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _DASH.sub(" ", text)
    return [str(word) for word in _WORD.findall(text)]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words in the reference, over the words of
    ``normalise_words``, counted by the smallest such edit (Levenshtein distance over words).

    0.0 means identical words; the rate has no upper bound of 1, because a hypothesis can
    insert more words than the reference has. An empty reference has no words to divide by:
    the rate is 0.0 when the hypothesis is empty too and 1.0 (everything wrong) otherwise.
    Takes O(n * m) time and O(m) memory for n reference and m hypothesis words.
    """
    ref = normalise_words(reference)
    hyp = normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """The least number of word substitutions, deletions and insertions turning
    ``reference`` into ``hypothesis``."""
    # One row of the Levenshtein table at a time: row[j] is the distance between the
    # reference words seen so far and the first j hypothesis words.
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            substitution = previous[j - 1] + (ref_word != hyp_word)
            deletion = previous[j] + 1
            insertion = current[j - 1] + 1
            current.append(min(substitution, deletion, insertion))
        previous = current
    return previous[-1]
