"""The searchable rows of one track's content: pure (no database), so that migration 0005 can
index the tracks that exist already with exactly what a write indexes."""

from __future__ import annotations

from typing import NamedTuple

from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    looks_like_ttml,
    normalise_caption,
    parse_webvtt,
    plain_text,
)
from mediaobjects.captions.folding import folded_words

# A cue is a few lines; past this many words the rest of a pathological cue is not indexed
# (PostgreSQL's tsvector positions stop at 16,383 and its size at 1 MB).
MAX_WORDS_PER_CUE = 1000


class CueRow(NamedTuple):
    cue_index: int
    start_ms: int
    end_ms: int
    text: str
    folded: str


def cue_rows(served_webvtt: str) -> list[CueRow]:
    """The cues of a track's served WebVTT (legacy rows may hold SRT) as index rows; none for
    content that cannot be read as captions or that the track routes refuse to serve (TTML
    markup): what cannot be played cannot be found either."""
    if looks_like_ttml(served_webvtt):
        return []
    document = _document(served_webvtt)
    rows = []
    for index, cue in enumerate(document.cues):
        text = plain_text(cue.text)
        folded = " ".join(folded_words(text)[:MAX_WORDS_PER_CUE])
        # The NUL PostgreSQL cannot hold never reaches a stored track; a cue without a word
        # can never match, so it is not stored.
        if folded:
            rows.append(CueRow(index, cue.start_ms, cue.end_ms, text, folded))
    return rows


def _document(served_webvtt: str) -> CaptionDocument:
    # Served WebVTT is parsed as such (normalising would also write it again, for nothing);
    # legacy rows go the way downloads read them.
    try:
        if served_webvtt.lstrip("\ufeff").startswith("WEBVTT"):
            return parse_webvtt(served_webvtt)
        return normalise_caption(served_webvtt, lenient=True).document
    except CaptionError:
        return CaptionDocument(cues=())
