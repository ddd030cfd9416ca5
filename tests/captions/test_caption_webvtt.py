"""WebVTT parsing and writing: accepted files, one test per rejection (line and message), and
the escaping that keeps written cue text valid."""

from __future__ import annotations

import pytest

from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    Cue,
    Note,
    escape_cue_text,
    parse_webvtt,
    plain_text,
    write_webvtt,
)

TIMING = '"00:00:01.000 --> 00:00:02.000"'


def reject(text: str) -> CaptionError:
    with pytest.raises(CaptionError) as caught:
        parse_webvtt(text)
    return caught.value


# --- accepted ---------------------------------------------------------------------------


def test_minimal_file() -> None:
    doc = parse_webvtt("WEBVTT\n\n00:01.000 --> 00:04.000\nHello")
    assert doc == CaptionDocument(cues=(Cue(1000, 4000, "Hello"),))


def test_full_file_round_trips_through_the_model() -> None:
    text = (
        "\ufeffWEBVTT - Lecture 1\r\n"
        "Kind: captions\r\n"
        "Language: en\r\n"
        "\r\n"
        "NOTE written by hand\r\n"
        "\r\n"
        "REGION\r\n"
        "id:fred width:40%\r\n"
        "\r\n"
        "STYLE\r\n"
        "::cue { color: yellow }\r\n"
        "\r\n"
        "intro\r\n"
        "00:00:01.000 --> 00:00:02.500 align:start  line:0\r\n"
        "<v Roger>Hi &amp; welcome</v>\r\n"
        "second line\r\n"
        "\r\n"
        "NOTE\r\n"
        "between cues\r\n"
        "\r\n"
        "100:00:00.000 --> 100:00:01.000\r\n"
        "late\r\n"
    )
    doc = parse_webvtt(text)
    assert doc == CaptionDocument(
        cues=(
            Cue(
                1000,
                2500,
                "<v Roger>Hi &amp; welcome</v>\nsecond line",
                "intro",
                "align:start line:0",
            ),
            Cue(360_000_000, 360_001_000, "late"),
        ),
        header="- Lecture 1",
        header_lines=("Kind: captions", "Language: en"),
        styles=("::cue { color: yellow }",),
        regions=("id:fred width:40%",),
        notes=(Note("written by hand", 0), Note("\nbetween cues", 1)),
    )
    assert parse_webvtt(write_webvtt(doc)) == doc


def test_write_layout() -> None:
    doc = CaptionDocument(
        cues=(Cue(1000, 2500, "Hi", "intro", "align:start"), Cue(3000, 4000, "")),
        header="Lecture",
        header_lines=("Kind: captions",),
        styles=("::cue { color: yellow }",),
        regions=("id:fred",),
        notes=(Note("top", 0), Note("end", 2)),
    )
    assert write_webvtt(doc) == (
        "WEBVTT Lecture\nKind: captions\n\n"
        "NOTE top\n\n"
        "REGION\nid:fred\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "intro\n00:00:01.000 --> 00:00:02.500 align:start\nHi\n\n"
        "00:00:03.000 --> 00:00:04.000\n\n"
        "NOTE end\n"
    )


@pytest.mark.parametrize("signature", ["WEBVTT", "WEBVTT ", "WEBVTT\tanything at all"])
def test_signature_forms(signature: str) -> None:
    doc = parse_webvtt(f"{signature}\n\n00:01.000 --> 00:02.000\nx")
    assert len(doc.cues) == 1


def test_cue_right_after_the_signature_line() -> None:
    # Browsers read this as a cue, so must we.
    doc = parse_webvtt("WEBVTT\n00:01.000 --> 00:02.000\nx")
    assert doc.cues == (Cue(1000, 2000, "x"),)


def test_header_only_file_has_no_cues() -> None:
    assert parse_webvtt("WEBVTT\n\n").cues == ()


def test_cue_with_empty_payload() -> None:
    doc = parse_webvtt("WEBVTT\n\n1\n00:01.000 --> 00:02.000\n\n2\n00:03.000 --> 00:04.000\nB")
    assert [c.text for c in doc.cues] == ["", "B"]


def test_identifier_that_looks_like_a_keyword_is_an_identifier() -> None:
    doc = parse_webvtt("WEBVTT\n\nNOTE\n00:01.000 --> 00:02.000\nx")
    assert doc.cues[0].identifier == "NOTE"


def test_lone_cr_line_ends() -> None:
    doc = parse_webvtt("WEBVTT\r\r00:01.000 --> 00:02.000\rx\ry")
    assert doc.cues[0].text == "x\ny"


# --- rejected ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first", ["", "webvtt", "WEBVTTX", "WEBVTT-title", " WEBVTT", "1", "\ufeff\ufeffWEBVTT"]
)
def test_bad_signature(first: str) -> None:
    error = reject(f"{first}\n\n00:01.000 --> 00:02.000\nx")
    assert str(error) == 'line 1: expected "WEBVTT" at the start of the first line'


def test_arrow_in_header_text() -> None:
    error = reject("WEBVTT a --> b\n")
    assert str(error) == 'line 1: the text after "WEBVTT" must not contain "-->"'


def test_srt_comma_gets_a_hint() -> None:
    error = reject("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\nx")
    assert str(error) == (
        'line 4, cue 1: expected a start time like "00:00:01.000" but found "00:00:01,000" '
        '(WebVTT uses "." before the milliseconds, not ",")'
    )


def test_single_digit_hours() -> None:
    error = reject("WEBVTT\n\n0:00:01.000 --> 00:00:02.000\nx")
    assert str(error) == 'line 3, cue 1: hours must have at least two digits in "0:00:01.000"'


@pytest.mark.parametrize("token", ["00:01.00", "0:01.000", "00:01", "00:00:01.0000", "1.000"])
def test_malformed_end_time(token: str) -> None:
    error = reject(f"WEBVTT\n\n00:00.000 --> {token}\nx")
    assert (
        str(error) == f'line 3, cue 1: expected an end time like "00:00:01.000" but found "{token}"'
    )


def test_minutes_of_sixty_or_more() -> None:
    error = reject("WEBVTT\n\n00:61:00.000 --> 01:02:00.000\nx")
    assert str(error) == 'line 3, cue 1: minutes must be less than 60 in "00:61:00.000"'


def test_seconds_of_sixty_or_more() -> None:
    error = reject("WEBVTT\n\n00:60.000 --> 01:02.000\nx")
    assert str(error) == 'line 3, cue 1: seconds must be less than 60 in "00:60.000"'


def test_end_before_start() -> None:
    error = reject("WEBVTT\n\n00:02.000 --> 00:01.000\nx")
    assert str(error) == "line 3, cue 1: end time 00:00:01.000 is before start time 00:00:02.000"


def test_end_equal_to_start() -> None:
    error = reject("WEBVTT\n\n00:02.000 --> 00:02.000\nx")
    assert str(error) == (
        "line 3, cue 1: end time 00:00:02.000 is the same as the start time; "
        "a cue must end after it starts"
    )


def test_missing_start_time() -> None:
    error = reject("WEBVTT\n\n--> 00:02.000\nx")
    assert str(error) == 'line 3, cue 1: expected a start time like "00:00:01.000" before "-->"'


def test_missing_end_time() -> None:
    error = reject("WEBVTT\n\n00:01.000 -->\nx")
    assert str(error) == 'line 3, cue 1: expected an end time like "00:00:02.000" after "-->"'


def test_setting_without_value() -> None:
    error = reject("WEBVTT\n\n00:01.000 --> 00:02.000 align\nx")
    assert (
        str(error) == 'line 3, cue 1: expected a cue setting like "align:start" but found "align"'
    )


def test_unknown_setting() -> None:
    error = reject("WEBVTT\n\n00:01.000 --> 00:02.000 aling:start\nx")
    assert str(error) == (
        'line 3, cue 1: unknown cue setting "aling:start" '
        "(WebVTT knows vertical, line, position, size, align, region)"
    )


def test_missing_blank_line_between_cues() -> None:
    error = reject("WEBVTT\n\n00:01.000 --> 00:02.000\nA\n2\n00:03.000 --> 00:04.000\nB")
    assert str(error) == (
        'line 6, cue 1: cue text must not contain "-->" '
        "(is a blank line missing before the next cue?)"
    )


def test_paragraph_without_timing() -> None:
    error = reject("WEBVTT\n\nJust some words")
    assert (
        str(error)
        == f'line 3: expected a cue timing line like {TIMING} but found "Just some words"'
    )


def test_identifier_without_timing() -> None:
    error = reject("WEBVTT\n\n1\nHello\nthere")
    assert str(error) == f'line 4: expected a cue timing line like {TIMING} but found "Hello"'


def test_style_after_a_cue() -> None:
    error = reject("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nSTYLE\n::cue {}")
    assert str(error) == "line 6: STYLE blocks must come before the first cue"


def test_region_after_a_cue() -> None:
    error = reject("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nREGION\nid:a")
    assert str(error) == "line 6: REGION blocks must come before the first cue"


def test_arrow_in_a_note() -> None:
    error = reject("WEBVTT\n\nNOTE\nthis\nis 00:01.000 --> 00:02.000")
    assert str(error) == 'line 5: a NOTE comment must not contain "-->"'


def test_arrow_on_the_note_line() -> None:
    error = reject("WEBVTT\n\nNOTE a --> b")
    assert str(error) == 'line 3: a NOTE comment must not contain "-->"'


def test_arrow_in_a_style_block() -> None:
    error = reject("WEBVTT\n\nSTYLE\n::cue {}\n/* --> */")
    assert str(error) == 'line 5: a STYLE block must not contain "-->"'


# --- read as browsers read it (webvtt-vs-browsers.md) ----------------------------------

# The shape of YouTube's automatic captions as yt-dlp and YouTube Studio export them: a line
# holding one space after each timing line, word timestamps, and "flash" cues that end with a
# line of one space.
YOUTUBE_AUTO = (
    "WEBVTT\n"
    "Kind: captions\n"
    "Language: en\n"
    "\n"
    "00:00:00.799 --> 00:00:03.389 align:start position:0%\n"
    " \n"
    "hello<00:00:01.120><c> everyone</c><00:00:01.920><c> and</c><00:00:02.240><c> welcome</c>\n"
    "\n"
    "00:00:03.389 --> 00:00:03.399 align:start position:0%\n"
    "hello everyone and welcome\n"
    " \n"
    "\n"
    "00:00:03.399 --> 00:00:06.789 align:start position:0%\n"
    "hello everyone and welcome\n"
    "to<00:00:04.000><c> the</c><00:00:04.480><c> course</c>\n"
)


def test_youtube_automatic_captions_are_accepted_with_their_three_cues() -> None:
    doc = parse_webvtt(YOUTUBE_AUTO)
    settings = "align:start position:0%"
    assert doc.header_lines == ("Kind: captions", "Language: en")
    assert doc.cues == (
        Cue(
            799,
            3389,
            " \nhello<00:00:01.120><c> everyone</c><00:00:01.920><c> and</c>"
            "<00:00:02.240><c> welcome</c>",
            settings=settings,
        ),
        Cue(3389, 3399, "hello everyone and welcome\n ", settings=settings),
        Cue(
            3399,
            6789,
            "hello everyone and welcome\nto<00:00:04.000><c> the</c><00:00:04.480><c> course</c>",
            settings=settings,
        ),
    )
    assert [plain_text(cue.text) for cue in doc.cues] == [
        " \nhello everyone and welcome",
        "hello everyone and welcome\n ",
        "hello everyone and welcome\nto the course",
    ]
    # What we serve reads back the same.
    assert parse_webvtt(write_webvtt(doc)) == doc


def test_a_line_of_spaces_is_text_not_a_blank_line() -> None:
    doc = parse_webvtt("WEBVTT\n\n \n00:01.000 --> 00:02.000\nlast\n\t\n")
    assert doc.cues == (Cue(1000, 2000, "last\n\t", " "),)
    written = write_webvtt(doc)
    assert written == "WEBVTT\n\n \n00:00:01.000 --> 00:00:02.000\nlast\n\t\n"
    assert parse_webvtt(written) == doc


def test_a_block_of_nothing_but_spaces_is_passed_over() -> None:
    doc = parse_webvtt("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\n  \n\t\n\n")
    assert doc.cues == (Cue(1000, 2000, "x"),)


def test_character_references_reach_the_viewer_decoded() -> None:
    text = "&copy; 2024 &hellip; &#169; &#xA9; &eacute;t&eacute; &euro;5 &#150; &copy"
    doc = parse_webvtt(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{text}")
    assert plain_text(doc.cues[0].text) == "© 2024 … © © été €5 – ©"
    # Served as references (valid WebVTT), not as "&amp;copy;" that shows the name.
    written = write_webvtt(doc).split("\n")[-2]
    assert written == "&copy; 2024 &hellip; &#169; &#xA9; &eacute;t&eacute; &euro;5 &#150; &copy;"


def test_markup_a_browser_hides_is_not_shown() -> None:
    text = "one<br>two <v>anon</v> <b >bold</b> <span class=x>s</span>"
    doc = parse_webvtt(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{text}")
    assert plain_text(escape_cue_text(doc.cues[0].text)) == "onetwo anon bold s"
    assert write_webvtt(doc).split("\n")[-2] == "onetwo anon</v> <b>bold</b> s"


# --- escaping on write ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("Tom &amp; Jerry &lt;3 &gt; &nbsp;&lrm;&rlm; &#169; &#xA9;", None),
        # Every reference a browser decodes is kept; legacy ones get their ";".
        ("&copy; &hellip; &#169; &#xA9; &notin; &NotNestedGreaterGreater;", None),
        ("&copy &amp 2&lt3 &#169 &notit; AT&T", "&copy; &amp; 2&lt;3 &#169; &not;it; AT&amp;T"),
        (
            "&#0; &#x110000; &#xD800; &#999999999999; &bogus; & &#; &#x;",
            "&amp;#0; &amp;#x110000; &amp;#xD800; &amp;#999999999999; &amp;bogus; &amp; "
            "&amp;#; &amp;#x;",
        ),
        ("x < y > z", "x &lt; y > z"),
        ("<i>italic</i> <b>bold</b> <u>under</u>", None),
        ("<I>shouting</I> <B>b</B> <U>u</U>", "<i>shouting</i> <b>b</b> <u>u</u>"),
        ('<font color="#ff0000">red</font> <FONT face=x>f</FONT >', "red f"),
        ("<c.yellow.bg>x</c> <ruby>漢<rt>kan</rt></ruby>", None),
        ("<v Roger Bingham>Hi</v> <v.loud Esme>Hey</v>", None),
        ("<v Tom & Jerry>Hi</v>", "<v Tom &amp; Jerry>Hi</v>"),
        ("<lang en-GB>colour</lang>", None),
        ("<00:00:01.000>karaoke <01:02.500>more", None),
        # Markup a browser hides is removed, not shown as text.
        (
            "<v>no name</v> <i class=x>y</i> <script>alert(1)</script>",
            "no name</v> <i>y</i> alert(1)",
        ),
        (
            "one<br>two<br/>three</br> <b >bold</b> <c..x.>c</c>",
            "onetwothree <b>bold</b> <c.x>c</c>",
        ),
        (
            "<v >x</v> <lang>y</lang> <v\tAnn>z</v> <p>para</p >",
            "x</v> y</lang> <v\tAnn>z</v> para",
        ),
        ("<3 <3> < y > <é>", "&lt;3 &lt;3> &lt; y > &lt;é>"),
        ("A --> B", "A --&gt; B"),
        ("<c.--> x", "&lt;c.--&gt; x"),
        ("-<font>->", "--&gt;"),
        # Only empty lines end a cue; a line of spaces is text and stays.
        ("one\n\ntwo\n   \nthree\r\nfour\n\t", "one\ntwo\n   \nthree\nfour\n\t"),
        ("<font color=red></font>\nkept", "kept"),
        ("a <", "a &lt;"),
        ("<<i>>", "&lt;<i>>"),
    ],
)
def test_cue_text_escaping(text: str, written: str | None) -> None:
    expected = text if written is None else written
    assert escape_cue_text(text) == expected
    assert escape_cue_text(expected) == expected


def test_written_cue_text_is_escaped() -> None:
    doc = CaptionDocument(cues=(Cue(0, 1000, "Fish & chips < 3 --> <i>now</i>"),))
    assert write_webvtt(doc) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFish &amp; chips &lt; 3 --&gt; <i>now</i>\n"
    )


def test_plain_text_is_what_the_viewer_reads() -> None:
    assert plain_text("<v Bob>Tom &amp; <i>Jerry</i></v> &lt;3 &#169;") == "Tom & Jerry <3 ©"


def test_writer_tidies_fields_that_could_break_the_file() -> None:
    doc = CaptionDocument(
        cues=(Cue(0, 1000, "x", "id --> with\nbreak", "align:start bogus a:b:c line:--> size:"),),
        header="title\n--> more",
        header_lines=("a", "", "b --> c"),
        styles=("s1\n\ns2 -->",),
        notes=(Note("n1\n\nn2 --->", 5),),
    )
    written = write_webvtt(doc)
    assert written == (
        "WEBVTT title -> more\na\nb -> c\n\n"
        "STYLE\ns1\ns2 ->\n\n"
        "id -> with break\n00:00:00.000 --> 00:00:01.000 align:start\nx\n\n"
        "NOTE n1\nn2 ->\n"
    )
    assert parse_webvtt(written).cues == (Cue(0, 1000, "x", "id -> with break", "align:start"),)
