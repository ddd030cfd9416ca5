"""Format detection from content alone, and what normalise_caption does with each format:
SRT and WebVTT kept as sent, SBV/TTML/SAMI stored as WebVTT, SCC and untimed text refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions import (
    CaptionError,
    detect_format,
    normalise_caption,
    parse_webvtt,
)
from tests.captions.test_caption_properties import THOROUGH, caption_like_text


def utf16(text: str) -> str:
    """What the HTTP layer hands over for a UTF-16 file: decoded text, the BOM kept."""
    return ("\ufeff" + text).encode("utf-16-le").decode("utf-16-le")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nHi", "webvtt"),
        ("\ufeffWEBVTT - with a title\r\n", "webvtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHi", "srt"),
        ("\n\n00:00:01,000 --> 00:00:02,000\nno number", "srt"),
        ("12\n", "srt"),
        ("webvtt\n\n00:01.000 --> 00:02.000\nlower case is not WebVTT", "srt"),
        ("0:00:01.000,0:00:03.000\nHello", "sbv"),
        (utf16("\r\n0:00:00.599,0:00:04.160\r\nHi"), "sbv"),
        ('<?xml version="1.0" encoding="UTF-8"?>\n<tt xmlns="http://www.w3.org/ns/ttml">', "ttml"),
        ("<tt xml:lang='en'>", "ttml"),
        ("<tt>", "ttml"),
        ('<tt:tt xmlns:tt="http://www.w3.org/ns/ttml">', "ttml"),
        ("\ufeff  <!-- exported by X -->\n<!DOCTYPE tt>\n<tt\n xmlns='x'/>", "ttml"),
        (utf16('<?xml version="1.0" encoding="UTF-16"?><tt xmlns="http://www.w3.org/ns/ttml"/>'),
         "ttml"),
        ("<SAMI>\n<HEAD>", "sami"),
        ("<sami><body>", "sami"),
        ("<!-- x --><SAMI >", "sami"),
        ("Scenarist_SCC V1.0\n\n00:00:00:00\t9420 9420", "scc"),
        ("\ufeffScenarist_SCC V1.0\r\n", "scc"),
        ("Transcript\n\n0:00:01.000,0:00:03.000\nHello", "sbv"),
        ("Welcome to the course. Today we talk about bread.", "text"),
        ("<html><body>Transcript</body></html>", "text"),
        ("<ttx>", "text"),
        ("", "text"),
    ],
)  # fmt: skip
def test_detection(content: str, expected: str) -> None:
    assert detect_format(content) == expected


# ---- what is stored ------------------------------------------------------------------------

SBV = "0:00:01.000,0:00:02.500\nTom & Jerry\n"
TTML = (
    '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling">'
    '<body><p begin="1s" end="2.5s">Tom &amp; <span tts:fontStyle="italic">Jerry</span>'
    "<script>alert(1)</script></p></body></tt>"
)
DFXP = (
    '<tt xmlns="http://www.w3.org/2006/10/ttaf1" '
    'xmlns:ttp="http://www.w3.org/2006/10/ttaf1#parameter" ttp:frameRate="24">'
    '<body><div><p begin="00:00:01:00" end="00:00:02:12">Tom &amp; Jerry</p></div></body></tt>'
)
SAMI = (
    '<SAMI><HEAD><STYLE TYPE="text/css"><!-- .ENCC { lang: en; } --></STYLE></HEAD><BODY>'
    "<SYNC Start=1000><P Class=ENCC onclick=x()>Tom &amp; <i>Jerry</i>"
    "<SYNC Start=2500><P Class=ENCC>&nbsp;</BODY></SAMI>"
)


@pytest.mark.parametrize(
    ("content", "detected", "text"),
    [
        (SBV, "sbv", "Tom &amp; Jerry"),
        (TTML, "ttml", "Tom &amp; <i>Jerry</i>"),
        (DFXP, "ttml", "Tom &amp; Jerry"),
        (SAMI, "sami", "Tom &amp; <i>Jerry</i>"),
        (utf16(SBV.replace("\n", "\r\n")), "sbv", "Tom &amp; Jerry"),
    ],
)
def test_converted_formats_store_webvtt_and_never_their_markup(
    content: str, detected: str, text: str
) -> None:
    result = normalise_caption(content)
    expected = f"WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n{text}"
    assert (result.format, result.webvtt, result.content) == (detected, expected, expected)
    assert parse_webvtt(result.content).cues == result.document.cues


@pytest.mark.parametrize(
    "content", ["1\n00:00:01,000 --> 00:00:02,000\nHi\n", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi"]
)
def test_srt_and_webvtt_are_stored_as_sent(content: str) -> None:
    assert normalise_caption(content).content is None


@pytest.mark.parametrize("lenient", [False, True])
def test_scc_is_converted_and_stored_as_webvtt(lenient: bool) -> None:
    # RCL, row 15, "Hi", EOC at 00:00:01;00 (its 4th word: 3 frames later), EDM at 00:00:03;00.
    content = "Scenarist_SCC V1.0\n\n00:00:01;00\t9420 9470 c8e9 942f\n\n00:00:03;00\t942c\n"
    result = normalise_caption(content, lenient=lenient)
    assert result.format == "scc"
    assert result.content == result.webvtt == "WEBVTT\n\n00:00:01.101 --> 00:00:03.003\nHi"
    assert not result.legacy


@pytest.mark.parametrize("lenient", [False, True])
def test_broken_scc_is_refused_even_when_lenient(lenient: bool) -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption("Scenarist_SCC V1.0\n\n00:00:01;00\t9420 zz70\n", lenient=lenient)
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        ("Welcome to the course.\nToday: bread.", "this looks like a plain transcript"),
        ("<html><body>Welcome</body></html>", "this looks like markup that is neither TTML nor SAMI"),
    ],
)  # fmt: skip
def test_untimed_text_is_refused_saying_so(content: str, looks: str) -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption(content)
    assert str(caught.value) == (
        f'no timing found: {looks}; captions need times such as "00:00:01,000 --> 00:00:02,000" '
        '(SRT) or "00:00:01.000 --> 00:00:02.000" (WebVTT), "0:00:01.000,0:00:02.000" (SBV), '
        "or a TTML, SAMI or SCC file"
    )
    # The legacy import mode still takes it the way Canvas does.
    assert normalise_caption(content, lenient=True).legacy


def test_invalid_converted_formats_are_refused_even_when_lenient() -> None:
    # There is no Canvas behaviour to fall back on: Canvas never accepted these as captions.
    for content in (SBV.replace("0:00:02.500", "0:00:00.500"), TTML.replace("</tt>", "")):
        with pytest.raises(CaptionError) as caught:
            normalise_caption(content, lenient=True)
        assert caught.value.line == 1


@THOROUGH
@given(st.one_of(st.text(), caption_like_text()))
def test_detection_never_fails_and_is_one_of_the_formats(text: str) -> None:
    assert detect_format(text) in ("webvtt", "srt", "sbv", "ttml", "scc", "sami", "text")
