"""Reading and writing the ZIPs of bulk caption export and import. An uploaded ZIP is hostile
until shown otherwise: its entry count is read from the end record before Python parses the
central directory, every name is checked (no ``..``, absolute paths, drive letters,
backslashes, control characters, non-UTF-8 names, duplicates), symlinks and encrypted entries
are refused, and sizes are counted while decompressing, never taken from the headers."""

from __future__ import annotations

import io
import lzma
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from mediaobjects.errors import FieldError, PayloadTooLarge, UnprocessableEntity

CHUNK = 64 * 1024
# Ratios are only judged past this many bytes: a tiny entry can compress oddly and harm none.
RATIO_GRACE = 64 * 1024
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_DIRECTORY_RECORD = b"PK\x01\x02"
_DIRECTORY_RECORD_SIZE = 46
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_MAX_COMMENT = 0xFFFF
_DRIVE = re.compile(r"^[A-Za-z]:")
# Entries zip tools add beside the files (macOS resource forks, Finder and Explorer files).
_IGNORED_FOLDERS = ("__MACOSX/",)
_NOT_EXPANDED = "is a ZIP inside the ZIP: nested archives are not expanded"


@dataclass(frozen=True)
class ZipLimits:
    """``max_entry_bytes`` is per file (a larger file is refused alone); the others refuse
    the whole archive."""

    max_entries: int
    max_total_bytes: int
    max_entry_bytes: int
    max_ratio: int


@dataclass(frozen=True)
class ArchiveFile:
    """One file of an archive: ``name`` is its file name (folders dropped); ``data`` None when
    it is refused on its own, ``problem`` then says why."""

    name: str
    data: bytes | None
    problem: str | None = None


def write_zip(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP of ``files`` (name, bytes), names flagged UTF-8 as zipfile does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _refuse(message: str) -> UnprocessableEntity:
    return UnprocessableEntity(message, errors=[FieldError("file", message, "invalid")])


def _declared_entries(stream: BinaryIO, max_entries: int) -> int:
    """The entry count of the end record, checked before zipfile parses the central directory
    (which it would hold in memory whole, however many entries it holds). The end record's
    count may lie: the central directory's records are counted as zipfile will walk them
    (from the end record's size of it), stopping past ``max_entries``, so a 60 MB directory
    of a million entries claiming one is refused in milliseconds, not after 13 s and 600 MB."""
    size = stream.seek(0, io.SEEK_END)
    start = max(0, size - _END_RECORD_SIZE - _MAX_COMMENT)
    stream.seek(start)
    tail = stream.read()
    # Found as zipfile finds it: the last 22 bytes when they are an end record without a
    # comment (its own fields may hold the signature again), else the last signature.
    last = tail[-_END_RECORD_SIZE:]
    if last.startswith(_END_RECORD) and last.endswith(b"\0\0"):
        at = len(tail) - _END_RECORD_SIZE
    else:
        at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise _refuse("The file is not a ZIP archive (or it is damaged).")
    (total,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if total == 0xFFFF or _zip64_locator(stream, start + at):
        # ZIP64: only needed past 65,535 entries or 4 GiB, never for a course's captions.
        raise _refuse("ZIP64 archives are not accepted; a captions ZIP is far smaller.")
    if total > max_entries:
        raise _refuse(f"The ZIP holds {total} entries; at most {max_entries} are read.")
    (directory_size,) = struct.unpack("<L", tail[at + 12 : at + 16])
    directory = start + at - directory_size
    if _directory_entries(stream, directory, directory_size, max_entries) > max_entries:
        raise _refuse(f"The ZIP holds more than {max_entries} entries; at most that many are read.")
    stream.seek(0)
    return int(total)


def _zip64_locator(stream: BinaryIO, end_record: int) -> bool:
    # zipfile takes the ZIP64 end record's counts and sizes over the plain one's when its
    # locator sits just before the plain end record.
    if end_record < _ZIP64_LOCATOR_SIZE:
        return False
    stream.seek(end_record - _ZIP64_LOCATOR_SIZE)
    return stream.read(4) == _ZIP64_LOCATOR


def _directory_entries(stream: BinaryIO, start: int, size: int, max_entries: int) -> int:
    """How many central directory records zipfile would read from ``start`` (``size`` bytes),
    counted up to ``max_entries + 1``; a damaged directory is left for zipfile to refuse."""
    if start < 0:
        return 0
    count, offset = 0, 0
    while offset < size and count <= max_entries:
        stream.seek(start + offset)
        header = stream.read(_DIRECTORY_RECORD_SIZE)
        if len(header) < _DIRECTORY_RECORD_SIZE or not header.startswith(_DIRECTORY_RECORD):
            break
        name, extra, comment = struct.unpack("<3H", header[28:34])
        count += 1
        offset += _DIRECTORY_RECORD_SIZE + name + extra + comment
    return count


def _check_name(info: zipfile.ZipInfo) -> str | None:
    """Why the entry's name or type is refused, or None."""
    name = info.filename
    if info.flag_bits & 0x800 == 0 and not name.isascii():
        return "its name is not flagged as UTF-8 (re-create the ZIP with UTF-8 names)"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "its name contains control characters"
    if "\\" in name:
        return "its name contains a backslash"
    if name.startswith("/"):
        return "its path is absolute"
    if _DRIVE.match(name):
        return "its path starts with a drive letter"
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "its path contains '..', '.' or an empty folder name"
    if info.flag_bits & 0x1:
        return "it is encrypted"
    mode = info.external_attr >> 16
    if (
        info.create_system == 3
        and mode
        and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR)
    ):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        return f"it is {kind}"
    return None


def read_zip(stream: BinaryIO, limits: ZipLimits) -> list[ArchiveFile]:
    """The files of the ZIP in ``stream``, in archive order. Raises UnprocessableEntity (422)
    for an archive that is damaged or hostile (a bad name or entry type, duplicates, too many
    entries, a compression ratio past the limit) and PayloadTooLarge (413) when its entries
    decompress to more than ``limits.max_total_bytes``. A file larger than
    ``limits.max_entry_bytes`` or itself a ZIP is returned refused, without its bytes."""
    _declared_entries(stream, limits.max_entries)
    try:
        archive = zipfile.ZipFile(stream)
    except UnicodeDecodeError as exc:
        raise _refuse("An entry's name is flagged as UTF-8 but is not UTF-8.") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _refuse(f"The file is not a readable ZIP archive: {exc}") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise _refuse(
                f"The ZIP holds {len(infos)} entries; at most {limits.max_entries} are read."
            )
        seen: dict[str, str] = {}
        wanted: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            problem = _check_name(info)
            if problem is not None:
                raise _refuse(
                    f'The ZIP is refused: the entry "{_shown(info.filename)}": {problem}.'
                )
            if info.is_dir() or info.filename.startswith(_IGNORED_FOLDERS):
                continue
            name = unicodedata.normalize("NFC", info.filename.rsplit("/", 1)[-1])
            if name.startswith("."):
                continue
            # Case-insensitive, as the file systems of most teachers' computers are.
            key = name.casefold()
            if key in seen:
                raise _refuse(
                    f'The ZIP is refused: "{_shown(info.filename)}" and "{_shown(seen[key])}" '
                    "have the same file name."
                )
            seen[key] = info.filename
            wanted.append((info, name))
        budget = [limits.max_total_bytes]
        return [_read_entry(archive, info, name, limits, budget) for info, name in wanted]


def _read_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: ZipLimits,
    budget: list[int],
) -> ArchiveFile:
    out = bytearray()
    try:
        with archive.open(info) as entry:
            while True:
                chunk = entry.read(CHUNK)
                if not chunk:
                    break
                out += chunk
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise PayloadTooLarge(
                        "The ZIP's files decompress to more than "
                        f"{limits.max_total_bytes} bytes in all."
                    )
                if len(out) > RATIO_GRACE and len(out) > limits.max_ratio * max(
                    info.compress_size, 1
                ):
                    raise _refuse(
                        f'The ZIP is refused: "{_shown(info.filename)}" decompresses more than '
                        f"{limits.max_ratio} times its compressed size (a zip bomb?)."
                    )
                if len(out) > limits.max_entry_bytes:
                    return ArchiveFile(
                        name,
                        None,
                        f"is larger than the limit of {limits.max_entry_bytes} bytes per file",
                    )
                if len(out) >= 4 and out.startswith(b"PK\x03\x04"):
                    return ArchiveFile(name, None, _NOT_EXPANDED)
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise _refuse(
            f'The ZIP is damaged: "{_shown(info.filename)}" cannot be read ({exc}).'
        ) from exc
    if name.lower().endswith(".zip"):
        return ArchiveFile(name, None, _NOT_EXPANDED)
    return ArchiveFile(name, bytes(out))


def _shown(name: str) -> str:
    """A name fit for a message: control characters escaped, at most 120 characters."""
    shown = "".join(ascii(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch for ch in name)
    return shown if len(shown) <= 120 else shown[:119] + "…"
