"""Reading and writing cue timestamps: SRT's ``HH:MM:SS,mmm`` (with the variants people
actually produce) and WebVTT's ``[HH:]MM:SS.mmm``. Times are whole milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._text import quote as _q
from .errors import CaptionError

# Hours beyond nine digits are certainly a typo, and capping them keeps int() well away from
# Python's limit on converting very long digit strings.
_MAX_HOUR_DIGITS = 9
# The last time the SRT and WebVTT parsers read back (999999999:59:59.999): formats converted
# at ingest must not produce later ones, or the stored WebVTT could not be read again.
MAX_TIMESTAMP_MS = 10**_MAX_HOUR_DIGITS * 3_600_000 - 1

# Explicit [0-9]: \d would also accept Arabic-Indic and other Unicode digits.
_SRT_TIMESTAMP = re.compile(r"([0-9]+):([0-9]{2}):([0-9]{2})[,.]([0-9]{1,3})")
_WEBVTT_TIMESTAMP = re.compile(r"(?:([0-9]+):)?([0-9]{2}):([0-9]{2})\.([0-9]{3})")

SRT_TIMING_EXAMPLE = '"00:00:01,000 --> 00:00:02,000"'
WEBVTT_TIMING_EXAMPLE = '"00:00:01.000 --> 00:00:02.000"'


def _to_ms(hours: str, minutes: str, seconds: str, fraction: str, token: str, line: int) -> int:
    if len(hours) > _MAX_HOUR_DIGITS:
        raise CaptionError(f"the hours in {_q(token)} are too large", line)
    if int(minutes) >= 60:
        raise CaptionError(f"minutes must be less than 60 in {_q(token)}", line)
    if int(seconds) >= 60:
        raise CaptionError(f"seconds must be less than 60 in {_q(token)}", line)
    # A short fraction is a decimal fraction of a second: ",5" is half a second, not 5 ms.
    millis = int(fraction.ljust(3, "0"))
    return ((int(hours or "0") * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def parse_srt_timestamp(token: str, line: int, role: str) -> int:
    """Parse an SRT timestamp; ``role`` ("start time"/"end time") names it in errors.

    Tolerated: 1 or more hour digits, "." for ",", 1-2 digit fractions.
    """
    match = _SRT_TIMESTAMP.fullmatch(token)
    if match is None:
        raise CaptionError(
            f'expected {_article(role)} {role} like "00:00:01,000" but found {_q(token)}', line
        )
    hours, minutes, seconds, fraction = match.groups()
    return _to_ms(hours, minutes, seconds, fraction, token, line)


def parse_webvtt_timestamp(token: str, line: int, role: str) -> int:
    """Parse a WebVTT timestamp strictly: hours optional but two or more digits when present,
    minutes and seconds two digits, exactly three millisecond digits after a ".".
    """
    match = _WEBVTT_TIMESTAMP.fullmatch(token)
    if match is None:
        raise CaptionError(
            f'expected {_article(role)} {role} like "00:00:01.000" but found {_q(token)}'
            f"{_webvtt_hint(token)}",
            line,
        )
    hours, minutes, seconds, fraction = match.groups()
    if hours is not None and len(hours) < 2:
        raise CaptionError(f"hours must have at least two digits in {_q(token)}", line)
    return _to_ms(hours or "", minutes, seconds, fraction, token, line)


def is_webvtt_timestamp(token: str) -> bool:
    match = _WEBVTT_TIMESTAMP.fullmatch(token)
    if match is None:
        return False
    hours, minutes, seconds, _ = match.groups()
    return (hours is None or 2 <= len(hours) <= _MAX_HOUR_DIGITS) and (
        int(minutes) < 60 and int(seconds) < 60
    )


def _article(noun: str) -> str:
    return "an" if noun[:1] in ("a", "e", "i", "o", "u") else "a"


def _webvtt_hint(token: str) -> str:
    if "," in token and _WEBVTT_TIMESTAMP.fullmatch(token.replace(",", ".")) is not None:
        return ' (WebVTT uses "." before the milliseconds, not ",")'
    return ""


# Zero-padded numbers by value: formatting by table look-up is four times faster than
# format specs, which matters when writing files of ten thousand cues.
TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
THREE_DIGITS = tuple(f"{n:03d}" for n in range(1000))


def format_timestamp(ms: int, separator: str) -> str:
    """``HH:MM:SS<sep>mmm`` with at least two hour digits (more when the time needs them)."""
    if ms < 0:
        # Not a valid cue time, but a message may still need to show one.
        return "-" + format_timestamp(-ms, separator)
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    hour_text = TWO_DIGITS[hours] if hours < 100 else str(hours)
    return (
        f"{hour_text}:{TWO_DIGITS[minutes]}:{TWO_DIGITS[seconds]}{separator}{THREE_DIGITS[millis]}"
    )


def format_srt_timestamp(ms: int) -> str:
    return format_timestamp(ms, ",")


def format_webvtt_timestamp(ms: int) -> str:
    return format_timestamp(ms, ".")


def check_duration(start_ms: int, end_ms: int, line: int, formatter: Callable[[int], str]) -> None:
    """Reject a cue that does not end after it starts (WebVTT requires end > start)."""
    if end_ms < start_ms:
        raise CaptionError(
            f"end time {formatter(end_ms)} is before start time {formatter(start_ms)}", line
        )
    if end_ms == start_ms:
        raise CaptionError(
            f"end time {formatter(end_ms)} is the same as the start time; a cue must end "
            "after it starts",
            line,
        )
