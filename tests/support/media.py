"""Tiny media-looking byte strings for tests that only need a file's first bytes to be
recognised (real decodable media is generated with ffmpeg where decoding matters)."""

from __future__ import annotations

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
M4A_HEAD = b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00M4A mp42" + b"\x00" * 64
MP3_HEAD = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 32
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01webm" + b"\x00" * 64


def fake_mp4(size: int = 2048) -> bytes:
    return (MP4_HEAD + bytes(range(256)) * (size // 256 + 1))[:size]
