"""Word error rate: the figure the ASR tests and the benchmark report against a known script."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediaobjects.captions.wer import edit_distance, normalise_words, word_error_rate

FAST = settings(max_examples=60, deadline=None)

# Words the normalisation leaves as they are (lower-case letters only).
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
_SENTENCE = st.lists(_WORD, max_size=20).map(" ".join)


def test_case_punctuation_and_apostrophes() -> None:
    assert normalise_words("Don’t STOP, believing!  “Quoted” (text)...") == [
        "don't",
        "stop",
        "believing",
        "quoted",
        "text",
    ]


def test_hyphenated_words_split_and_numbers_stay_as_written() -> None:
    assert normalise_words("A well-known 3.5% rise — of 1,000 units in 2026.") == [
        "a",
        "well",
        "known",
        "3.5",
        "rise",
        "of",
        "1,000",
        "units",
        "in",
        "2026",
    ]
    assert word_error_rate("five cats", "5 cats") == 0.5


def test_webvtt_markup_is_not_words() -> None:
    assert normalise_words("<v Roger Bingham><i>Tom</i> &amp; Jerry</v> <00:00:01.000>run") == [
        "tom",
        "jerry",
        "run",
    ]


def test_unicode_aware() -> None:
    # Case folding beyond ASCII, composed and decomposed accents, full-width letters.
    assert normalise_words("STRASSE Café ＡＢＣ") == normalise_words("straße Cafe\u0301 abc")
    assert normalise_words("東京です") == ["東", "京", "で", "す"]


def test_counts_substitutions_deletions_and_insertions() -> None:
    reference = "the quick brown fox jumps over the lazy dog"
    assert word_error_rate(reference, reference.upper() + "!") == 0.0
    assert word_error_rate(reference, "the quick brown fox jumps over the lazy cat") == 1 / 9
    assert word_error_rate(reference, "the quick fox jumps over the lazy dog") == 1 / 9
    assert word_error_rate(reference, "the very quick brown fox jumps over the lazy dog") == 1 / 9
    # Two substitutions and a deletion.
    assert word_error_rate(reference, "a quick brown box jumps over lazy dog") == 3 / 9


def test_rate_can_exceed_one() -> None:
    assert word_error_rate("hello", "well hello there friend") == 3.0


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate(" ... ", "") == 0.0
    assert word_error_rate("", "something") == 1.0


@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [("kitten sitting", "sitting kitten", 2), ("a b c d", "b c d e", 2), ("a", "", 1)],
)
def test_edit_distance(reference: str, hypothesis: str, distance: int) -> None:
    assert edit_distance(reference.split(), hypothesis.split()) == distance


@FAST
@given(_SENTENCE)
def test_identical_text_has_no_errors(text: str) -> None:
    assert word_error_rate(text, text) == 0.0


@FAST
@given(_SENTENCE, _SENTENCE)
def test_bounds(reference: str, hypothesis: str) -> None:
    ref, hyp = reference.split(), hypothesis.split()
    distance = edit_distance(ref, hyp)
    # At least the difference in length, at most the longer of the two.
    assert abs(len(ref) - len(hyp)) <= distance <= max(len(ref), len(hyp))
    # The distance is symmetric (an insertion one way is a deletion the other way).
    assert distance == edit_distance(hyp, ref)
    if ref:
        assert word_error_rate(reference, hypothesis) == distance / len(ref)


@FAST
@given(_SENTENCE.filter(lambda text: text != ""), st.data())
def test_inserted_word_counts_once(reference: str, data: st.DataObject) -> None:
    words = reference.split()
    position = data.draw(st.integers(0, len(words)))
    extra = data.draw(_WORD)
    hypothesis = " ".join([*words[:position], extra, *words[position:]])
    assert word_error_rate(reference, hypothesis) == 1 / len(words)


@FAST
@given(st.text(max_size=80), st.text(max_size=80))
def test_any_text_gives_a_rate(reference: str, hypothesis: str) -> None:
    rate = word_error_rate(reference, hypothesis)
    assert rate >= 0.0
    assert (rate == 0.0) == (normalise_words(reference) == normalise_words(hypothesis))
