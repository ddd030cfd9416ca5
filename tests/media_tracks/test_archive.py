"""Reading an uploaded captions ZIP costs little before it is refused: a central directory of
many entries whose end record claims few is refused without being parsed."""

from __future__ import annotations

import io
import struct
import tracemalloc

import pytest

from mediaobjects.errors import UnprocessableEntity
from mediaobjects.media_tracks import archive

LIMITS = archive.ZipLimits(
    max_entries=5000, max_total_bytes=1 << 20, max_entry_bytes=1 << 20, max_ratio=200
)


def _lying_directory(entries: int, disks: tuple[int, int] = (0, 0)) -> bytes:
    """A ZIP whose central directory holds ``entries`` records; its end record says 1 (and
    gives ``disks`` as its disk numbers, which zipfile does not read)."""
    records = bytearray()
    for n in range(entries):
        name = b"x%07d.en.vtt" % n
        records += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
        )
        records += name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", *disks, 1, 1, len(records), 0, 0)
    return bytes(records) + end


# The second: disk numbers that spell the end record's signature again, inside the record.
@pytest.mark.parametrize("disks", [(0, 0), (0x4B50, 0x0605)])
def test_a_directory_of_many_entries_claiming_one_is_refused_unparsed(
    disks: tuple[int, int],
) -> None:
    data = _lying_directory(100_000, disks)  # 5 MB
    tracemalloc.start()
    try:
        with pytest.raises(UnprocessableEntity, match="more than 5000 entries"):
            archive.read_zip(io.BytesIO(data), LIMITS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # zipfile would hold 100,000 ZipInfo objects (about 60 MB) before counting them.
    assert peak < 2_000_000
