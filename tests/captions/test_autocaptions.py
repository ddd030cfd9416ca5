"""Automatic captions: recognised words become cues a viewer can read (the ``default`` quality
profile), in the order spoken, in a WebVTT file that says a machine made it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import parse_webvtt, plain_text
from mediaobjects.captions.autocaptions import asr_webvtt, cues_from_words
from mediaobjects.captions.model import Cue
from mediaobjects.captions.quality import MediaFacts, check_quality, visible_length

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class W:
    """A word as a recogniser reports it (mediaobjects.asr.Word has the same fields)."""

    text: str
    start_ms: int
    end_ms: int


def timed(text: str, *, start_ms: int = 0, ms_per_char: int = 70, gap_ms: int = 80) -> list[W]:
    """Words spoken one after another, a sentence end followed by a 900 ms pause."""
    words = []
    at = start_ms
    for word in text.split():
        duration = ms_per_char * len(word) + 60
        words.append(W(" " + word, at, at + duration))
        at += duration + (900 if word.endswith((".", "?", "!")) else gap_ms)
    return words


def texts(cues: Sequence[Cue]) -> list[str]:
    return [plain_text(cue.text) for cue in cues]


def assert_readable(cues: Sequence[Cue]) -> None:
    """Every rule of the default profile that concerns the cues themselves holds (coverage
    is the track's business: no media facts are given, so it is not measured)."""
    for profile in ("default", "netflix"):
        report = check_quality(cues, MediaFacts(), profile)
        assert report.findings == (), (profile, report.findings, cues)
    for before, after in zip(cues, cues[1:], strict=False):
        assert before.end_ms <= after.start_ms


# --- examples ---------------------------------------------------------------------------------

LECTURE = (
    "Good morning, everyone. Today we are going to talk about the causes of the French "
    "Revolution, which began in 1789. First, we look at the money problems of the crown."
)


def test_a_lecture_is_split_at_sentences_and_pauses() -> None:
    words = timed(LECTURE, start_ms=500)
    assert len(words) == 30
    cues = cues_from_words(words)
    assert texts(cues) == [
        "Good morning, everyone.",
        "Today we are going to talk about\nthe causes of the French Revolution,",
        "which began in 1789.",
        "First, we look at the money\nproblems of the crown.",
    ]
    assert_readable(cues)
    # Each cue starts with its first word and ends with its last one (or later, to be read).
    first = [word.text for word in words].index(" First,")
    assert (cues[0].start_ms, cues[0].end_ms) == (500, words[2].end_ms)
    assert cues[1].start_ms == words[3].start_ms
    assert (cues[3].start_ms, cues[3].end_ms) == (words[first].start_ms, words[-1].end_ms)


def test_a_long_pause_ends_a_cue_even_mid_sentence() -> None:
    words = [
        W(" So", 0, 300),
        W(" today", 2300, 2700),
        W(" we", 2750, 2900),
        W(" start", 2950, 3400),
    ]
    cues = cues_from_words(words)
    assert texts(cues) == ["So", "today we start"]
    # "So" is lengthened to the minimum time on screen, into the pause.
    assert (cues[0].start_ms, cues[0].end_ms) == (0, 833)
    assert (cues[1].start_ms, cues[1].end_ms) == (2300, 3400)


def test_words_spoken_too_briefly_to_read_are_merged_not_flashed() -> None:
    words = [
        W(" Yes.", 0, 200),
        W(" No.", 210, 400),
        W(" Maybe", 410, 700),
        W(" later.", 710, 1000),
    ]
    cues = cues_from_words(words)
    assert texts(cues) == ["Yes. No. Maybe later."]
    assert (cues[0].start_ms, cues[0].end_ms) == (0, 1050)  # 21 characters at 20 a second
    assert_readable(cues)


def test_a_sentence_too_long_for_one_cue_is_split_at_a_comma() -> None:
    sentence = (
        "When the assembly met in the spring of that year, the deputies of the third estate "
        "found the doors of their hall locked and the guards unwilling to explain."
    )
    cues = cues_from_words(timed(sentence))
    assert texts(cues)[0].endswith("that year,")
    assert_readable(cues)
    for cue in cues:
        lines = texts([cue])[0].split("\n")
        # Two lines are balanced: neither is more than twice the other.
        if len(lines) == 2:
            assert max(map(len, lines)) <= 2 * min(map(len, lines))


def test_whisper_spacing_and_separate_punctuation() -> None:
    words = [W("  Hello", 0, 400), W(",", 400, 420), W(" world", 450, 900), W(" !", 900, 950)]
    assert texts(cues_from_words(words)) == ["Hello, world!"]


def test_chinese_and_japanese_keep_their_writing_without_spaces() -> None:
    words = [W("東京", 0, 400), W("は", 400, 500), W("大きい", 500, 900), W("です。", 900, 1300)]
    words += [W(" Tokyo", 1400, 1900), W(" is", 1900, 2000), W(" big.", 2000, 2400)]
    assert texts(cues_from_words(words)) == ["東京は大きいです。 Tokyo is big."]


def test_markup_characters_are_shown_not_interpreted() -> None:
    words = [
        W(" Tom", 0, 300),
        W(" &", 300, 400),
        W(" <b>Jerry</b>", 400, 900),
        W(" -->", 900, 1000),
    ]
    cues = cues_from_words(words)
    assert cues[0].text == "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt; --&gt;"
    assert texts(cues) == ["Tom & <b>Jerry</b> -->"]
    document = asr_webvtt(cues, engine="e", model="m", language="en")
    assert parse_webvtt(document).cues == cues


def test_a_word_longer_than_a_line_is_wrapped() -> None:
    long_word = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch" * 2
    cues = cues_from_words(
        [W(" Visit", 0, 400), W(" " + long_word, 450, 5000), W(" now.", 5000, 5300)]
    )
    assert_readable(cues)
    lines = [line for text in texts(cues) for line in text.split("\n")]
    assert "".join(lines).replace(" ", "") == "Visit" + long_word + "now."
    assert max(visible_length(line) for line in lines) == 42


def test_bad_times_and_empty_words_do_not_break_anything() -> None:
    words = [
        W(" ", 0, 100),
        W(" first", 500, 400),  # ends before it starts
        W(" second", -300, 200),  # before the word before it
        W("", 900, 1000),
        W(" third", 10_000, 90_000),  # 80 s: a glitch
        W("\u200b", 90_000, 90_100),  # nothing visible
    ]
    cues = cues_from_words(words)
    assert texts(cues) == ["first second", "third"]
    assert cues[1].end_ms - cues[1].start_ms == 7000
    assert_readable(cues)
    assert cues_from_words([]) == ()
    assert cues_from_words([W("  ", 0, 10)]) == ()


def test_webvtt_document_says_it_is_automatic() -> None:
    cues = cues_from_words(timed(LECTURE))
    document = asr_webvtt(cues, engine="faster-whisper", model="whisper-base", language="en")
    assert document.startswith("WEBVTT\n\nNOTE\n")
    parsed = parse_webvtt(document)
    assert parsed.cues == cues
    (note,) = parsed.notes
    assert note.before_cue == 0
    assert "automatically by speech recognition" in note.text
    assert "faster-whisper" in note.text and "whisper-base" in note.text and "en" in note.text
    assert "Not reviewed by a person" in note.text


def test_note_cannot_be_broken_by_engine_or_model_names() -> None:
    document = asr_webvtt(
        [Cue(0, 1000, "Hi")],
        engine="evil\n\n00:00:00.000 --> 00:00:01.000",
        model="a -->",
        language="",
    )
    parsed = parse_webvtt(document)
    assert parsed.cues == (Cue(0, 1000, "Hi"),)
    (note,) = parsed.notes
    assert "-->" not in note.text
    assert "language: unknown" in note.text


# --- properties -------------------------------------------------------------------------------

_LATIN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzÀéüßABCXYZ0123456789'", min_size=1, max_size=12
)
_PUNCTUATED = st.tuples(_LATIN, st.sampled_from([",", ".", "?", "!", ";", ":", "…", "”"])).map(
    "".join
)
_CJK = st.text(alphabet="東京大学日本語中文字はですかカタナ。、？！", min_size=1, max_size=6)
_EMOJI = st.sampled_from(
    [
        "👍",
        "👨\u200d👩\u200d👧",
        "🇫🇷",
        "🇫🇷🇩🇪",
        "e\u0301",
        "👋🏽",
        "&",
        "<",
        ">",
        "-->",
        "&amp;",
        "<i>",
    ]
)
_LONG = st.text(alphabet="abcdefghij東👍", min_size=43, max_size=120)
_SPACING = st.sampled_from(["", " ", "  ", "\t"])
_WORD_TEXT = st.tuples(
    _SPACING,
    st.one_of(_LATIN, _LATIN, _LATIN, _PUNCTUATED, _CJK, _EMOJI, _LONG, st.just(" ")),
).map("".join)


@st.composite
def word_streams(draw: st.DrawFn, *, max_words: int = 120) -> list[W]:
    """Words with durations and pauses from fast to slow speech, some glitches included."""
    count = draw(st.integers(0, max_words))
    words = []
    at = draw(st.integers(0, 5000))
    for _ in range(count):
        text = draw(_WORD_TEXT)
        duration = draw(st.one_of(st.integers(0, 900), st.integers(0, 20_000)))
        words.append(W(text, at, at + duration))
        at += duration + draw(st.sampled_from([0, 0, 20, 80, 150, 400, 700, 1600, 4000]))
        if draw(st.integers(0, 30)) == 0:
            at = max(0, at - draw(st.integers(0, 3000)))  # out of order
    return words


def _pieces(words: Sequence[W]) -> list[str]:
    return [piece for word in words for piece in word.text.split() if visible_length(piece)]


@FAST
@given(word_streams())
def test_every_cue_meets_the_default_profile(words: list[W]) -> None:
    cues = cues_from_words(words)
    assert_readable(cues)
    assert bool(cues) == bool(_pieces(words))


@FAST
@given(word_streams())
def test_every_word_appears_once_in_order_and_uncut(words: list[W]) -> None:
    cues = cues_from_words(words)
    # Each character of the cues, without whitespace, with the line it is on.
    characters: list[str] = []
    line_of: list[int] = []
    line_number = 0
    for text in texts(cues):
        for line in text.split("\n"):
            for char in line:
                if not char.isspace():
                    characters.append(char)
                    line_of.append(line_number)
            line_number += 1
    pieces = _pieces(words)
    assert "".join(characters) == "".join(pieces)
    offset = 0
    for piece in pieces:
        if visible_length(piece) <= 42:
            assert len(set(line_of[offset : offset + len(piece)])) == 1, piece
        offset += len(piece)


@FAST
@given(word_streams(), st.text(max_size=20), st.text(max_size=20))
def test_webvtt_round_trip(words: list[W], engine: str, model: str) -> None:
    cues = cues_from_words(words)
    document = asr_webvtt(cues, engine=engine, model=model, language="en")
    parsed = parse_webvtt(document)
    assert parsed.cues == cues
    assert len(parsed.notes) == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=15), st.integers(-(10**6), 10**9), st.integers(-(10**6), 10**9)),
        max_size=40,
    )
)
def test_any_input_gives_valid_cues(raw: list[tuple[str, int, int]]) -> None:
    cues = cues_from_words([W(text, start, end) for text, start, end in raw])
    assert_readable(cues)
    assert parse_webvtt(asr_webvtt(cues, engine="x", model="y", language="z")).cues == cues


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(LECTURE.split()), min_size=1, max_size=200), st.integers(55, 120))
def test_cues_stay_with_speech_read_at_a_natural_rate(
    vocabulary: list[str], ms_per_char: int
) -> None:
    words = timed(" ".join(vocabulary), ms_per_char=ms_per_char)
    cues = cues_from_words(words)
    assert_readable(cues)
    # Each word is on screen within a second of being spoken.
    pieces = [word.text.strip() for word in words]
    cue_of_piece = []
    for index, text in enumerate(texts(cues)):
        cue_of_piece.extend([index] * len(text.split()))
    assert len(cue_of_piece) == len(pieces)
    for word, index in zip(words, cue_of_piece, strict=True):
        cue = cues[index]
        assert cue.start_ms - 1000 <= word.start_ms and word.end_ms <= cue.end_ms + 1000
