"""Moving every cue of a caption document in time: by a fixed offset (captions that start a
few seconds late), or by a linear map through two sync points (captions made for a 23.976 fps
edit shown against a 25 fps one drift further off the longer the video runs; a desktop
subtitle editor's "point sync" fixes both at once). Pure: a document in, a document out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from .errors import CaptionError
from .model import CaptionDocument, Cue, Note

SyncPoint = tuple[int, int]


@dataclass(frozen=True)
class Retimed:
    """The retimed document and what happened to the cues that moved before zero: ``clipped``
    cues now start at 0 (their end was still after it), ``dropped`` cues are gone (they ended
    at or before 0, or rounding left them no length). Both hold 1-based cue numbers of the
    input document, in order."""

    document: CaptionDocument
    clipped: tuple[int, ...]
    dropped: tuple[int, ...]


def retime(
    document: CaptionDocument,
    *,
    offset_ms: int | None = None,
    sync_points: tuple[SyncPoint, SyncPoint] | None = None,
) -> Retimed:
    """Every cue's start and end mapped by ``t + offset_ms``, or by the line through the two
    ``(from_ms, to_ms)`` sync points: ``t' = to1 + (t - from1) * (to2 - to1) / (from2 - from1)``.
    Exactly one of the two must be given.

    The map is computed exactly and rounded to the nearest millisecond (halves up). A cue whose
    new start is before zero starts at zero (clipped); one whose new end is at or before zero,
    or whose start and end round to the same millisecond, is dropped. Notes keep their place
    before the cue they preceded (or the next one kept). Sync points with the same ``from_ms``,
    or that would run time backwards or stop it (``to2 - to1`` not of the sign of
    ``from2 - from1``), are refused with a CaptionError."""
    if (offset_ms is None) == (sync_points is None):
        raise CaptionError("give either an offset or two sync points, not both or neither")
    if offset_ms is not None:
        scale, shift = Fraction(1), Fraction(offset_ms)
    else:
        assert sync_points is not None
        scale, shift = _line_through(sync_points)

    cues: list[Cue] = []
    clipped: list[int] = []
    dropped: list[int] = []
    kept_before: list[int] = []  # for each input cue, how many cues are kept before it
    for number, cue in enumerate(document.cues, start=1):
        kept_before.append(len(cues))
        start = _round(scale * cue.start_ms + shift)
        end = _round(scale * cue.end_ms + shift)
        if end <= 0:
            dropped.append(number)
            continue
        if start < 0:
            start = 0
            clipped.append(number)
        if end <= start:
            # Only a sync map that shrinks time can do this: a 1 ms cue scaled by 0.96.
            if clipped and clipped[-1] == number:
                clipped.pop()
            dropped.append(number)
            continue
        cues.append(replace(cue, start_ms=start, end_ms=end))
    kept_before.append(len(cues))
    notes = tuple(
        Note(note.text, kept_before[min(note.before_cue, len(document.cues))])
        for note in document.notes
    )
    return Retimed(replace(document, cues=tuple(cues), notes=notes), tuple(clipped), tuple(dropped))


def _line_through(points: tuple[SyncPoint, SyncPoint]) -> tuple[Fraction, Fraction]:
    (from1, to1), (from2, to2) = points
    if from1 == from2:
        if to1 == to2:
            raise CaptionError("the two sync points are the same point; give two different ones")
        raise CaptionError(
            "the two sync points have the same from time, so they define no timing; "
            "give two points at different times"
        )
    scale = Fraction(to2 - to1, from2 - from1)
    if scale <= 0:
        raise CaptionError(
            "the sync points would run time backwards or stop it: the later from time must "
            "map to the later to time"
        )
    return scale, to1 - scale * from1


def _round(value: Fraction) -> int:
    # Halves go up (towards later), the same way on both sides of zero.
    return (value.numerator * 2 + value.denominator) // (value.denominator * 2)
