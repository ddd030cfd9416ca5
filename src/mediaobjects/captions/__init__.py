"""Caption files as a pure library (no database, no HTTP): parse and write SRT, WebVTT, SBV,
TTML/DFXP, SAMI and SCC with line-numbered validation, detect a file's format from its content,
convert uploads to the WebVTT we serve (Canvas-compatible for SRT), retime cues, and validate
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
from .detect import detect_format
from .errors import MAX_PROBLEMS, CaptionError, KindError, LocaleError, Problem
from .kinds import DEFAULT_KIND, KINDS, Kind, validate_kind
from .locales import MAX_LOCALE_LENGTH, locale_label, normalise_locale
from .markup import escape_cue_text, plain_text
from .model import CaptionDocument, Cue, Note
from .retime import Retimed, retime
from .sami import parse_sami, write_sami
from .sbv import parse_sbv, write_sbv
from .scc import parse_scc, write_scc
from .srt import parse_srt, write_srt
from .ttml import parse_ttml, write_ttml
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
    "detect_format",
    "escape_cue_text",
    "locale_label",
    "looks_like_ttml",
    "normalise_caption",
    "normalise_locale",
    "parse_sami",
    "parse_sbv",
    "parse_scc",
    "parse_srt",
    "parse_ttml",
    "parse_webvtt",
    "plain_text",
    "retime",
    "served_webvtt",
    "srt_to_webvtt",
    "validate_kind",
    "write_sami",
    "write_sbv",
    "write_scc",
    "write_srt",
    "write_ttml",
    "write_webvtt",
]
