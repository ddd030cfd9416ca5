"""Reading HLS playlists in tests, as a player does: tags and their attributes, the URI each
one names, byte ranges; and fetching a byte range of a signed URL (following the 302 to the
bucket on S3)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx2

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(text)}


@dataclass
class Entry:
    """A URI line with the tags before it."""

    uri: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Playlist:
    tags: list[tuple[str, str]]  # (name, value) of every tag, in order
    entries: list[Entry]

    def tag(self, name: str) -> list[str]:
        return [value for tag, value in self.tags if tag == name]


def parse(text: str) -> Playlist:
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U", text[:200]
    tags: list[tuple[str, str]] = []
    entries: list[Entry] = []
    pending: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        if line.startswith("#EXT"):
            name, _, value = line[1:].partition(":")
            tags.append((name, value))
            pending[name] = value
        else:
            assert not line.startswith("#"), line
            entries.append(Entry(line, pending))
            pending = {}
    return Playlist(tags, entries)


def byte_range(value: str) -> tuple[int, int]:
    """(offset, length) of ``length@offset``."""
    length, _, offset = value.partition("@")
    return int(offset), int(length)


def fetch_range(client: Any, url: str, offset: int, length: int) -> httpx2.Response:
    """The bytes a player gets for this range: from the service, or from the bucket it
    redirects to (the Range header goes along, as browsers send it again)."""
    headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
    response = client.get(url, headers=headers, follow_redirects=False)
    if response.status_code == 302:
        response = httpx2.get(response.headers["location"], headers=headers, timeout=30)
    return response  # type: ignore[no-any-return]


def top_box(data: bytes, at: int = 0) -> tuple[str, int]:
    """(type, size) of the MP4 box at ``at``."""
    return data[at + 4 : at + 8].decode("latin-1"), int.from_bytes(data[at : at + 4], "big")
