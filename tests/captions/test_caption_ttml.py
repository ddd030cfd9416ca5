"""TTML, IMSC and DFXP: real-world-shaped files read cue by cue (styles by id, regions,
speakers, nested spans, frames, ticks, offsets, inherited times), what is dropped (scripts,
images, metadata), XML attacks refused, every rejection with its line, and the writer read
back by our parser and by pycaption."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    Cue,
    parse_ttml,
    parse_webvtt,
    plain_text,
    write_ttml,
    write_webvtt,
)
from tests.captions.test_caption_properties import THOROUGH, caption_like_text

# An IMSC 1 text profile file as a broadcaster's subtitling tool writes it: BOM, CRLF, XML
# declaration, styles referencing styles, a region that makes its text bold, a speaker
# declared as a ttm:agent, nested spans, entities, <br/>, and timing inherited from a <div>.
IMSC = (
    '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n'
    '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"\r\n'
    '    xmlns:ttm="http://www.w3.org/ns/ttml#metadata"\r\n'
    '    xmlns:ttp="http://www.w3.org/ns/ttml#parameter"\r\n'
    '    ttp:profile="http://www.w3.org/ns/ttml/profile/imsc1/text" xml:lang="en">\r\n'
    "  <head>\r\n"
    "    <metadata>\r\n"
    '      <ttm:agent xml:id="ada" type="person">\r\n'
    '        <ttm:name type="alias">Ada</ttm:name>\r\n'
    '        <ttm:name type="full">Ada Lovelace</ttm:name>\r\n'
    "      </ttm:agent>\r\n"
    "    </metadata>\r\n"
    "    <styling>\r\n"
    '      <style xml:id="white" tts:color="#FFFFFF" tts:fontFamily="proportionalSansSerif"/>\r\n'
    '      <style xml:id="emphasis" style="white" tts:fontStyle="italic"/>\r\n'
    '      <style xml:id="underlined" tts:textDecoration="underline"/>\r\n'
    "    </styling>\r\n"
    "    <layout>\r\n"
    '      <region xml:id="top" tts:origin="10% 5%" tts:extent="80% 20%" tts:fontWeight="bold"/>\r\n'
    '      <region xml:id="bottom" tts:origin="10% 75%" tts:extent="80% 20%"/>\r\n'
    "    </layout>\r\n"
    "  </head>\r\n"
    '  <body region="bottom" style="white">\r\n'
    '    <div begin="00:01:00.000">\r\n'
    '      <p xml:id="s1" begin="00:00:01.500" end="00:00:04.000" ttm:agent="ada">\r\n'
    '        Numbers &amp; <span style="emphasis">poetry</span>   are\r\n'
    "        <br/>one &lt;science&gt;.\r\n"
    "      </p>\r\n"
    '      <p begin="3s" dur="2500ms" region="top">[THUNDER]</p>\r\n'
    '      <p begin="00:00:05.000" end="00:00:07.250"><span style="underlined">Note\r\n'
    '        <span tts:fontStyle="italic" tts:textDecoration="none">this</span></span></p>\r\n'
    "    </div>\r\n"
    "  </body>\r\n"
    "</tt>\r\n"
)


def test_an_imsc_text_profile_file_gives_its_cues() -> None:
    assert parse_ttml(IMSC).cues == (
        Cue(
            61500,
            64000,
            "<v Ada Lovelace>Numbers &amp; <i>poetry</i> are\none &lt;science&gt;.</v>",
        ),
        Cue(63000, 65500, "<b>[THUNDER]</b>"),
        Cue(65000, 67250, "<u>Note </u><i>this</i>"),
    )


# A DFXP file as Flash-era tools wrote it: the 2006/10 namespace with the "#style" styling
# namespace, 29.97 fps (30 x 1000/1001) clock times with frames, frame and tick offsets.
DFXP = """<?xml version="1.0" encoding="utf-8"?>
<tt xml:lang="en" xmlns="http://www.w3.org/2006/10/ttaf1"
    xmlns:tts="http://www.w3.org/2006/10/ttaf1#style"
    xmlns:ttp="http://www.w3.org/2006/10/ttaf1#parameter"
    ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001" ttp:tickRate="10000000">
  <head>
    <styling><style id="legacy-id-is-ignored" tts:fontWeight="bold"/></styling>
  </head>
  <body>
    <div xml:lang="en">
      <p begin="00:00:01:15" end="00:00:03:00" tts:fontStyle="italic">Half past one</p>
      <p begin="100f" end="130f">Frames</p>
      <p begin="50000000t" dur="1.5s">Ticks</p>
      <p begin="00:00:10.25" end="0.2m">Clock and minutes</p>
    </div>
  </body>
</tt>
"""


def test_a_dfxp_file_with_frame_based_times() -> None:
    # At 30000/1001 fps frame 15 is 0.5005 s, 100 frames 3.3367 s, 130 frames 4.3377 s; ticks
    # are 1/10,000,000 s.
    assert parse_ttml(DFXP).cues == (
        Cue(1501, 3000, "<i>Half past one</i>"),
        Cue(3337, 4338, "Frames"),
        Cue(5000, 6500, "Ticks"),
        Cue(10250, 12000, "Clock and minutes"),
    )


def test_tick_rate_defaults_to_the_frame_rate_and_smpte_drop_frame_labels() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
        ' ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001" ttp:timeBase="smpte"'
        ' ttp:dropMode="dropNTSC"><body><div>'
        '<p begin="00:01:00:02" end="00:10:00:00">after the first drop</p>'
        '<p begin="60t" end="00:00:03:00">ticks</p>'
        "</div></body></tt>"
    )
    # Drop-frame: label 00:01:00;02 is frame 1800 (two labels skipped), i.e. 60.06 s; label
    # 00:10:00;00 is frame 17982, 599.9994 s. Ticks default to frames: 60t = 2.002 s.
    assert parse_ttml(content).cues == (
        Cue(2002, 3003, "ticks"),
        Cue(60060, 599999, "after the first drop"),
    )


def test_spans_with_their_own_times_split_a_paragraph() -> None:
    # Roll-up style: the paragraph grows as words arrive, each state a cue of its own.
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="10s">'
        '<p begin="0s" end="4s">The<span begin="1s"> quick</span>'
        '<span begin="2s" end="3s"> brown</span></p>'
        "</div></body></tt>"
    )
    assert parse_ttml(content).cues == (
        Cue(10000, 11000, "The"),
        Cue(11000, 12000, "The quick"),
        Cue(12000, 13000, "The quick brown"),
        Cue(13000, 14000, "The quick"),
    )


def test_overlapping_and_out_of_order_paragraphs_come_out_by_start_time() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<div><p begin="5s" end="8s">second</p></div>'
        '<div><p begin="1s" end="6s">first</p><p begin="1s" end="2s">also first</p></div>'
        "</body></tt>"
    )
    assert [c.text for c in parse_ttml(content).cues] == ["first", "also first", "second"]


def test_scripts_images_metadata_and_handlers_are_dropped_with_their_text() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:h="http://www.w3.org/1999/xhtml"'
        ' xmlns:ttm="http://www.w3.org/ns/ttml#metadata"><body>'
        '<p begin="1s" end="2s" onmouseover="steal()">Safe<h:script>alert(1)</h:script>'
        '<script>alert(2)</script><image src="x.png"/><metadata><ttm:desc>hidden</ttm:desc>'
        '</metadata><span onclick="x()" style="nope"> text</span><set begin="1s"/></p>'
        "</body></tt>"
    )
    assert parse_ttml(content).cues == (Cue(1000, 2000, "Safe text"),)


def test_content_hidden_by_display_or_visibility_is_not_shown() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling">'
        '<head><styling><style xml:id="off" tts:visibility="hidden"/></styling></head><body>'
        '<p begin="1s" end="2s">Seen<span tts:display="none"> unseen</span>'
        '<span style="off"> nor this</span></p>'
        '<p begin="3s" end="4s" tts:display="none">hidden paragraph</p></body></tt>'
    )
    assert parse_ttml(content).cues == (Cue(1000, 2000, "Seen"),)


def test_preserved_white_space_keeps_line_breaks() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<p begin="1s" end="2s" xml:space="preserve">one\n  two</p></body></tt>'
    )
    assert parse_ttml(content).cues == (Cue(1000, 2000, "one\n  two"),)


@pytest.mark.parametrize(
    "root",
    [
        '<tt:tt xmlns:tt="http://www.w3.org/ns/ttml">{}</tt:tt>',
        "<tt>{}</tt>",
        '<tt xmlns="http://www.w3.org/2006/04/ttaf1">{}</tt>',
    ],
)
def test_any_prefix_or_namespace_on_the_root(root: str) -> None:
    body = '<body><div><p begin="1s" end="2s">x</p></div></body>'
    if root.startswith("<tt:"):
        body = body.replace("<", "<tt:").replace("<tt:/", "</tt:")
    assert parse_ttml(root.format(body)).cues == (Cue(1000, 2000, "x"),)


# ---- XML safety ------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE tt [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">\n' for n in range(1, 10))
    + ']>\n<tt><body><p begin="1s" end="2s">&lol9;</p></body></tt>'
).replace("&lol0;", "&lol;")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BILLION_LAUGHS, "line 3: entity declarations are not allowed in caption files"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE tt [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<tt><body><p begin="1s" end="2s">&xxe;</p></body></tt>',
            "line 2: entity declarations are not allowed in caption files",
        ),
        (
            '<!DOCTYPE tt [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>'
            "<tt/>",
            "line 1: entity declarations are not allowed in caption files",
        ),
        (
            '<tt><body><p begin="1s" end="2s">a&nbsp;b</p></body></tt>',
            "line 1: this is not well-formed XML: undefined entity (XML knows only &amp; &lt; "
            "&gt; &quot; &apos;; write &#160; for a no-break space)",
        ),
        ("<tt>" + "<span>" * 100_000, "line 1: elements are nested more than 64 deep"),
        ("<tt><body>\n<p>\n</body></tt>", "line 3: this is not well-formed XML: mismatched tag"),
        ("<html><body/></html>", "line 1: expected a TTML document whose root element is <tt> "
         "but found <html>"),
        ("<tt>\ud800</tt>", "is not valid Unicode text"),
    ],
)  # fmt: skip
def test_unsafe_or_broken_xml_is_refused(content: str, message: str) -> None:
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == message


def test_an_external_dtd_is_never_fetched() -> None:
    # No network and no file read: expat is never asked to load it, and the cue is read.
    content = (
        '<!DOCTYPE tt SYSTEM "http://example.invalid/ttml.dtd">'
        '<tt><body><p begin="1s" end="2s">x</p></body></tt>'
    )
    assert parse_ttml(content).cues == (Cue(1000, 2000, "x"),)


def test_style_references_that_loop_or_fan_out_are_read_once() -> None:
    # s0 references s1 three times, s1 references s2 three times...: 3**2000 paths if each
    # reference were followed anew; and s2000 references s0, a cycle.
    styles = "".join(
        f'<style xml:id="s{n}" style="s{n + 1} s{n + 1} s{n + 1}"/>' for n in range(2000)
    )
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling">'
        f'<head><styling>{styles}<style xml:id="s2000" style="s0" tts:fontStyle="italic"/>'
        '</styling></head><body><p begin="0s" end="1s" style="s1990">x</p></body></tt>'
    )
    assert parse_ttml(content).cues == (Cue(0, 1000, "<i>x</i>"),)


def test_a_document_declaring_utf16_is_read_from_text() -> None:
    # The HTTP layer has already decoded the bytes; the declaration must not confuse expat.
    content = (
        '<?xml version="1.0" encoding="UTF-16"?><tt xmlns="http://www.w3.org/ns/ttml">'
        '<body><p begin="1s" end="2s">Grüße ✓</p></body></tt>'
    )
    assert parse_ttml(content).cues == (Cue(1000, 2000, "Grüße ✓"),)


def test_a_paragraph_with_too_many_changes_is_refused() -> None:
    spans = "".join(f'<span begin="{n}s" end="{n + 1}s">w{n} </span>' for n in range(1001))
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>\n'
        f'<p begin="0s" end="2000s">{spans}</p></body></tt>'
    )
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == (
        "line 2, cue 1: this paragraph changes 1001 times (spans with their own times); at most "
        "1000 are read: split it into paragraphs"
    )


def test_a_paragraph_whose_changes_would_repeat_much_text_is_refused() -> None:
    # 500 changes under the limit, but each would repeat 100,000 characters of untimed text:
    # 50 million characters of captions from a 115 kB upload.
    spans = "".join(f'<span begin="{n}s" end="{n + 1}s">w</span>' for n in range(500))
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>\n'
        f'<p begin="0s" end="2000s">{"x" * 100_000}{spans}</p>\n'
        '<p begin="3000s" end="3001s">later</p></body></tt>'
    )
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == (
        "line 2, cue 1: this paragraph's spans with their own times would repeat its text in "
        "more than 8000000 characters of captions (counting the paragraphs before it): split "
        "it into paragraphs"
    )


@pytest.mark.parametrize(
    ("begin", "end"),
    [
        ("999999999999h", "999999999999.5h"),
        ("999999999999m", "999999999999.5m"),
        # Each clock time is readable, but the paragraph's begins add up past the last one.
        ("999999999:00:00", "999999999:30:00"),
    ],
)
def test_a_time_later_than_any_caption_can_have_is_a_problem(begin: str, end: str) -> None:
    # The stored WebVTT must read back: its hours have at most nine digits.
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="999999999:00:00">\n'
        f'<p begin="{begin}" end="{end}">x</p></div></body></tt>'
    )
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == (
        "line 2, cue 1: this paragraph ends after 999999999:59:59.999, the latest time a "
        "caption can have"
    )


def test_the_latest_time_a_caption_can_have_is_read() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<p begin="999999999:59:58" end="999999999:59:59.999">x</p></body></tt>'
    )
    document = parse_ttml(content)
    assert document.cues == (Cue(3_599_999_999_998_000, 3_599_999_999_999_999, "x"),)
    assert parse_webvtt(write_webvtt(document)).cues == document.cues


def test_a_region_with_many_styles_styles_every_paragraph_that_names_it() -> None:
    # The last of the region's styles wins; the region is read once, not once per paragraph
    # (3,000 styles named by 3,000 paragraphs once took seconds, a 2 MiB file much longer).
    styles = '<style tts:fontWeight="bold"/>' * 2999 + '<style tts:fontStyle="italic"/>'
    paragraphs = "".join(f'<p region="r" begin="{n}s" end="{n + 1}s">x</p>' for n in range(3000))
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling">'
        f'<head><layout><region xml:id="r">{styles}</region></layout></head>'
        f"<body>{paragraphs}</body></tt>"
    )
    cues = parse_ttml(content).cues
    assert len(cues) == 3000
    assert {cue.text for cue in cues} == {"<i><b>x</b></i>"}


def test_word_by_word_paragraphs_are_read_in_full() -> None:
    # Karaoke-style timing: each word appears in turn and stays, in many paragraphs.
    words = [f"word{n}" for n in range(20)]
    paragraphs = "".join(
        f'<p begin="{p * 30}s" end="{p * 30 + 25}s">'
        + "".join(f'<span begin="{n}s">{w} </span>' for n, w in enumerate(words))
        + "</p>"
        for p in range(1000)
    )
    content = f'<tt xmlns="http://www.w3.org/ns/ttml"><body>{paragraphs}</body></tt>'
    cues = parse_ttml(content).cues
    assert len(cues) == 20_000
    assert cues[-1] == Cue(29_989_000, 29_995_000, " ".join(words))


@pytest.mark.parametrize("value", ["²", "0", "-5", "30.5", "9999999999"])
def test_a_bad_frame_rate_is_a_problem(value: str) -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
        f' ttp:frameRate="{value}"><body><p begin="1s" end="2s">x</p></body></tt>'
    )
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == (
        f"line 1: ttp:frameRate must be a positive whole number, not {value!r}"
    )


# ---- problems --------------------------------------------------------------------------------


def test_every_timing_problem_is_listed_with_its_line_and_cue() -> None:
    content = """<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"
    ttp:frameRate="25" ttp:frameRateMultiplier="1001">
<body><div>
<p begin="00:00:05.000" end="00:00:01.000">backwards</p>
<p begin="1 second" end="2s">words</p>
<p begin="00:00:01:25" end="00:00:02:00">frame 25 at 25 fps</p>
<p begin="00:61:00.000" end="00:62:00.000">minutes</p>
<p begin="3s">no end</p>
<p begin="4s" end="4s">zero</p>
<p begin="4s" dur="0s">zero too</p>
<p begin="5s" end="6s">fine</p>
</div></body></tt>
"""
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert [str(p) for p in caught.value.problems] == [
        'line 1: ttp:frameRateMultiplier must be two positive numbers such as "1000 1001", '
        "not '1001'",
        "line 4, cue 1: end='00:00:01.000' is before its begin time (00:00:05.000); a cue must "
        "end after it starts",
        """line 5: expected a time such as "00:00:01.500" or "1.5s" in begin='1 second'""",
        "line 6: the frames in begin='00:00:01:25' must be less than the frame rate (25)",
        "line 7: minutes and seconds must be less than 60 in begin='00:61:00.000'",
        "line 8, cue 5: this paragraph has no end: give it end= or dur= (or its <div>)",
        "line 9, cue 6: end='4s' is the same as its begin time (00:00:04.000); a cue must end "
        "after it starts",
        "line 10, cue 7: dur='0s' must be longer than 0",
    ]


def test_a_paragraph_after_its_div_has_ended_is_a_problem() -> None:
    content = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="0s" end="5s">\n'
        '<p begin="6s" end="7s">never shown</p></div></body></tt>'
    )
    with pytest.raises(CaptionError) as caught:
        parse_ttml(content)
    assert str(caught.value) == (
        "line 2, cue 1: this paragraph begins at 00:00:06.000, after the element that holds it "
        "has ended (00:00:05.000)"
    )


def test_a_document_without_paragraphs_is_refused() -> None:
    with pytest.raises(CaptionError) as caught:
        parse_ttml('<tt xmlns="http://www.w3.org/ns/ttml"><body/></tt>')
    assert str(caught.value) == (
        'no cues found: expected <p> elements with times such as begin="00:00:01.500" or "1.5s"'
    )


# ---- writing ---------------------------------------------------------------------------------

DOCUMENT = CaptionDocument(
    cues=(
        Cue(1000, 2500, "<v Ann &amp; Bo>Hello &amp; <i>brave</i>\nnew world</v>", "1", "line:0"),
        Cue(2000, 4000, "Tom &lt;3 <b>bold</b> <u>under</u> &copy; \x0b<c.x>plain</c>"),
        Cue(101 * 3_600_000 + 5, 101 * 3_600_000 + 1000, "late"),
    )
)


def test_writer_output() -> None:
    written = write_ttml(DOCUMENT, lang="en")
    assert written.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tt xmlns="http://www.w3.org/ns/ttml" '
        'xmlns:tts="http://www.w3.org/ns/ttml#styling" '
        'xmlns:ttm="http://www.w3.org/ns/ttml#metadata" '
        'xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:timeBase="media" xml:lang="en">'
    )
    assert (
        '<ttm:agent xml:id="speaker1" type="person"><ttm:name type="full">Ann &amp; Bo'
        "</ttm:name></ttm:agent>"
    ) in written
    assert (
        '<p begin="00:00:02.000" end="00:00:04.000">Tom &lt;3 <span tts:fontWeight="bold">bold'
        '</span> <span tts:textDecoration="underline">under</span> © plain</p>'
    ) in written
    assert '<p begin="101:00:00.005" end="101:00:01.000">late</p>' in written


@pytest.mark.parametrize("dfxp", [False, True])
def test_written_ttml_reads_back_with_our_parser(dfxp: bool) -> None:
    assert parse_ttml(write_ttml(DOCUMENT, dfxp=dfxp)).cues == (
        Cue(1000, 2500, "<v Ann &amp; Bo>Hello &amp; <i>brave</i>\nnew world</v>"),
        Cue(2000, 4000, "Tom &lt;3 <b>bold</b> <u>under</u> © plain"),
        Cue(101 * 3_600_000 + 5, 101 * 3_600_000 + 1000, "late"),
    )


def test_dfxp_uses_the_older_namespaces() -> None:
    written = write_ttml(DOCUMENT, dfxp=True)
    assert '<tt xmlns="http://www.w3.org/2006/10/ttaf1" ' in written
    assert 'xmlns:tts="http://www.w3.org/2006/10/ttaf1#style"' in written


@pytest.mark.parametrize("dfxp", [False, True])
def test_written_ttml_reads_back_with_pycaption(dfxp: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycaption's BeautifulSoup use warns on XML
        from pycaption import DFXPReader

        captions = DFXPReader().read(write_ttml(DOCUMENT, dfxp=dfxp))
        read = [
            (caption.start // 1000, caption.end // 1000, caption.get_text())
            for caption in captions.get_captions(captions.get_languages()[0])
        ]
    assert read == [
        (1000, 2500, "Hello & brave\nnew world"),
        (2000, 4000, "Tom <3 bold under © plain"),
        (101 * 3_600_000 + 5, 101 * 3_600_000 + 1000, "late"),
    ]


# ---- properties ------------------------------------------------------------------------------

_word = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
    min_size=1,
    max_size=6,
).map(lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
_styled_word = st.tuples(st.sampled_from(["", "i", "b", "u"]), _word).map(
    lambda pair: f"<{pair[0]}>{pair[1]}</{pair[0]}>" if pair[0] else pair[1]
)
_line = st.lists(_styled_word, min_size=1, max_size=4).map(" ".join)


@st.composite
def documents(draw: st.DrawFn) -> CaptionDocument:
    cues = []
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, 200 * 3_600_000))
        text = "\n".join(draw(st.lists(_line, min_size=1, max_size=3)))
        voice = draw(st.sampled_from(["", "Ann", "Dr. Bo"]))
        if voice:
            text = f"<v {voice}>{text}</v>"
        cues.append(Cue(start, start + draw(st.integers(1, 3_600_000)), text))
    return CaptionDocument(cues=tuple(cues))


@THOROUGH
@given(documents(), st.booleans())
def test_write_then_parse_keeps_times_and_text(document: CaptionDocument, dfxp: bool) -> None:
    parsed = parse_ttml(write_ttml(document, dfxp=dfxp))
    by_start = sorted(document.cues, key=lambda cue: cue.start_ms)
    assert [(c.start_ms, c.end_ms, plain_text(c.text)) for c in parsed.cues] == [
        (c.start_ms, c.end_ms, plain_text(c.text)) for c in by_start
    ]
    # What we read once comes back unchanged.
    assert parse_ttml(write_ttml(parsed, dfxp=dfxp)) == parsed


_XML_PIECES = st.sampled_from(
    ["<tt>", "</tt>", "<body>", "</body>", "<div begin='1s'>", "</div>", "<p begin='1s' end='2s'>",
     "<p begin='00:00:01:10' dur='40f'>", "<p begin='2t' end='x'>", "</p>", "<span tts:fontStyle='italic' "
     "xmlns:tts='http://www.w3.org/ns/ttml#styling'>", "</span>", "<br/>", "&amp;", "&nbsp;", "&#0;",
     "<!DOCTYPE tt>", "<?xml version='1.0'?>", "<!-- c -->", "text", " ", "\n", "<", "&"]
)  # fmt: skip


@THOROUGH
@given(
    st.one_of(
        st.text(),
        caption_like_text(),
        st.lists(st.one_of(_XML_PIECES, st.text(max_size=5)), max_size=30).map("".join),
    )
)
def test_any_input_gives_a_document_or_a_caption_error(text: str) -> None:
    try:
        document = parse_ttml(text)
    except CaptionError as error:
        assert error.problems and all(p.line is None or p.line >= 1 for p in error.problems)
    else:
        assert document.cues
        assert parse_ttml(write_ttml(document)) == document
