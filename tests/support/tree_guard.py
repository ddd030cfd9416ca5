"""Catches tests that write outside their temporary directories. The checkout, and the empty
working directory the suite runs in (see tests/conftest.py), are listed when the session starts
and again after collection, after every test and at the end: a new or removed path, or an
untracked file whose size or modification time changed, fails whoever made it. Files git tracks
may change (someone editing while the suite runs); caches that tools write next to the code by
design are not looked at. A file created and removed again within one test goes unseen. A
listing of the checkout takes about a millisecond."""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# Written next to the code by design: bytecode, the virtualenv, tool caches, git itself; and
# the files editors keep beside the file being edited (vim's swap files and its "4913" probe,
# Emacs's lock and backup files), so that editing while the suite runs is no failure.
IGNORED_NAMES = frozenset(
    {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "4913"}
)
IGNORED_PREFIXES = (".#",)
IGNORED_SUFFIXES = (".egg-info", ".swp", ".swo", ".swx", "~")

Listing = dict[str, tuple[bool, int, int]]  # path -> (is a directory, size, mtime in ns)


def _ignored(name: str) -> bool:
    return (
        name in IGNORED_NAMES
        or name.startswith(IGNORED_PREFIXES)
        or name.endswith(IGNORED_SUFFIXES)
    )


def list_tree(root: Path) -> Listing:
    listing: Listing = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not _ignored(d)]
        for name in (*files, *subdirs):
            if _ignored(name):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:  # removed while we looked
                continue
            listing[os.path.relpath(path, root)] = (
                stat.S_ISDIR(st.st_mode),
                st.st_size,
                st.st_mtime_ns,
            )
    return listing


def tracked_files(root: Path) -> frozenset[str] | None:
    """Paths git tracks, relative to ``root``; None without git (then changes to existing
    files are not looked at, only new and removed paths)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"],
            capture_output=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(os.path.normpath(p) for p in done.stdout.decode().split("\0") if p)


@dataclass
class Watched:
    root: Path
    tracked: frozenset[str] | None
    relative: bool = False  # name paths as ./path: the root is the working directory
    listing: Listing = field(default_factory=dict)

    def name(self, path: str) -> str:
        if self.relative:
            return f"./{path} (a relative path; the working directory is {self.root})"
        return str(self.root / path)


class TreeGuard:
    """Watches ``checkout`` (with git's list of tracked files) and the working directory."""

    def __init__(self, checkout: Path, cwd: Path) -> None:
        self._watched = [
            Watched(checkout, tracked_files(checkout)),
            Watched(cwd, frozenset(), relative=True),
        ]
        for watched in self._watched:
            watched.listing = list_tree(watched.root)

    def changes(self) -> list[str]:
        """What changed since the last call (or the start), as readable lines; the new state
        becomes the reference, so each change is reported once."""
        found: list[str] = []
        for watched in self._watched:
            now = list_tree(watched.root)
            before = watched.listing
            for path in sorted(now.keys() - before.keys()):
                found.append(f"new {watched.name(path)}")
            for path in sorted(before.keys() - now.keys()):
                found.append(f"removed {watched.name(path)}")
            if watched.tracked is not None:
                for path in sorted(now.keys() & before.keys()):
                    is_dir = now[path][0]
                    if not is_dir and path not in watched.tracked and now[path] != before[path]:
                        found.append(f"changed {watched.name(path)}")
            watched.listing = now
        return found


def describe(changes: list[str], limit: int = 20) -> str:
    shown = changes[:limit]
    more = f"\n  ... and {len(changes) - limit} more" if len(changes) > limit else ""
    return "\n  " + "\n  ".join(shown) + more
