"""Download file names: safe on Windows, macOS and Linux whatever the media title holds, and
the Content-Disposition that carries them (an ASCII fallback and the exact UTF-8 name)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from mediaobjects.http.downloads import (
    download_disposition,
    download_filename,
    without_media_extension,
)

FORBIDDEN = set('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Lecture 1", "Lecture 1.en.vtt"),
        ("../../etc/passwd", "etc passwd.en.vtt"),
        ("C:\\Users\\x", "C Users x.en.vtt"),
        ("CON", "_CON.en.vtt"),
        ("nul", "_nul.en.vtt"),
        ("Com3.backup", "_Com3.backup.en.vtt"),
        ("CONSOLE", "CONSOLE.en.vtt"),
        ("a\tb\x00c\x1bd", "a b c d.en.vtt"),
        ("...", "captions.en.vtt"),
        ("", "captions.en.vtt"),
        (" .hidden. ", "hidden.en.vtt"),
        ("x\u202egnp.exe", "x gnp.exe.en.vtt"),
    ],
)
def test_names_are_safe(title: str, name: str) -> None:
    assert download_filename(title, "en", "vtt") == name


def test_no_name_holds_a_character_an_os_refuses() -> None:
    hostile = "".join(sorted(FORBIDDEN)) + "name" + "".join(sorted(FORBIDDEN))
    name = download_filename(hostile, "en", "vtt")
    assert name == "name.en.vtt"
    assert not FORBIDDEN & set(name)


def test_long_titles_are_cut_between_characters() -> None:
    # "é" written as e + combining accent: the cut must not leave a bare "e" with its accent
    # on the other side, nor half of a UTF-8 sequence.
    name = download_filename("e\u0301" * 200, "en", "vtt")
    stem = name.removesuffix(".en.vtt")
    assert len(stem.encode("utf-8")) <= 180
    assert stem == "e\u0301" * (len(stem) // 2)
    emoji = download_filename("👩\u200d💻" * 100, "en", "vtt").removesuffix(".en.vtt")
    assert not emoji.endswith("\u200d")
    assert len(emoji.encode("utf-8")) <= 180


def test_media_file_extensions_are_dropped_from_titles() -> None:
    assert without_media_extension("Lecture 1.mp4") == "Lecture 1"
    assert without_media_extension("Podcast.M4A") == "Podcast"
    assert without_media_extension("Notes v1.2") == "Notes v1.2"


def test_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    assert download_disposition("Lecture", "en", "srt") == 'attachment; filename="Lecture.en.srt"'
    value = download_disposition("Ünïcode 日本 ✓", "ja", "srt")
    fallback, exact = value.removeprefix("attachment; ").split("; ")
    assert fallback == 'filename="Unicode.ja.srt"'
    assert unquote(exact.removeprefix("filename*=UTF-8''")) == "Ünïcode 日本 ✓.ja.srt"
    value.encode("latin-1")  # a header value must be
