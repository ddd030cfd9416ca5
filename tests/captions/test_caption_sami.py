"""SAMI: a two-language file as old Windows Media and LMS exports hold them, read in either
language, what is dropped (scripts, styles, handlers, fonts), every rejection with its line, and
the writer read back by our parser and by pycaption."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions import CaptionDocument, CaptionError, Cue, parse_sami, write_sami
from mediaobjects.captions.sami import sami_languages
from tests.captions.test_caption_properties import THOROUGH, caption_like_text
from tests.captions.test_caption_ttml import documents

TWO_LANGUAGES = (
    "\ufeff<SAMI>\r\n"
    "<HEAD>\r\n"
    "<TITLE>Lecture 1</TITLE>\r\n"
    "<SAMIParam>\r\n"
    "  Metrics {time:ms;}\r\n"
    "  Spec {MSFT:1.0;}\r\n"
    "</SAMIParam>\r\n"
    '<STYLE TYPE="text/css">\r\n'
    "<!--\r\n"
    "P { font-family: Arial; font-weight: normal; color: white; text-align: center; }\r\n"
    ".ENUSCC { Name: English; lang: en-US; SAMIType: CC; }\r\n"
    ".FRFRCC { Name: French; lang: fr-FR; SAMIType: CC; }\r\n"
    "#Source { color: yellow; }\r\n"
    "-->\r\n"
    "</STYLE>\r\n"
    "<SCRIPT>document.write('no')</SCRIPT>\r\n"
    "</HEAD>\r\n"
    "<BODY>\r\n"
    "<SYNC Start=1000>\r\n"  # line 19
    "  <P Class=ENUSCC>Hello&nbsp;there,<br>Tom &amp; <i>Jerry</i>\r\n"
    "  <P Class=FRFRCC>Bonjour,<BR>Tom &amp; <I>Jerry</I>\r\n"
    "<SYNC Start=3500>\r\n"  # line 22
    '  <P Class=ENUSCC onclick="steal()"><font color="red">Red</font> and <B>bold</B>\r\n'
    "  <P Class=FRFRCC>&nbsp;\r\n"
    "<SYNC Start=5000>\r\n"  # line 25
    "  <P Class=ENUSCC>&nbsp;\r\n"
    "  <P Class=FRFRCC>Au <u>revoir</u><script>alert(1)</script>\r\n"
    '<SYNC Start="6000">\r\n'
    "  <P Class=FRFRCC>&nbsp;\r\n"
    "</BODY>\r\n"
    "</SAMI>\r\n"
)


def test_the_first_declared_language_is_read_by_default() -> None:
    assert parse_sami(TWO_LANGUAGES).cues == (
        Cue(1000, 3500, "Hello there,\nTom &amp; <i>Jerry</i>"),
        Cue(3500, 5000, "Red and <b>bold</b>"),
    )


@pytest.mark.parametrize("language", ["fr-FR", "FRFRCC", "frfrcc", "FR-fr"])
def test_the_caller_names_a_language_by_class_or_lang(language: str) -> None:
    # The French paragraph is cleared at 3500 and a new one shows from 5000 to 6000.
    assert parse_sami(TWO_LANGUAGES, language=language).cues == (
        Cue(1000, 3500, "Bonjour,\nTom &amp; <i>Jerry</i>"),
        Cue(5000, 6000, "Au <u>revoir</u>"),
    )


def test_the_declared_languages_are_listed() -> None:
    assert sami_languages(TWO_LANGUAGES) == [("ENUSCC", "en-US"), ("FRFRCC", "fr-FR")]


def test_an_unknown_language_is_a_problem_naming_the_ones_there_are() -> None:
    with pytest.raises(CaptionError) as caught:
        parse_sami(TWO_LANGUAGES, language="de")
    assert str(caught.value) == (
        "this file has no language 'de'; it declares ENUSCC (en-US), FRFRCC (fr-FR)"
    )


def test_without_a_style_block_the_first_class_used_is_read_among_thousands() -> None:
    # Every paragraph its own class (a broken export): the first one is the language read.
    # (Tens of thousands of classes once cost quadratic time to tell apart.)
    syncs = "".join(f"<SYNC Start={n * 10}><P Class=C{n % 5000}>w{n}</P>" for n in range(10_000))
    content = f"<SAMI><BODY>{syncs}<SYNC Start=999999><P Class=C0>&nbsp;</P></BODY></SAMI>"
    cues = parse_sami(content).cues
    assert cues == (Cue(0, 50_000, "w0"), Cue(50_000, 999_999, "w5000"))


@pytest.mark.parametrize(
    ("content", "line", "near"),
    [
        ("<SAMI><BODY><SYNC Start=0><P>x<![<![<![", 1, "'<![<![<!['"),
        ("<SAMI>\n<!DOCTYPE sami [ <![ ", 2, "'<![ '"),
    ],
)
def test_a_malformed_declaration_is_a_caption_error(content: str, line: int, near: str) -> None:
    # The standard library's scanner raises AssertionError here (a 500 before).
    with pytest.raises(CaptionError) as caught:
        parse_sami(content)
    assert str(caught.value) == (
        f"line {line}: this is not readable SAMI: a malformed <![...]> or <!...> declaration "
        f"(expected name token at {near})"
    )


def test_unclosed_style_tags_past_the_nesting_limit_are_not_tracked() -> None:
    # Hundreds of thousands of unclosed tags each searched by every end tag took minutes.
    content = (
        "<SAMI><BODY><SYNC Start=0><P>" + "<i>" * 1000 + "</b>" * 1000 + "x"
        "<SYNC Start=10><P>&nbsp;</BODY></SAMI>"
    )
    assert parse_sami(content).cues == (Cue(0, 10, "<i>x</i>"),)


def test_a_file_without_classes_or_paragraphs() -> None:
    content = (
        "<sami><body>\n<sync start=0>Plain text in a SYNC\n<sync start=2000>&nbsp;\n"
        "<sync start=2500><p>Second<sync start=4000><p></p></body></sami>"
    )
    assert parse_sami(content).cues == (
        Cue(0, 2000, "Plain text in a SYNC"),
        Cue(2500, 4000, "Second"),
    )


def test_an_unclosed_head_or_title_ends_at_the_body() -> None:
    content = (
        "<SAMI><HEAD><TITLE>Lecture<STYLE>.ENCC { lang: en; }</STYLE>\n<BODY>"
        "<SYNC Start=1000><P Class=ENCC>Shown<SYNC Start=2000><P Class=ENCC>&nbsp;</SAMI>"
    )
    assert parse_sami(content).cues == (Cue(1000, 2000, "Shown"),)


def test_every_problem_is_listed_with_its_line() -> None:
    content = (
        "<SAMI><BODY>\n"
        "<SYNC Start=soon><P>lost\n"  # 2
        "<SYNC Start=2000><P>two\n"  # 3
        "<SYNC Start=1000><P>backwards\n"  # 4: ends the caption of line 3 before it starts
        "<SYNC Start=3000><P>last, never cleared\n"  # 5
        "</BODY></SAMI>"
    )
    with pytest.raises(CaptionError) as caught:
        parse_sami(content)
    assert [str(p) for p in caught.value.problems] == [
        "line 2: expected a start time in milliseconds such as <SYNC Start=1000>, found 'soon'",
        "line 4, cue 1: this SYNC starts at 1000 ms, before the caption it ends (line 3, "
        "2000 ms): a caption must end after it starts",
        "line 5, cue 2: the last caption never ends: add a <SYNC> with an empty paragraph after "
        "it (<SYNC Start=...><P>&nbsp;</P>)",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<SAMI></SAMI>", "no captions found: expected <SYNC> elements such as <SYNC Start=1000>"),
        (
            "<SAMI><BODY><SYNC Start=1><P>&nbsp;<SYNC Start=2><P>&nbsp;</BODY></SAMI>",
            "no captions found: every <SYNC> paragraph is empty",
        ),
    ],
)
def test_files_without_captions_are_refused(content: str, message: str) -> None:
    with pytest.raises(CaptionError) as caught:
        parse_sami(content)
    assert str(caught.value) == message


# ---- writing ---------------------------------------------------------------------------------

OVERLAPPING = CaptionDocument(
    cues=(
        Cue(1000, 3000, "<v Ann>Tom &amp; <i>Jerry</i>\n&lt;3</v>"),
        Cue(2000, 4000, "<b>Second</b>"),
        Cue(5000, 6000, "<u>Third</u> &copy;"),
    )
)


def test_writer_output_stacks_overlapping_cues() -> None:
    written = write_sami(OVERLAPPING, lang="fr-CA")
    assert ".FRCACC { Name: fr-CA; lang: fr-CA; SAMIType: CC; }" in written
    assert written.split("<BODY>\n")[1] == (
        "<SYNC Start=1000><P Class=FRCACC>Tom &amp; <i>Jerry</i><br>&lt;3</P></SYNC>\n"
        "<SYNC Start=2000><P Class=FRCACC>Tom &amp; <i>Jerry</i><br>&lt;3<br><b>Second</b></P>"
        "</SYNC>\n"
        "<SYNC Start=3000><P Class=FRCACC><b>Second</b></P></SYNC>\n"
        "<SYNC Start=4000><P Class=FRCACC>&nbsp;</P></SYNC>\n"
        "<SYNC Start=5000><P Class=FRCACC><u>Third</u> ©</P></SYNC>\n"
        "<SYNC Start=6000><P Class=FRCACC>&nbsp;</P></SYNC>\n"
        "</BODY>\n</SAMI>\n"
    )


def test_written_sami_reads_back_with_our_parser() -> None:
    assert parse_sami(write_sami(OVERLAPPING)).cues == (
        Cue(1000, 2000, "Tom &amp; <i>Jerry</i>\n&lt;3"),
        Cue(2000, 3000, "Tom &amp; <i>Jerry</i>\n&lt;3\n<b>Second</b>"),
        Cue(3000, 4000, "<b>Second</b>"),
        Cue(5000, 6000, "<u>Third</u> ©"),
    )


def test_written_sami_reads_back_with_pycaption() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pycaption import SAMIReader

        captions = SAMIReader().read(write_sami(OVERLAPPING))
        read = [
            (caption.start // 1000, caption.end // 1000, caption.get_text())
            for caption in captions.get_captions("en-US")
        ]
    assert read == [
        (1000, 2000, "Tom & Jerry\n<3"),
        (2000, 3000, "Tom & Jerry\n<3\nSecond"),
        (3000, 4000, "Second"),
        (5000, 6000, "Third ©"),
    ]


@THOROUGH
@given(documents())
def test_write_then_parse_keeps_cues_that_do_not_overlap(document: CaptionDocument) -> None:
    # Shift the cues so that none overlaps the next; SAMI shows one caption at a time.
    # Touching cues with the same text are one caption in SAMI, so each gets its number.
    cues, at = [], 0
    for number, cue in enumerate(document.cues):
        length = cue.end_ms - cue.start_ms
        cues.append(Cue(at, at + length, f"{cue.text} {number}"))
        at += length + (cue.start_ms % 2) * 500  # some touch, some leave a gap
    parsed = parse_sami(write_sami(CaptionDocument(cues=tuple(cues))))
    # Speakers are not written (SAMI has no way to say them); the rest comes back.
    once = parse_sami(write_sami(parsed))
    assert once == parsed
    assert [(c.start_ms, c.end_ms) for c in parsed.cues] == [(c.start_ms, c.end_ms) for c in cues]


_HTML_PIECES = st.sampled_from(
    ["<SAMI>", "<BODY>", "<SYNC Start=1000>", "<SYNC Start=x>", "<sync start='2000'>", "<P>",
     "<P Class=ENUSCC>", "&nbsp;", "<br>", "<i>", "</i>", "<b>", "<script>", "</script>",
     "<STYLE>.ENUSCC { lang: en-US; }</STYLE>", "<!--", "-->", "<![CDATA[", "<!", "</", "&#0;",
     "&", "<", " ", "\n", "\r"]
)  # fmt: skip


@THOROUGH
@given(
    st.one_of(
        st.text(),
        caption_like_text(),
        st.lists(st.one_of(_HTML_PIECES, st.text(max_size=5)), max_size=30).map("".join),
    ),
    st.sampled_from([None, "en-US", "x"]),
)
def test_any_input_gives_a_document_or_a_caption_error(text: str, language: str | None) -> None:
    try:
        document = parse_sami(text, language=language)
    except CaptionError as error:
        assert error.problems and all(p.line is None or p.line >= 1 for p in error.problems)
    else:
        assert document.cues
