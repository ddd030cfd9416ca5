"""Caption quality checks: the rules and profiles of caption-quality.md as one pure function,
cues plus a few facts about the media in, findings and coverage out.

Units, so that a finding reads the same everywhere (API, reports, web pages):

- ``line_length``: grapheme clusters (user-perceived characters) of the longest line, after
  markup is stripped and character references decoded; spaces between words count, spaces
  and invisible format characters (bidi marks, a lone zero-width joiner) at a line's ends
  and invisible characters anywhere do not. A CJK ideograph, an emoji (a ZWJ family or a
  flag included) and a letter with combining accents are each one character.
- ``line_count``: lines of the cue that hold visible text.
- ``reading_rate``: for ``default`` and ``netflix`` characters per second (characters
  counted as for ``line_length``, summed over the lines: spaces counted, line breaks not);
  for ``bbc`` and ``dcmp`` words per minute, the unit of their guidelines. A word is a run of
  letters, digits and marks, held together by an apostrophe, hyphen, full stop or comma
  between two such characters ("don't", "well-known", "3.5" are one word each), except that
  each Han, Hiragana or Katakana character is a word of its own, because those scripts put
  no spaces between words (and a Chinese character is about what a word is elsewhere).
- ``min_duration``, ``max_duration``, ``gap``, ``overlap``: milliseconds.
  ``out_of_media``: value the cue's end, limit the media duration, in milliseconds.
  ``empty_cue``: value 0 visible characters, limit 1.
- ``coverage``: a fraction 0..1 (value the coverage, limit the profile's minimum); it
  concerns the whole track, so its ``cue`` is -1 and it spans the measured time.

Every comparison is done in integers (milliseconds, character and word counts), so a value
exactly at a limit passes and one millisecond or one character past it fails, whatever
floating point would have made of the quotient; ``value`` is the quotient only for display.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import regex

from .markup import plain_text
from .model import Cue

PROFILE_NAMES: tuple[str, ...] = ("default", "netflix", "bbc", "dcmp")

RULES: tuple[str, ...] = (
    "line_length",
    "line_count",
    "reading_rate",
    "min_duration",
    "max_duration",
    "gap",
    "overlap",
    "out_of_media",
    "empty_cue",
    "coverage",
)

ERROR_RULES = frozenset({"overlap", "out_of_media", "empty_cue"})

Severity = Literal["error", "warning"]

# The frame rate Netflix's guide counts in when the media's own is unknown (2 frames = 83 ms);
# also used when the stored rate is outside 1-1000 fps.
NETFLIX_DEFAULT_FRAME_RATE = 24.0

# Extended grapheme clusters (UAX #29) as the regex module implements them: emoji ZWJ
# sequences, flags (regional indicator pairs), Hangul syllables and combining marks included.
_GRAPHEME = regex.compile(r"\X")

# Scripts written without spaces between words: each character counts as a word.
_NO_SPACE_SCRIPT = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD_CHAR = rf"[[\p{{L}}\p{{N}}\p{{M}}]--[{_NO_SPACE_SCRIPT}]]"
_WORD = regex.compile(rf"(?V1)[{_NO_SPACE_SCRIPT}]|{_WORD_CHAR}+(?:['’\-‐.,]{_WORD_CHAR}+)*")

# Characters nobody sees: format characters (bidi marks, zero-width space, a lone joiner),
# controls other than whitespace, and lone surrogates.
_INVISIBLE = r"[[\p{Cf}\p{Cc}\p{Cs}]--\s]"
_INVISIBLE_RUN = regex.compile(rf"(?V1){_INVISIBLE}+")
# Characters that can join a neighbour into one grapheme cluster (UAX #29 rules GB6-GB9c,
# GB11-GB13), or be invisible: a line with none of them is one character per code point, which
# is checked in a fraction of the time splitting it into clusters takes.
_NEEDS_CLUSTERING = regex.compile(
    r"(?V1)[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}"
    rf"\p{{GCB=Regional_Indicator}}\p{{GCB=L}}\p{{GCB=V}}\p{{GCB=T}}{_INVISIBLE}]"
)


@dataclass(frozen=True)
class _Profile:
    """A profile's limits; None where the profile has no such rule."""

    name: str
    max_line_length: int
    max_lines: int
    max_cps: int | None = None
    max_wpm: int | None = None
    min_duration_ms: int | None = None
    min_ms_per_word: int | None = None
    max_duration_ms: int | None = None
    min_gap_ms: int | None = None
    min_gap_frames: int | None = None
    min_coverage: Fraction | None = None


_PROFILES: dict[str, _Profile] = {
    profile.name: profile
    for profile in (
        _Profile(
            "default",
            max_line_length=42,
            max_lines=2,
            max_cps=20,
            min_duration_ms=830,
            max_duration_ms=7000,
            min_gap_ms=80,
            min_coverage=Fraction(9, 10),
        ),
        # Netflix: 5/6 s is 20 frames at 24 fps; 833 ms is the whole millisecond at or below.
        _Profile(
            "netflix",
            max_line_length=42,
            max_lines=2,
            max_cps=20,
            min_duration_ms=833,
            max_duration_ms=7000,
            min_gap_frames=2,
        ),
        _Profile(
            "bbc",
            max_line_length=37,
            max_lines=2,
            max_wpm=180,
            min_ms_per_word=300,
            max_duration_ms=7000,
        ),
        _Profile("dcmp", max_line_length=32, max_lines=2, max_wpm=160, min_duration_ms=2000),
    )
}


@dataclass(frozen=True)
class MediaFacts:
    """What the checks know about the media the captions belong to."""

    duration_ms: int | None = None  # None: unknown
    frame_rate: float | None = None  # None: unknown
    speech_intervals: tuple[tuple[int, int], ...] | None = None  # None: not analysed


@dataclass(frozen=True)
class Finding:
    """One broken rule. ``cue`` is the 0-based index of the cue in the sequence checked (-1
    for ``coverage``, which concerns the whole track); ``value`` and ``limit`` are in the
    rule's unit (see the module docstring)."""

    cue: int
    start_ms: int
    end_ms: int
    rule: str
    value: float
    limit: float
    severity: Severity


@dataclass(frozen=True)
class QualityReport:
    """The result of ``check_quality``.

    ``coverage`` is None only when neither the speech intervals nor the duration are known.
    ``by_rule`` counts findings for every rule the profile checks (zero included);
    ``by_severity`` always has both "error" and "warning".
    """

    profile: str
    findings: tuple[Finding, ...]
    coverage: float | None
    meets_profile: bool
    by_rule: Mapping[str, int] = field(default_factory=dict)
    by_severity: Mapping[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.by_severity.get("error", 0)

    @property
    def warnings(self) -> int:
        return self.by_severity.get("warning", 0)


def profile_rules(profile: str) -> tuple[str, ...]:
    """The rules ``profile`` checks, in the order of ``RULES``. ValueError when unknown."""
    limits = _profile(profile)
    return tuple(rule for rule in RULES if _checks(limits, rule))


def check_quality(
    cues: Sequence[Cue], facts: MediaFacts, profile: str = "default"
) -> QualityReport:
    """Check ``cues`` (in the order of the file) against ``profile``.

    Timing rules compare a cue with the latest end among the cues before it, so a cue that
    starts inside any earlier cue overlaps, not only one inside its direct predecessor; a gap
    of exactly 0 (cues that touch) is no gap. An empty cue is reported as ``empty_cue`` and
    not also for its text or duration. Coverage is the share of the speech time (the speech
    intervals, else [0, duration]) that the union of the cues covers, so overlapping cues
    count once. When the speech analysis found no speech at all, or the media lasts 0 ms,
    there is nothing to leave uncaptioned and coverage is 1.0. Raises ValueError for a
    profile not in ``PROFILE_NAMES``. Runs in O(n log n) for n cues (one sort, for coverage).
    """
    limits = _profile(profile)
    return _check(cues, [_CueText.of(cue) for cue in cues], facts, limits)


def check_profiles(
    cues: Sequence[Cue], facts: MediaFacts, profiles: Sequence[str] = PROFILE_NAMES
) -> dict[str, QualityReport]:
    """``check_quality`` for each of ``profiles``, measuring each cue's text once (what the
    caption summaries need on every track write). ValueError for an unknown profile."""
    limits = [_profile(profile) for profile in profiles]
    texts = [_CueText.of(cue) for cue in cues]
    return {each.name: _check(cues, texts, facts, each) for each in limits}


@dataclass
class _CueText:
    """A cue's visible lines measured once for every profile: the lines that show something,
    their lengths, and (only when a profile counts words) its words."""

    lines: list[str]
    lengths: list[int]
    _words: int | None = None

    @classmethod
    def of(cls, cue: Cue) -> _CueText:
        lines = [line for line in _plain_lines(cue.text) if not _blank(line)]
        return cls(lines, [visible_length(line) for line in lines])

    @property
    def words(self) -> int:
        if self._words is None:
            self._words = word_count("\n".join(self.lines))
        return self._words


def _check(
    cues: Sequence[Cue], texts: Sequence[_CueText], facts: MediaFacts, limits: _Profile
) -> QualityReport:
    profile = limits.name
    findings: list[Finding] = []
    latest_end: int | None = None
    min_gap = _min_gap_ms(limits, facts.frame_rate)
    for index, cue in enumerate(cues):
        findings.extend(_timing_findings(index, cue, latest_end, facts, min_gap))
        findings.extend(_cue_findings(index, cue, texts[index], limits))
        latest_end = cue.end_ms if latest_end is None else max(latest_end, cue.end_ms)

    measured = _measured_time(facts)
    coverage: float | None = None
    meets_coverage = True
    if measured is not None:
        covered, total = _covered_ms(cues, measured)
        coverage = 1.0 if total == 0 else covered / total
        minimum = limits.min_coverage
        if (
            minimum is not None
            and total > 0
            and covered * minimum.denominator < (total * minimum.numerator)
        ):
            meets_coverage = False
            findings.append(
                Finding(
                    -1,
                    measured[0][0],
                    measured[-1][1],
                    "coverage",
                    coverage,
                    float(minimum),
                    "warning",
                )
            )

    rules = profile_rules(profile)
    rule_counts = Counter(finding.rule for finding in findings)
    severity_counts = Counter(finding.severity for finding in findings)
    by_severity = {"error": severity_counts["error"], "warning": severity_counts["warning"]}
    return QualityReport(
        profile=profile,
        findings=tuple(findings),
        coverage=coverage,
        meets_profile=by_severity["error"] == 0 and meets_coverage,
        by_rule={rule: rule_counts[rule] for rule in rules},
        by_severity=by_severity,
    )


def speech_intervals_from_json(text: str | None) -> tuple[tuple[int, int], ...] | None:
    """``MediaObject.speech_intervals`` (a JSON array of [start_ms, end_ms] pairs) as sorted,
    merged intervals. None when there is none (not analysed) or it is not such an array;
    pairs that are not two numbers with 0 <= start < end are left out."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    pairs: list[tuple[int, int]] = []
    for item in data:
        if not isinstance(item, list | tuple) or len(item) != 2:
            continue
        start, end = item
        if not (_is_number(start) and _is_number(end)):
            continue
        start_ms, end_ms = max(0, round(start)), round(end)
        if start_ms < end_ms:
            pairs.append((start_ms, end_ms))
    return _merged(pairs)


def visible_length(line: str) -> int:
    """User-perceived characters of one line of plain text (see the module docstring)."""
    if line.isascii() and line.isprintable():
        return len(line.strip(" "))
    if _NEEDS_CLUSTERING.search(line) is None:
        # The common case: only the spaces at the ends go.
        return len(line.strip())
    clusters = [cluster for cluster in _GRAPHEME.findall(line) if not _invisible(cluster)]
    start, end = 0, len(clusters)
    while start < end and clusters[start].isspace():
        start += 1
    while end > start and clusters[end - 1].isspace():
        end -= 1
    return end - start


def word_count(text: str) -> int:
    """Words in plain text, as the ``bbc`` and ``dcmp`` reading rates count them."""
    return len(_WORD.findall(text))


def _profile(name: str) -> _Profile:
    limits = _PROFILES.get(name)
    if limits is None:
        allowed = ", ".join(PROFILE_NAMES)
        raise ValueError(f"unknown quality profile {name!r}; use one of {allowed}")
    return limits


def _checks(limits: _Profile, rule: str) -> bool:
    if rule == "reading_rate":
        return limits.max_cps is not None or limits.max_wpm is not None
    if rule == "min_duration":
        return limits.min_duration_ms is not None or limits.min_ms_per_word is not None
    if rule == "max_duration":
        return limits.max_duration_ms is not None
    if rule == "gap":
        return limits.min_gap_ms is not None or limits.min_gap_frames is not None
    if rule == "coverage":
        return limits.min_coverage is not None
    return True


def _finding(index: int, cue: Cue, rule: str, value: float, limit: float) -> Finding:
    severity: Severity = "error" if rule in ERROR_RULES else "warning"
    return Finding(index, cue.start_ms, cue.end_ms, rule, float(value), float(limit), severity)


def _timing_findings(
    index: int, cue: Cue, latest_end: int | None, facts: MediaFacts, min_gap: int | None
) -> Iterable[Finding]:
    if latest_end is not None:
        if latest_end > cue.start_ms:
            yield _finding(index, cue, "overlap", latest_end - cue.start_ms, 0)
        else:
            gap = cue.start_ms - latest_end
            if gap > 0 and min_gap is not None and gap < min_gap:
                yield _finding(index, cue, "gap", gap, min_gap)
    if facts.duration_ms is not None and cue.end_ms > facts.duration_ms:
        yield _finding(index, cue, "out_of_media", cue.end_ms, facts.duration_ms)


def _cue_findings(index: int, cue: Cue, text: _CueText, limits: _Profile) -> Iterable[Finding]:
    lines, lengths = text.lines, text.lengths
    if not lines:
        yield _finding(index, cue, "empty_cue", 0, 1)
        return
    longest = max(lengths)
    if longest > limits.max_line_length:
        yield _finding(index, cue, "line_length", longest, limits.max_line_length)
    if len(lines) > limits.max_lines:
        yield _finding(index, cue, "line_count", len(lines), limits.max_lines)

    duration = cue.end_ms - cue.start_ms
    words = text.words if limits.max_wpm or limits.min_ms_per_word else 0
    if limits.max_cps is not None:
        characters = sum(lengths)
        # characters / (duration / 1000) <= max_cps, in integers.
        if characters * 1000 > limits.max_cps * duration:
            yield _finding(index, cue, "reading_rate", characters * 1000 / duration, limits.max_cps)
    if limits.max_wpm is not None and words * 60_000 > limits.max_wpm * duration:
        yield _finding(index, cue, "reading_rate", words * 60_000 / duration, limits.max_wpm)

    min_duration = limits.min_duration_ms
    if limits.min_ms_per_word is not None:
        min_duration = limits.min_ms_per_word * words
    if min_duration is not None and duration < min_duration:
        yield _finding(index, cue, "min_duration", duration, min_duration)
    if limits.max_duration_ms is not None and duration > limits.max_duration_ms:
        yield _finding(index, cue, "max_duration", duration, limits.max_duration_ms)


def _min_gap_ms(limits: _Profile, frame_rate: float | None) -> int | None:
    if limits.min_gap_ms is not None:
        return limits.min_gap_ms
    if limits.min_gap_frames is None:
        return None
    rate = NETFLIX_DEFAULT_FRAME_RATE
    # A rate no video has (a broken probe) is treated as unknown.
    if frame_rate is not None and math.isfinite(frame_rate) and 1 <= frame_rate <= 1000:
        rate = frame_rate
    # Frame rates are rational (30000/1001); the fraction keeps 2000/rate exact. Whole
    # milliseconds at or below the frames' length: cue times rounded to the millisecond make
    # a true two-frame gap (83.3 ms at 24 fps) appear as 83 ms, which must pass.
    exact = Fraction(rate).limit_denominator(1001)
    return int(Fraction(limits.min_gap_frames * 1000) / exact)


def _measured_time(facts: MediaFacts) -> tuple[tuple[int, int], ...] | None:
    """The intervals coverage is measured against: the speech, else the whole media."""
    if facts.speech_intervals is not None:
        return _merged(facts.speech_intervals)
    if facts.duration_ms is not None:
        return ((0, facts.duration_ms),) if facts.duration_ms > 0 else ()
    return None


def _covered_ms(cues: Sequence[Cue], measured: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """(milliseconds of ``measured`` that some cue covers, total of ``measured``)."""
    total = sum(end - start for start, end in measured)
    spans = _merged((cue.start_ms, cue.end_ms) for cue in cues)
    covered = 0
    cue_index = 0
    for start, end in measured:
        while cue_index < len(spans) and spans[cue_index][1] <= start:
            cue_index += 1
        scan = cue_index
        while scan < len(spans) and spans[scan][0] < end:
            covered += min(end, spans[scan][1]) - max(start, spans[scan][0])
            scan += 1
    return covered, total


def _merged(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _plain_lines(text: str) -> list[str]:
    if "<" in text or "&" in text:
        return plain_text(text).split("\n")
    # Nothing to strip: the lines as plain_text would split them, at a fraction of the cost.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blank(line: str) -> bool:
    return _INVISIBLE_RUN.sub("", line).strip() == ""


def _invisible(cluster: str) -> bool:
    return _INVISIBLE_RUN.fullmatch(cluster) is not None
