"""Caption files as a pure library (no database, no HTTP): parse and write SRT and WebVTT with
line-numbered validation, convert SRT to the WebVTT we serve (Canvas-compatible), and validate
track locales and kinds.
"""

from .convert import (
    BLANK_MESSAGE,
    TTML_MESSAGE,
    NormalisedCaption,
    looks_like_ttml,
    normalise_caption,
    served_webvtt,
    srt_to_webvtt,
)
from .errors import MAX_PROBLEMS, CaptionError, KindError, LocaleError, Problem
from .kinds import DEFAULT_KIND, KINDS, Kind, validate_kind
from .locales import MAX_LOCALE_LENGTH, locale_label, normalise_locale
from .markup import escape_cue_text, plain_text
from .model import CaptionDocument, Cue, Note
from .retime import Retimed, retime
from .srt import parse_srt, write_srt
from .webvtt import parse_webvtt, write_webvtt

__all__ = [
    "BLANK_MESSAGE",
    "DEFAULT_KIND",
    "KINDS",
    "MAX_LOCALE_LENGTH",
    "MAX_PROBLEMS",
    "TTML_MESSAGE",
    "CaptionDocument",
    "CaptionError",
    "Cue",
    "Kind",
    "KindError",
    "LocaleError",
    "NormalisedCaption",
    "Note",
    "Problem",
    "Retimed",
    "escape_cue_text",
    "locale_label",
    "looks_like_ttml",
    "normalise_caption",
    "normalise_locale",
    "parse_srt",
    "parse_webvtt",
    "plain_text",
    "retime",
    "served_webvtt",
    "srt_to_webvtt",
    "validate_kind",
    "write_srt",
    "write_webvtt",
]
