"""The file names of a caption export: safe on Windows, macOS and Linux whatever the title."""

from __future__ import annotations

import pytest

from mediaobjects.media_tracks.bulk import safe_stem


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Week 1: Welcome", "Week 1_ Welcome"),
        ("a/b\\c", "a_b_c"),
        ('Q&A? "live" <1> | *', "Q&A_ _live_ _1_ _ _"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("tab\there\nnew line", "tab_here_new line"),
        ("zero\u200bwidth", "zero_width"),
        ("  . trailing dots and spaces . . ", "trailing dots and spaces"),
        ("...", "untitled"),
        ("", "untitled"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1 ", "_com1"),
        ("Console", "Console"),
        ("Cafe\u0301", "Caf\u00e9"),
        ("日本語の講義", "日本語の講義"),
    ],
)
def test_titles_become_safe_file_names(title: str, stem: str) -> None:
    assert safe_stem(title) == stem


def test_long_titles_are_cut_between_characters_to_150_bytes() -> None:
    stem = safe_stem("講" * 200)
    assert stem == "講" * 50 and len(stem.encode("utf-8")) == 150
    assert safe_stem("a" * 149 + "é") == "a" * 149
