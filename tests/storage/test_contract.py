"""The behavioural contract of ``mediaobjects.storage.Storage``, run unchanged over every
backend: what callers (uploads, downloads with Range, transcoding) rely on."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import Message

import pytest

from mediaobjects.errors import NotFound, StorageFailure
from mediaobjects.storage.interfaces import Storage, StoredObject
from tests.storage.conftest import PART_SIZE, Probe

KEY = "attachments/ab/cd/0123456789abcdef"
DATA = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes, every byte value, distinct ends
MiB = 1024 * 1024


def pattern(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that differ at every offset modulo a large prime period."""
    block = hashlib.sha256(seed.to_bytes(4, "big")).digest() * (65521 // 32 + 1)
    block = block[:65521]
    return (block * (size // len(block) + 1))[:size]


def read_all(storage: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(storage.read_range(key, start, end))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_bytes_then_stat_and_read_back(storage: Storage) -> None:
    stored = storage.put_bytes(KEY, DATA)

    assert stored == StoredObject(KEY, len(DATA), sha256(DATA))
    assert storage.stat(KEY) == stored
    assert storage.exists(KEY)
    assert read_all(storage, KEY) == DATA


def test_empty_object(storage: Storage) -> None:
    stored = storage.put_bytes(KEY, b"")

    assert stored == StoredObject(KEY, 0, sha256(b""))
    assert storage.stat(KEY).size == 0
    assert read_all(storage, KEY) == b""
    assert read_all(storage, KEY, 0, 10) == b""


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),  # first byte
        (len(DATA) - 1, len(DATA) - 1),  # last byte
        (1000, 5000),  # middle
        (4096, None),  # open-ended
        (0, None),  # whole
        (len(DATA) - 4, len(DATA) + 100),  # end past the last byte is clamped
    ],
)
def test_read_range_is_inclusive_like_http(storage: Storage, start: int, end: int | None) -> None:
    storage.put_bytes(KEY, DATA)

    expected = DATA[start:] if end is None else DATA[start : end + 1]
    assert read_all(storage, KEY, start, end) == expected


def test_read_range_starting_past_the_end_yields_nothing(storage: Storage) -> None:
    storage.put_bytes(KEY, DATA)

    assert read_all(storage, KEY, len(DATA)) == b""
    assert read_all(storage, KEY, len(DATA) + 10, len(DATA) + 20) == b""


def test_read_range_streams_in_chunks_of_at_most_chunk_size(storage: Storage) -> None:
    storage.put_bytes(KEY, DATA)

    chunks = list(storage.read_range(KEY, 10, 9009, chunk_size=1000))

    assert b"".join(chunks) == DATA[10:9010]
    assert len(chunks) >= 9
    assert all(0 < len(chunk) <= 1000 for chunk in chunks)


def test_abandoning_a_read_part_way_releases_it(storage: Storage) -> None:
    storage.put_bytes(KEY, DATA)
    untouched = storage.read_range(KEY)
    del untouched  # never iterated: must not leak a file or connection (warnings are errors)

    reader = storage.read_range(KEY, chunk_size=100)
    assert next(reader) == DATA[:100]
    reader.close()  # type: ignore[attr-defined]
    storage.delete(KEY)
    assert not storage.exists(KEY)


@pytest.mark.parametrize(("start", "end", "chunk_size"), [(-1, None, 10), (5, 4, 10), (0, None, 0)])
def test_read_range_rejects_impossible_arguments(
    storage: Storage, start: int, end: int | None, chunk_size: int
) -> None:
    storage.put_bytes(KEY, DATA)

    with pytest.raises(ValueError):
        storage.read_range(KEY, start, end, chunk_size)


def test_streaming_write_larger_than_one_part(storage: Storage, probe: Probe) -> None:
    data = pattern(2 * PART_SIZE + MiB + 12345, seed=1)  # three S3 parts, the last one short
    pending = storage.begin_write(KEY)
    assert pending.key == KEY
    for offset in range(0, len(data), 700_001):  # chunks that straddle part boundaries
        pending.write(data[offset : offset + 700_001])
        assert pending.bytes_written == min(offset + 700_001, len(data))

    # Not visible until commit.
    assert not storage.exists(KEY)
    with pytest.raises(NotFound):
        storage.stat(KEY)

    stored = pending.commit()

    assert stored == StoredObject(KEY, len(data), sha256(data))
    assert storage.stat(KEY) == stored
    assert read_all(storage, KEY) == data
    assert (
        read_all(storage, KEY, PART_SIZE - 2, PART_SIZE + 1) == data[PART_SIZE - 2 : PART_SIZE + 2]
    )
    assert probe.leftovers() == []

    copied = storage.copy(KEY, "copies/big")
    assert copied == StoredObject("copies/big", len(data), stored.etag)
    assert read_all(storage, "copies/big", len(data) - 5) == data[-5:]


def test_commit_replaces_an_existing_object_only_when_it_commits(storage: Storage) -> None:
    storage.put_bytes(KEY, b"old contents")
    pending = storage.begin_write(KEY)
    pending.write(b"new contents, longer than the old")

    assert read_all(storage, KEY) == b"old contents"
    assert storage.stat(KEY).etag == sha256(b"old contents")

    pending.commit()

    assert read_all(storage, KEY) == b"new contents, longer than the old"
    assert storage.stat(KEY).etag == sha256(b"new contents, longer than the old")


def test_a_read_in_progress_keeps_seeing_one_version(storage: Storage) -> None:
    old = pattern(300_000, seed=2)
    storage.put_bytes(KEY, old)
    reader = storage.read_range(KEY, chunk_size=1000)
    first = next(reader)

    storage.put_bytes(KEY, pattern(300_000, seed=3))

    assert first + b"".join(reader) == old


def test_abort_leaves_nothing_behind(storage: Storage, probe: Probe) -> None:
    pending = storage.begin_write(KEY)
    pending.write(pattern(PART_SIZE + MiB, seed=4))  # at least one part already uploaded

    pending.abort()
    pending.abort()  # idempotent

    assert not storage.exists(KEY)
    assert probe.leftovers() == []
    with pytest.raises(RuntimeError):
        pending.write(b"more")
    with pytest.raises(RuntimeError):
        pending.commit()


def test_abort_of_a_small_write_leaves_nothing_behind(storage: Storage, probe: Probe) -> None:
    pending = storage.begin_write(KEY)
    pending.write(b"a few bytes")

    pending.abort()

    assert not storage.exists(KEY)
    assert probe.leftovers() == []


def test_abort_after_commit_keeps_the_object(storage: Storage) -> None:
    pending = storage.begin_write(KEY)
    pending.write(DATA)
    stored = pending.commit()

    pending.abort()

    assert storage.stat(KEY) == stored
    with pytest.raises(RuntimeError):
        pending.commit()


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.put_bytes(KEY, DATA)

    storage.delete(KEY)
    storage.delete(KEY)

    assert not storage.exists(KEY)
    with pytest.raises(NotFound):
        storage.stat(KEY)
    storage.delete("never/written")


def test_copy_is_independent_of_its_source(storage: Storage) -> None:
    original = storage.put_bytes(KEY, DATA)

    copied = storage.copy(KEY, "copies/one")

    assert copied == StoredObject("copies/one", len(DATA), original.etag)
    assert storage.stat("copies/one") == copied
    storage.put_bytes(KEY, b"changed")
    storage.delete(KEY)
    assert read_all(storage, "copies/one") == DATA


def test_copy_over_an_existing_object_and_onto_itself(storage: Storage) -> None:
    storage.put_bytes(KEY, DATA)
    storage.put_bytes("copies/one", b"to be replaced")

    assert storage.copy(KEY, "copies/one").etag == sha256(DATA)
    assert read_all(storage, "copies/one") == DATA
    assert storage.copy(KEY, KEY) == storage.stat(KEY)


def test_missing_objects_raise_not_found(storage: Storage) -> None:
    missing = "attachments/00/00/missing"

    assert not storage.exists(missing)
    with pytest.raises(NotFound):
        storage.stat(missing)
    with pytest.raises(NotFound):
        storage.read_range(missing)  # raised by the call, before any iteration
    with pytest.raises(NotFound):
        storage.copy(missing, "copies/missing")
    assert not storage.exists("copies/missing")


def test_etag_is_the_content_hash(storage: Storage) -> None:
    first = storage.put_bytes("a/one", DATA)
    same = storage.put_bytes("b/two", DATA)
    other = storage.put_bytes("c/three", DATA[:-1] + b"X")
    pending = storage.begin_write("d/four")
    for offset in range(0, len(DATA), 1000):
        pending.write(DATA[offset : offset + 1000])
    streamed = pending.commit()

    assert first.etag == same.etag == streamed.etag == sha256(DATA)
    assert other.etag != first.etag
    assert all(ch in "0123456789abcdef" for ch in first.etag)
    assert storage.stat("b/two").etag == first.etag


def test_presigned_url(storage: Storage, probe: Probe) -> None:
    storage.put_bytes(KEY, DATA)

    url = storage.presigned_url(
        KEY, expires_in=300, content_type="text/vtt", filename="Lecture 1 – captions.vtt"
    )

    if probe.kind == "local":
        assert url is None
        return
    assert url is not None and url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as response:
        headers: Message = response.headers
        body = response.read()
    assert body == DATA
    assert headers["Content-Type"] == "text/vtt"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Lecture%201%20%E2%80%93%20captions.vtt" in disposition

    plain = storage.presigned_url(KEY, expires_in=60)
    assert plain is not None
    with urllib.request.urlopen(plain, timeout=10) as response:
        assert response.read() == DATA
        assert response.headers["Content-Disposition"] is None

    # A URL signed for one key grants nothing else.
    other = storage.presigned_url("other/key", expires_in=60)
    assert other is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(other.replace("other/key", KEY), timeout=10)
    refused.value.close()
    assert refused.value.code == 403


def test_local_path(storage: Storage, probe: Probe) -> None:
    storage.put_bytes(KEY, DATA)

    path = storage.local_path(KEY)

    if probe.kind == "s3":
        assert path is None
        return
    assert path is not None and path.is_absolute()
    assert path.read_bytes() == DATA
    with pytest.raises(NotFound):
        storage.local_path("attachments/00/00/missing")


BAD_KEYS = [
    "",
    "/attachments/ab",
    "attachments/../secret",
    "..",
    "attachments/./x",
    "attachments//x",
    "attachments/x/",
    "attachments\\x",
    "attachments/x\x00y",
    "attachments/x\ny",
    ".tmp/x",
    "x" * 513,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected(storage: Storage, key: str) -> None:
    storage.put_bytes(KEY, DATA)
    calls: list[Callable[[], object]] = [
        lambda: storage.put_bytes(key, b"x"),
        lambda: storage.begin_write(key),
        lambda: storage.stat(key),
        lambda: storage.exists(key),
        lambda: storage.read_range(key),
        lambda: storage.delete(key),
        lambda: storage.copy(KEY, key),
        lambda: storage.copy(key, "copies/x"),
        lambda: storage.presigned_url(key, expires_in=60),
        lambda: storage.local_path(key),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()


def test_a_key_of_512_characters_is_fine(storage: Storage) -> None:
    key = "/".join(["k" * 127] * 4)  # 511 characters
    key += "x"
    assert len(key) == 512

    storage.put_bytes(key, DATA)

    assert read_all(storage, key) == DATA


def test_backend_failures_become_storage_failure(probe: Probe) -> None:
    broken = probe.broken()
    try:
        with pytest.raises(StorageFailure) as failure:
            broken.put_bytes(KEY, DATA)
        assert failure.value.__cause__ is not None
        assert failure.value.status_code == 503

        pending = None
        with pytest.raises(StorageFailure):
            pending = broken.begin_write(KEY)
            pending.write(pattern(PART_SIZE + 1, seed=5))
            pending.commit()
        if pending is not None:
            pending.abort()  # safe after a failed write
            pending.abort()
    finally:
        broken.close()
    assert probe.leftovers() == []
