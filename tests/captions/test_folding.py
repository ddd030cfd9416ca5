"""Caption words as transcript search folds them: accents, case and compatibility forms
folded, words split at anything that is not a letter, digit or mark, and highlighting that
never lets text become markup."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions.folding import (
    MAX_WORD_LENGTH,
    _words,
    folded_words,
    highlight,
    words,
)


def test_accents_case_and_compatibility_forms_are_folded() -> None:
    assert folded_words("École CAFÉ Straße ﬁn İstanbul") == [
        "ecole",
        "cafe",
        "strasse",
        "fin",
        "istanbul",
    ]


def test_a_separately_written_accent_stays_in_its_word() -> None:
    text = "e\u0301cole!"
    assert [(w.start, w.end, w.folded) for w in words(text)] == [(0, 6, "ecole")]


def test_punctuation_splits_words() -> None:
    assert folded_words("l'école, e-mail_2024") == ["l", "ecole", "e", "mail", "2024"]


def test_cjk_and_devanagari_are_words() -> None:
    assert folded_words("東京 हिन्दी") == ["東京", "हिनदी"]


def test_long_words_are_cut() -> None:
    assert folded_words("a" * 500) == ["a" * MAX_WORD_LENGTH]


def test_highlight_marks_matching_words_and_escapes_the_rest() -> None:
    assert highlight("<b>Café</b> & cafe", {"cafe"}) == (
        "&lt;b&gt;<mark>Café</mark>&lt;/b&gt; &amp; <mark>cafe</mark>"
    )


@given(st.text(), st.sets(st.text(min_size=1, max_size=3)))
def test_highlight_is_the_escaped_text_plus_marks(text: str, marked: set[str]) -> None:
    out = highlight(text, marked)
    assert out.replace("<mark>", "").replace("</mark>", "") == html.escape(text)


@given(st.text())
def test_folded_words_are_the_words_of_the_spans(text: str) -> None:
    assert folded_words(text) == [word.folded for word in words(text)]


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_ascii_text_takes_a_shortcut_to_the_same_words(text: str) -> None:
    assert words(text) == _words(text)
