"""The caption quality checks of caption-quality.md: every rule at its exact boundary for each
profile (a value at the limit passes, one unit past it fails), characters counted as a viewer
sees them, and coverage against speech or the whole duration."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import Cue
from mediaobjects.captions.quality import (
    PROFILE_NAMES,
    Finding,
    MediaFacts,
    QualityReport,
    check_profiles,
    check_quality,
    speech_intervals_from_json,
)

NO_FACTS = MediaFacts()
LINE_LIMITS = {"default": 42, "netflix": 42, "bbc": 37, "dcmp": 32}


def findings(report: QualityReport, rule: str) -> list[Finding]:
    return [finding for finding in report.findings if finding.rule == rule]


def check_one(text: str, duration_ms: int = 3000, profile: str = "default") -> QualityReport:
    return check_quality([Cue(1000, 1000 + duration_ms, text)], NO_FACTS, profile)


def words(count: int) -> str:
    return " ".join(["go"] * count)


# --- line length ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_a_line_at_the_profile_length_passes_and_one_character_more_fails(profile: str) -> None:
    limit = LINE_LIMITS[profile]
    # Long enough on screen that no reading-rate or duration rule gets in the way.
    assert findings(check_one("x" * limit, 6000, profile), "line_length") == []
    [finding] = findings(check_one("x" * (limit + 1), 6000, profile), "line_length")
    assert (finding.value, finding.limit, finding.severity) == (limit + 1, limit, "warning")


def test_the_longest_line_is_measured() -> None:
    [finding] = findings(check_one("short\n" + "y" * 45 + "\nshort", 6000), "line_length")
    assert finding.value == 45


@pytest.mark.parametrize(
    ("unit", "name"),
    [
        ("日", "CJK ideograph"),
        ("한", "Hangul syllable"),
        ("👨\u200d👩\u200d👧\u200d👦", "emoji ZWJ family"),
        ("🇫🇷", "flag"),
        ("👍🏽", "emoji with skin tone"),
        ("🫨", "emoji newer than Python's Unicode tables"),
        ("❤️", "emoji with a variation selector"),
        ("e\u0301", "letter with a combining accent"),
        ("\u0928\u093f", "Devanagari consonant with a vowel sign"),
        ("&amp;", "character reference"),
        ("<i>z</i>", "character inside markup"),
    ],
)
def test_a_user_perceived_character_counts_once(unit: str, name: str) -> None:
    assert findings(check_one(unit * 42, 6000), "line_length") == [], name
    [finding] = findings(check_one(unit * 43, 6000), "line_length")
    assert finding.value == 43, name


def test_markup_and_invisible_marks_are_not_characters() -> None:
    text = "<v Speaker One><c.yellow><b>" + "a" * 40 + "</b></c></v>\u200f "
    # 40 letters, the space after the invisible RLM, and then the letters added.
    assert findings(check_one(text + "b", 6000), "line_length") == []
    [finding] = findings(check_one(text + "bc", 6000), "line_length")
    assert finding.value == 43


# --- line count ----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_two_lines_pass_and_three_fail(profile: str) -> None:
    assert findings(check_one("one\ntwo", 6000, profile), "line_count") == []
    [finding] = findings(check_one("one\ntwo\nsix", 6000, profile), "line_count")
    assert (finding.value, finding.limit, finding.severity) == (3, 2, "warning")


def test_a_line_of_spaces_is_not_a_line_of_text() -> None:
    assert findings(check_one("one\ntwo\n   ", 6000), "line_count") == []


# --- reading rate --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "netflix"])
def test_twenty_characters_a_second_pass_and_faster_fails(profile: str) -> None:
    # 40 characters, spaces counted, line break not: 20 cps over exactly 2 s.
    text = "a" * 19 + " " + "b" * 10 + "\n" + "c" * 10
    assert findings(check_one(text, 2000, profile), "reading_rate") == []
    [finding] = findings(check_one(text, 1999, profile), "reading_rate")
    assert finding.limit == 20
    assert finding.value == pytest.approx(40 / 1.999)
    [finding] = findings(check_one(text + "d", 2000, profile), "reading_rate")
    assert finding.value == pytest.approx(20.5)


@pytest.mark.parametrize(("profile", "wpm"), [("bbc", 180), ("dcmp", 160)])
def test_reading_rate_in_words_a_minute_for_bbc_and_dcmp(profile: str, wpm: int) -> None:
    # wpm / 20 words in 3 s is exactly the limit.
    count = wpm // 20
    assert findings(check_one(words(count), 3000, profile), "reading_rate") == []
    [finding] = findings(check_one(words(count), 2999, profile), "reading_rate")
    assert (finding.limit, finding.severity) == (wpm, "warning")
    assert finding.value == pytest.approx(count * 60 / 2.999)
    [finding] = findings(check_one(words(count + 1), 3000, profile), "reading_rate")
    assert finding.value == pytest.approx((count + 1) * 20)


def test_words_are_counted_as_a_reader_would() -> None:
    # 9 words in 3 s is bbc's 180 wpm: contractions, hyphenated words, numbers, initials are
    # one word each and punctuation standing alone is none.
    text = "Don't — well-known <i>U.S.</i> data, 3.5 ok ♪\nfine all right"
    assert findings(check_one(text, 3000, "bbc"), "reading_rate") == []
    assert findings(check_one(text + " x", 3000, "bbc"), "reading_rate") != []


def test_each_cjk_character_is_a_word() -> None:
    # 9 ideographs in 3 s: bbc's 180 wpm exactly; one more is too fast.
    assert findings(check_one("日本語の字幕です。好", 3000, "bbc"), "reading_rate") == []
    assert findings(check_one("日本語の字幕です。好き", 3000, "bbc"), "reading_rate") != []


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "minimum"), [("default", 830), ("netflix", 833), ("dcmp", 2000)]
)
def test_minimum_duration(profile: str, minimum: int) -> None:
    assert findings(check_one("Hi", minimum, profile), "min_duration") == []
    [finding] = findings(check_one("Hi", minimum - 1, profile), "min_duration")
    assert (finding.value, finding.limit, finding.severity) == (minimum - 1, minimum, "warning")


def test_bbc_minimum_duration_is_three_tenths_of_a_second_a_word() -> None:
    assert findings(check_one("one two three", 900, "bbc"), "min_duration") == []
    [finding] = findings(check_one("one two three", 899, "bbc"), "min_duration")
    assert (finding.value, finding.limit) == (899, 900)
    assert findings(check_one("one two three four", 900, "bbc"), "min_duration") != []


@pytest.mark.parametrize("profile", ["default", "netflix", "bbc"])
def test_seven_seconds_pass_and_a_millisecond_more_fails(profile: str) -> None:
    assert findings(check_one("Hello", 7000, profile), "max_duration") == []
    [finding] = findings(check_one("Hello", 7001, profile), "max_duration")
    assert (finding.value, finding.limit, finding.severity) == (7001, 7000, "warning")


def test_dcmp_has_no_maximum_duration() -> None:
    report = check_one("Hello", 60_000, "dcmp")
    assert findings(report, "max_duration") == []
    assert "max_duration" not in report.by_rule


# --- gaps and overlaps ---------------------------------------------------------------------


def two_cues(gap_ms: int, facts: MediaFacts = NO_FACTS, profile: str = "default") -> QualityReport:
    first = Cue(0, 2000, "First")
    second = Cue(2000 + gap_ms, 4000 + gap_ms, "Second")
    return check_quality([first, second], facts, profile)


@pytest.mark.parametrize(
    ("profile", "frame_rate", "minimum"),
    [
        ("default", None, 80),
        ("default", 30.0, 80),  # the default profile's 80 ms do not depend on the media
        ("netflix", None, 83),  # 2 frames at 24 fps
        ("netflix", 25.0, 80),
        ("netflix", 24.0, 83),
        ("netflix", 30000 / 1001, 66),
        ("netflix", 60.0, 33),
    ],
)
def test_minimum_gap(profile: str, frame_rate: float | None, minimum: int) -> None:
    facts = MediaFacts(frame_rate=frame_rate)
    assert findings(two_cues(minimum, facts, profile), "gap") == []
    [finding] = findings(two_cues(minimum - 1, facts, profile), "gap")
    assert (finding.cue, finding.value, finding.limit) == (1, minimum - 1, minimum)
    assert finding.severity == "warning"


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_touching_cues_have_no_gap(profile: str) -> None:
    assert findings(two_cues(0, profile=profile), "gap") == []


@pytest.mark.parametrize("profile", ["bbc", "dcmp"])
def test_bbc_and_dcmp_name_no_minimum_gap(profile: str) -> None:
    report = two_cues(1, profile=profile)
    assert findings(report, "gap") == []
    assert "gap" not in report.by_rule


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_an_overlap_of_one_millisecond_is_an_error(profile: str) -> None:
    assert findings(two_cues(0, profile=profile), "overlap") == []
    report = two_cues(-1, profile=profile)
    [finding] = findings(report, "overlap")
    assert (finding.cue, finding.value, finding.severity) == (1, 1, "error")
    assert not report.meets_profile


def test_a_cue_inside_an_earlier_long_cue_overlaps_it_even_after_another_cue() -> None:
    cues = [Cue(0, 6000, "Long"), Cue(1000, 2000, "Inside"), Cue(3000, 4000, "Also inside")]
    report = check_quality(cues, NO_FACTS)
    assert [(f.cue, f.value) for f in findings(report, "overlap")] == [(1, 5000), (2, 3000)]


# --- out of media, empty cues ----------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_a_cue_ending_after_the_media_is_an_error(profile: str) -> None:
    cues = [Cue(8000, 10_000, "The end")]
    at_end = check_quality(cues, MediaFacts(duration_ms=10_000), profile)
    assert findings(at_end, "out_of_media") == []
    report = check_quality(cues, MediaFacts(duration_ms=9999), profile)
    [finding] = findings(report, "out_of_media")
    assert (finding.value, finding.limit, finding.severity) == (10_000, 9999, "error")
    assert not report.meets_profile
    assert findings(check_quality(cues, NO_FACTS, profile), "out_of_media") == []


@pytest.mark.parametrize("text", [" ", "<i> </i>", "&nbsp;", "\u200b", "<b></b>\n  "])
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_a_cue_without_visible_text_is_an_error(text: str, profile: str) -> None:
    report = check_one(text, 3000, profile)
    assert [(f.rule, f.severity) for f in report.findings] == [("empty_cue", "error")]
    assert report.errors == 1
    assert not report.meets_profile


def test_one_visible_character_is_not_empty() -> None:
    assert findings(check_one("<i>.</i>"), "empty_cue") == []


# --- coverage ------------------------------------------------------------------------------


def test_coverage_of_the_duration_when_speech_is_unknown() -> None:
    facts = MediaFacts(duration_ms=10_000)
    passing = check_quality([Cue(0, 5000, "a"), Cue(5000, 9000, "b")], facts)
    assert passing.coverage == pytest.approx(0.9)
    assert passing.meets_profile
    assert findings(passing, "coverage") == []
    failing = check_quality([Cue(0, 5000, "a"), Cue(5001, 9000, "b")], facts)
    assert failing.coverage == pytest.approx(0.8999)
    assert not failing.meets_profile
    [finding] = findings(failing, "coverage")
    assert (finding.cue, finding.start_ms, finding.end_ms) == (-1, 0, 10_000)
    assert (finding.value, finding.limit, finding.severity) == (0.8999, 0.9, "warning")
    assert failing.by_severity == {"error": 0, "warning": 2}  # the 1 ms gap is the other


def test_coverage_counts_only_speech_when_it_is_known() -> None:
    # Speech 2-4 s and 6-8 s; the captions cover 2-4 s and 6-7.6 s: 3.6 of 4 s.
    speech = ((2000, 4000), (6000, 8000))
    cues = [Cue(1000, 4000, "a"), Cue(6000, 7600, "b")]
    report = check_quality(cues, MediaFacts(duration_ms=60_000, speech_intervals=speech))
    assert report.coverage == pytest.approx(0.9)
    assert report.meets_profile
    shorter = [Cue(1000, 4000, "a"), Cue(6000, 7599, "b")]
    report = check_quality(shorter, MediaFacts(duration_ms=60_000, speech_intervals=speech))
    assert report.coverage == pytest.approx(3599 / 4000)
    assert not report.meets_profile
    # Against the whole minute the same captions cover a tenth.
    assert check_quality(cues, MediaFacts(duration_ms=60_000)).coverage == pytest.approx(
        4600 / 60_000
    )


def test_overlapping_cues_are_counted_once() -> None:
    cues = [Cue(0, 6000, "a"), Cue(2000, 4000, "b"), Cue(3000, 5000, "c")]
    report = check_quality(cues, MediaFacts(duration_ms=10_000))
    assert report.coverage == pytest.approx(0.6)


def test_cues_past_the_end_cover_nothing_beyond_it() -> None:
    report = check_quality([Cue(5000, 20_000, "a")], MediaFacts(duration_ms=10_000))
    assert report.coverage == pytest.approx(0.5)


def test_coverage_is_none_when_nothing_is_known_and_one_when_there_is_no_speech() -> None:
    cues = [Cue(0, 1000, "a")]
    unknown = check_quality(cues, NO_FACTS)
    assert unknown.coverage is None
    assert unknown.meets_profile
    silent = check_quality([], MediaFacts(duration_ms=10_000, speech_intervals=()))
    assert silent.coverage == 1.0
    assert silent.meets_profile


def test_no_captions_for_speech_cover_nothing() -> None:
    report = check_quality([], MediaFacts(speech_intervals=((0, 1000),)))
    assert report.coverage == 0.0
    assert not report.meets_profile
    assert report.by_rule["coverage"] == 1


@pytest.mark.parametrize("profile", ["netflix", "bbc", "dcmp"])
def test_profiles_without_a_minimum_report_coverage_but_do_not_require_it(profile: str) -> None:
    report = check_quality([Cue(0, 1000, "a")], MediaFacts(duration_ms=10_000), profile)
    assert report.coverage == pytest.approx(0.1)
    assert findings(report, "coverage") == []
    assert report.meets_profile


# --- the report as a whole -------------------------------------------------------------------


def test_totals_count_every_rule_the_profile_checks() -> None:
    cues = [Cue(0, 2000, "x" * 43), Cue(1500, 3000, "ok")]
    report = check_quality(cues, MediaFacts(duration_ms=3000))
    assert report.by_rule == {
        "line_length": 1,
        "line_count": 0,
        "reading_rate": 1,
        "min_duration": 0,
        "max_duration": 0,
        "gap": 0,
        "overlap": 1,
        "out_of_media": 0,
        "empty_cue": 0,
        "coverage": 0,
    }
    assert report.by_severity == {"error": 1, "warning": 2}
    assert (report.errors, report.warnings) == (1, 2)
    assert report.profile == "default"
    assert not report.meets_profile


def test_an_unknown_profile_is_refused_with_the_allowed_names() -> None:
    with pytest.raises(ValueError, match="default, netflix, bbc, dcmp"):
        check_quality([], NO_FACTS, "ofcom")


def test_speech_intervals_from_json() -> None:
    assert speech_intervals_from_json(None) is None
    assert speech_intervals_from_json("[]") == ()
    assert speech_intervals_from_json("[[0, 1500], [4000, 5000]]") == ((0, 1500), (4000, 5000))
    # Unordered and overlapping intervals are put in order and merged; nonsense is left out.
    text = '[[4000, 5000], [0, 1500], [1000, 2000], [9, 9], [true, 3], "x", [1, 2, 3]]'
    assert speech_intervals_from_json(text) == ((0, 2000), (4000, 5000))
    assert speech_intervals_from_json("not json") is None
    assert speech_intervals_from_json('{"a": 1}') is None


_cue_texts = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=60),
    st.sampled_from(["", " ", "<i>", "&nbsp;", "a\n\nb", "👨\u200d👩\u200d👧", "日本"]),
)


@st.composite
def cue_lists(draw: st.DrawFn) -> list[Cue]:
    cues = []
    for _ in range(draw(st.integers(0, 12))):
        start = draw(st.integers(0, 20_000))
        end = start + draw(st.integers(1, 10_000))
        cues.append(Cue(start, end, draw(_cue_texts)))
    return cues


_facts = st.builds(
    MediaFacts,
    duration_ms=st.none() | st.integers(0, 40_000),
    frame_rate=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    speech_intervals=st.none()
    | st.lists(st.tuples(st.integers(0, 30_000), st.integers(0, 30_000))).map(tuple),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cues=cue_lists(), facts=_facts, profile=st.sampled_from(PROFILE_NAMES))
def test_any_cues_give_a_consistent_report(
    cues: list[Cue], facts: MediaFacts, profile: str
) -> None:
    report = check_quality(cues, facts, profile)
    for finding in report.findings:
        if finding.rule == "coverage":
            assert finding.cue == -1
        else:
            assert 0 <= finding.cue < len(cues)
            assert (finding.start_ms, finding.end_ms) == (
                cues[finding.cue].start_ms,
                cues[finding.cue].end_ms,
            )
        assert finding.severity == (
            "error" if finding.rule in {"overlap", "out_of_media", "empty_cue"} else "warning"
        )
    assert report.coverage is None or 0.0 <= report.coverage <= 1.0
    assert (report.coverage is None) == (
        facts.duration_ms is None and facts.speech_intervals is None
    )
    assert sum(report.by_rule.values()) == len(report.findings)
    assert report.errors + report.warnings == len(report.findings)
    assert report.meets_profile == (
        report.errors == 0 and not any(f.rule == "coverage" for f in report.findings)
    )


@given(cues=cue_lists(), facts=_facts)
def test_checking_every_profile_at_once_reports_what_each_check_does(
    cues: list[Cue], facts: MediaFacts
) -> None:
    # The caption summaries check all four profiles in one pass over the cues' text.
    together = check_profiles(cues, facts)
    assert list(together) == list(PROFILE_NAMES)
    for profile in PROFILE_NAMES:
        assert together[profile] == check_quality(cues, facts, profile)


def test_checking_profiles_refuses_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="unknown quality profile"):
        check_profiles([], NO_FACTS, ("default", "itv"))
