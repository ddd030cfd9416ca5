"""Recognises audio and video from a file's first bytes, declared content type or name.
Pure functions: the upload flow decides what to do with the answer."""

from __future__ import annotations

import mimetypes
from typing import Literal

MediaKind = Literal["audio", "video"]

# Extensions the mimetypes table may miss or map differently across systems.
_EXTRA_TYPES = {
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".flac": "audio/flac",
    ".opus": "audio/ogg",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".wav": "audio/wav",
    ".aac": "audio/aac",
    ".3gp": "video/3gpp",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
}

_AUDIO_FTYP_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")


def content_type_from_name(name: str) -> str | None:
    lower = name.lower()
    dot = lower.rfind(".")
    if dot != -1 and lower[dot:] in _EXTRA_TYPES:
        return _EXTRA_TYPES[lower[dot:]]
    guessed, _ = mimetypes.guess_type(lower, strict=False)
    return guessed


def kind_from_content_type(content_type: str | None) -> MediaKind | None:
    if not content_type:
        return None
    major = content_type.split("/", 1)[0].strip().lower()
    if major == "audio":
        return "audio"
    if major == "video":
        return "video"
    return None


def sniff(head: bytes) -> tuple[MediaKind, str] | None:
    """(kind, content type) recognised from the first bytes of a file, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_FTYP_BRANDS:
            return "audio", "audio/mp4"
        if brand == b"qt  ":
            return "video", "video/quicktime"
        if brand.startswith(b"3g"):
            return "video", "video/3gpp"
        return "video", "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", ("video/webm" if b"webm" in head[:64] else "video/x-matroska")
    if head.startswith(b"RIFF") and len(head) >= 12:
        if head[8:12] == b"WAVE":
            return "audio", "audio/wav"
        if head[8:12] == b"AVI ":
            return "video", "video/x-msvideo"
    if head.startswith(b"OggS"):
        return ("video", "video/ogg") if b"theora" in head[:256] else ("audio", "audio/ogg")
    if head.startswith(b"fLaC"):
        return "audio", "audio/flac"
    if head.startswith(b"ID3"):
        return "audio", "audio/mpeg"
    if head.startswith(b"FLV\x01"):
        return "video", "video/x-flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video", "video/x-ms-asf"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "audio", "audio/aac"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "audio", "audio/mpeg"
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:
        return "video", "video/mp2t"
    return None


def classify(
    head: bytes, declared_content_type: str | None, name: str
) -> tuple[MediaKind | None, str]:
    """The media kind (None for non-media) and the content type to store.

    The content decides when it is recognised; otherwise a declared audio/video type or a
    media file name is enough to register the file as media, so that the media pipeline can
    tell the user why it failed instead of ignoring it silently."""
    declared = (declared_content_type or "").split(";")[0].strip().lower() or None
    by_name = content_type_from_name(name)
    sniffed = sniff(head)
    content_type = declared or by_name or (sniffed[1] if sniffed else None)
    content_type = content_type or "application/octet-stream"
    if sniffed is not None:
        kind: MediaKind | None = sniffed[0]
        if (
            kind_from_content_type(declared) == "audio"
            or kind_from_content_type(by_name) == "audio"
        ):
            # An MP4 container holding only sound is announced as audio by its uploader.
            kind = "audio" if sniffed[1] in ("video/mp4", "video/webm", "video/ogg") else kind
        if kind_from_content_type(content_type) is None:
            content_type = sniffed[1]
        return kind, content_type
    return kind_from_content_type(declared) or kind_from_content_type(by_name), content_type
