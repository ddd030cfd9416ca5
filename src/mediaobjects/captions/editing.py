"""Cues edited one by one (the in-browser caption editor): checking each edited cue the way
the strict WebVTT parser would read it back, putting the edited cues into a document in place
of its old ones (header, STYLE, REGION and NOTE blocks stay, as ``retime`` keeps them), and
wording caption quality findings for the cue they concern. Pure: values in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ._text import quote
from .model import CaptionDocument, Cue, Note
from .quality import Finding
from .timestamps import MAX_TIMESTAMP_MS, format_webvtt_timestamp
from .webvtt import setting_problem

# Whole-track problems (quality ``coverage``) have no cue.
TRACK_WIDE = None


@dataclass(frozen=True)
class CueDraft:
    """A cue as an editor sent it, not yet checked: times in whole milliseconds, ``text`` the
    WebVTT cue text (markup and character references as written, lines joined by "\\n"),
    ``identifier`` None for none, ``settings`` the cue settings ("" for none)."""

    start_ms: int
    end_ms: int
    text: str
    identifier: str | None = None
    settings: str = ""


@dataclass(frozen=True)
class CueProblem:
    """Why a draft cannot be stored: ``cue`` its 0-based index, ``field`` the part of it at
    fault (``start``, ``end``, ``text``, ``identifier``, ``settings``)."""

    cue: int
    field: str
    message: str


def normalise_line_breaks(text: str) -> str:
    """CRLF and CR become LF: a textarea may send either, and WebVTT reads all three alike."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cue_problems(drafts: Sequence[CueDraft]) -> list[CueProblem]:
    """Every problem of every draft, in order: what would make the written WebVTT fail the
    strict parser, or read back as something else than the draft (a cue cut short by an
    empty line, an identifier or settings split over lines)."""
    problems: list[CueProblem] = []
    for index, draft in enumerate(drafts):
        problems.extend(_draft_problems(index, draft))
    return problems


def _draft_problems(index: int, draft: CueDraft) -> list[CueProblem]:
    out: list[CueProblem] = []
    start, end = draft.start_ms, draft.end_ms
    latest = format_webvtt_timestamp(MAX_TIMESTAMP_MS)
    start_ok = 0 <= start <= MAX_TIMESTAMP_MS
    end_ok = 0 <= end <= MAX_TIMESTAMP_MS
    if not start_ok:
        out.append(CueProblem(index, "start", f"the start time must be between 0 and {latest}"))
    if not end_ok:
        out.append(CueProblem(index, "end", f"the end time must be between 0 and {latest}"))
    if start_ok and end_ok and end <= start:
        what = "the same as" if end == start else "before"
        out.append(
            CueProblem(
                index,
                "end",
                f"the end time {format_webvtt_timestamp(end)} is {what} the start time "
                f"{format_webvtt_timestamp(start)}; a cue must end after it starts",
            )
        )
    out.extend(CueProblem(index, "text", message) for message in text_problems(draft.text))
    if draft.identifier is not None:
        out.extend(
            CueProblem(index, "identifier", message)
            for message in _one_line_problems(draft.identifier, "the identifier")
        )
    out.extend(CueProblem(index, "settings", m) for m in settings_problems(draft.settings))
    return out


def text_problems(text: str) -> list[str]:
    """Why ``text`` cannot be a cue's text (LF line breaks; see ``normalise_line_breaks``)."""
    out: list[str] = []
    if "\x00" in text:
        out.append("the text must not contain NUL characters")
    if "\r" in text:
        out.append("the text must separate lines with line feeds only")
    if text and "" in text.split("\n"):
        out.append(
            "the text must not contain an empty line (an empty line ends a cue in WebVTT): "
            "remove it, or the line break before or after the text"
        )
    if "-->" in text:
        out.append('the text must not contain "-->" (it would start a new cue)')
    return out


def settings_problems(settings: str) -> list[str]:
    """Why ``settings`` are not WebVTT cue settings the parser accepts."""
    out = _one_line_problems(settings, "the settings")
    if out:
        return out
    tokens = [token for token in settings.replace("\t", " ").split(" ") if token]
    return [problem for problem in map(setting_problem, tokens) if problem is not None]


def _one_line_problems(value: str, what: str) -> list[str]:
    out: list[str] = []
    if "\n" in value or "\r" in value:
        out.append(f"{what} must be a single line")
    if "\x00" in value:
        out.append(f"{what} must not contain NUL characters")
    if "-->" in value:
        out.append(f'{what} must not contain "-->"')
    return out


def to_cues(drafts: Sequence[CueDraft]) -> tuple[Cue, ...]:
    """The drafts as cues; call it only when ``cue_problems`` found none. An empty identifier
    is none (WebVTT cannot write an empty one)."""
    return tuple(
        Cue(
            draft.start_ms,
            draft.end_ms,
            draft.text,
            draft.identifier or None,
            " ".join(token for token in draft.settings.replace("\t", " ").split(" ") if token),
        )
        for draft in drafts
    )


def with_cues(document: CaptionDocument, cues: Sequence[Cue]) -> CaptionDocument:
    """``document`` with ``cues`` instead of its own: the header, header lines, STYLE and
    REGION blocks stay; each NOTE stays before the cue at the same position (or at the end
    when there are fewer cues now), as ``retime`` keeps them."""
    notes = tuple(Note(note.text, min(note.before_cue, len(cues))) for note in document.notes)
    return replace(document, cues=tuple(cues), notes=notes)


def finding_message(finding: Finding, profile: str) -> str:
    """What a quality finding means, for the person editing the cue (units as in
    ``captions.quality``)."""
    value, limit = _number(finding.value), _number(finding.limit)
    rule = finding.rule
    if rule == "line_length":
        return f"a line is {value} characters long; the {profile} profile allows {limit}"
    if rule == "line_count":
        return f"the cue has {value} lines; the {profile} profile allows {limit}"
    if rule == "reading_rate":
        unit = "words per minute" if profile in ("bbc", "dcmp") else "characters per second"
        return f"the cue is read at {value} {unit}; the {profile} profile allows {limit}"
    if rule == "min_duration":
        return f"the cue lasts {value} ms; the {profile} profile asks for at least {limit} ms"
    if rule == "max_duration":
        return f"the cue lasts {value} ms; the {profile} profile allows at most {limit} ms"
    if rule == "gap":
        return (
            f"the cue starts {value} ms after the previous one ends; the {profile} profile "
            f"asks for a gap of at least {limit} ms (or none)"
        )
    if rule == "overlap":
        return f"the cue starts {value} ms before an earlier cue ends"
    if rule == "out_of_media":
        return (
            f"the cue ends at {format_webvtt_timestamp(int(finding.value))}, after the end of "
            f"the media ({format_webvtt_timestamp(int(finding.limit))})"
        )
    if rule == "empty_cue":
        return "the cue shows no text"
    if rule == "coverage":
        return (
            f"the captions cover {finding.value:.0%} of the speech; the {profile} profile asks "
            f"for at least {finding.limit:.0%}"
        )
    return f"{quote(rule)}: {value} (limit {limit})"


# The part of a cue a finding points the editor to (None: the cue as a whole).
FINDING_FIELDS: dict[str, str | None] = {
    "line_length": "text",
    "line_count": "text",
    "reading_rate": "text",
    "empty_cue": "text",
    "min_duration": "end",
    "max_duration": "end",
    "gap": "start",
    "overlap": "start",
    "out_of_media": "end",
    "coverage": None,
}


def _number(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return f"{value:.1f}"
