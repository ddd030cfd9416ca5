"""A plain transcript of a caption document: the text viewers read, with no timings or markup,
in paragraphs that follow the pauses of the speech."""

from __future__ import annotations

from .markup import plain_text
from .model import CaptionDocument

# A silence longer than this between two cues starts a new paragraph: about the pause at a
# change of speaker or topic, longer than the gaps between sentences of one speaker.
PARAGRAPH_PAUSE_MS = 2000


def write_transcript(document: CaptionDocument) -> str:
    """The cues' visible text (``markup.plain_text``) in time order, each cue's lines joined by
    spaces (caption line breaks are layout, not meaning), one paragraph per run of cues with
    no pause longer than ``PARAGRAPH_PAUSE_MS`` between them, paragraphs separated by a blank
    line, with a final newline ("" when no cue has text)."""
    paragraphs: list[list[str]] = []
    spoken_until: int | None = None
    # Files need not list cues in time order (SRT), and cues may overlap: the pause before a
    # cue is measured from the latest end of all cues before it.
    for cue in sorted(document.cues, key=lambda c: (c.start_ms, c.end_ms)):
        words = " ".join(plain_text(cue.text).split())
        if not words:
            continue
        if spoken_until is None or cue.start_ms - spoken_until > PARAGRAPH_PAUSE_MS:
            paragraphs.append([])
        paragraphs[-1].append(words)
        spoken_until = max(cue.end_ms, spoken_until or 0)
    return "".join(" ".join(paragraph) + "\n\n" for paragraph in paragraphs)[:-1]
