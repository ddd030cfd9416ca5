"""The search query: words and "phrases" folded as captions are, every rejection a 400 on
``q``, and the FTS5 expression built only from words (no user syntax reaches the engine)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.errors import BadRequest
from mediaobjects.transcripts.query import parse_query


def test_words_and_phrases() -> None:
    query = parse_query('Machine "deep  LEARNING" e-mail École')
    assert query.groups == (("machine",), ("deep", "learning"), ("e", "mail"), ("ecole",))
    assert query.fts5_match() == '"machine" AND "deep learning" AND "e mail" AND "ecole"'
    assert query.phrases() == ["machine", "deep learning", "e mail", "ecole"]


def test_an_unclosed_quote_runs_to_the_end() -> None:
    assert parse_query('fun "big data').groups == (("fun",), ("big", "data"))


def test_repeated_words_are_asked_once() -> None:
    assert parse_query("fun FUN fün").groups == (("fun",),)


@pytest.mark.parametrize(
    "q", [None, "", "  ", "!!! ...", '""', "x" * 201, "w " * 21, "a\x00", "a\ud800"]
)
def test_rejections_name_q(q: str | None) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_query(q)
    assert caught.value.errors[0].field == "q"


@given(st.text(max_size=200))
def test_every_accepted_query_is_a_valid_fts5_expression(q: str) -> None:
    try:
        query = parse_query(q)
    except BadRequest:
        return
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            'CREATE VIRTUAL TABLE t USING fts5(x, tokenize="unicode61 remove_diacritics 2 '
            "categories 'L* N* Co M*'\")"
        )
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (query.fts5_match(),)).fetchall()
    finally:
        conn.close()
