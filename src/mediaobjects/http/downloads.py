"""Files the service writes on request (caption tracks in a chosen format): the response with
its validators, and the ``Content-Disposition`` that names the file: a name that every
operating system accepts, whatever a media title holds, and an ASCII fallback beside the exact
UTF-8 name (RFC 6266, RFC 5987)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from fastapi import Request, Response

from mediaobjects.http.conditional import etag_of, not_modified

# Windows refuses these in names; "/" and "\\" separate folders everywhere.
_RESERVED_CHARACTERS = frozenset('/\\:*?"<>|')
# Unicode controls that reorder text: a title holding U+202E could show "evil.exe.vtt" as
# "evil.vtt.exe" in a file manager.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Names Windows keeps for devices, whatever follows the first dot ("CON.en.vtt" too).
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)
# Bytes of UTF-8 for the title part: whole names stay well under the 255 bytes (ext4) or
# UTF-16 units (NTFS, APFS) that file systems allow, with room for " (1)" from a browser.
MAX_TITLE_BYTES = 180
FALLBACK_STEM = "captions"
_SPACES = re.compile(r"\s+")
# Media titles are often the uploaded file's name. Without its extension, a track saved beside
# the video ("Lecture 1.mp4", "Lecture 1.en.srt") is found by players such as VLC and mpv.
_MEDIA_EXTENSION = re.compile(
    r"\.(?:mp4|m4v|mov|webm|mkv|avi|wmv|flv|mpe?g|ogv|3gp|mp3|m4a|aac|wav|flac|oga|ogg|opus)\s*$",
    re.IGNORECASE,
)


def written_file(
    request: Request,
    body: str,
    *,
    content_type: str,
    updated_at: datetime,
    disposition: str,
) -> Response:
    """``body`` as UTF-8 to download (``disposition``: see ``download_disposition``), with an
    ``ETag`` of its bytes and ``Last-Modified``, answering 304 to a client whose copy is
    current."""
    data = body.encode("utf-8")
    etag = etag_of(data)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(updated_at, usegmt=True),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": disposition,
        # A download of user text (TTML and SAMI are markup) must never run as a page of ours.
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if not_modified(request, etag, updated_at):
        return Response(status_code=304, headers=headers)
    return Response(data, headers=headers, media_type=content_type)


def without_media_extension(title: str) -> str:
    """``title`` without a trailing video or audio file extension ("Lecture 1.mp4")."""
    return _MEDIA_EXTENSION.sub("", title)


def download_filename(title: str, *parts: str) -> str:
    """``<title>.<part>.<part>`` (for a track: locale, extension) as a name safe on every OS:
    reserved and control characters become spaces, runs of spaces one space, leading and
    trailing dots and spaces go, the title is cut to ``MAX_TITLE_BYTES`` of UTF-8, and a name
    Windows reserves gets a leading "_". An empty title becomes "captions"."""
    stem = _truncate(_clean(title), MAX_TITLE_BYTES) or FALLBACK_STEM
    pieces = [stem, *(_truncate(_clean(part), 40) for part in parts)]
    name = ".".join(piece for piece in pieces if piece)
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        name = "_" + name
    return name


def download_disposition(title: str, *parts: str) -> str:
    """``Content-Disposition: attachment`` for ``download_filename(title, *parts)``: an ASCII
    ``filename=`` (accents stripped, other characters dropped) for old clients and, when the
    name is not ASCII, ``filename*=UTF-8''...`` with the exact name, which browsers prefer."""
    name = download_filename(title, *parts)
    fallback = download_filename(_ascii(_clean(title)), *(_ascii(_clean(p)) for p in parts))
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def _clean(text: str) -> str:
    kept = "".join(
        " "
        if ch in _RESERVED_CHARACTERS or unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS
        else ch
        for ch in text
    )
    return _SPACES.sub(" ", kept).strip(" .")


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    cut = encoded[:max_bytes].decode("utf-8", "ignore")
    # Never between a character and what belongs to it: an accent, a variation selector, a skin
    # tone, or the parts of an emoji joined by U+200D.
    while cut and _continues(text, len(cut)):
        cut = cut[:-1]
    return cut.rstrip(" .")


def _continues(text: str, index: int) -> bool:
    """Whether ``text[index]`` belongs to the character before it."""
    char = text[index]
    return (
        unicodedata.combining(char) != 0
        or char in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or text[index - 1] == "\u200d"
    )


def _ascii(text: str) -> str:
    # "%" because some browsers percent-decode filename=.
    decomposed = unicodedata.normalize("NFKD", text).replace("%", "_")
    return "".join(ch for ch in decomposed if 0x20 <= ord(ch) < 0x7F)
