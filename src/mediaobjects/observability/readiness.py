"""``/ready``: is the database, the object store and the job queue reachable? Each check runs
in a thread of its own and gets a short time (MEDIAOBJECTS_READY_TIMEOUT_SECONDS); one that
takes longer counts as failed and is left to finish on its own. The answer names only what
failed, never why (an error may hold an address or a password): why goes to the log, once when
a check starts failing and once when it recovers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

logger = logging.getLogger("mediaobjects.ready")

Status = Literal["ok", "unreachable", "timeout"]
Check = Callable[[], object]
T = TypeVar("T")

# A check still running (hung on a dead server's TCP timeout) keeps its thread; past this many
# for one check no new thread starts and the check answers "timeout" straight away.
_MAX_HUNG = 4


class Readiness:
    def __init__(self, checks: Mapping[str, Check], timeout: float) -> None:
        self._checks = dict(checks)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._running: dict[str, int] = dict.fromkeys(self._checks, 0)
        self._last: dict[str, Status] = dict.fromkeys(self._checks, "ok")

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    @property
    def timeout(self) -> float:
        return self._timeout

    def check(self) -> dict[str, Status]:
        """Every check's status, after at most about the timeout."""
        results: dict[str, Status] = {}
        errors: dict[str, BaseException] = {}
        done: dict[str, threading.Event] = {}
        for name, fn in self._checks.items():
            with self._lock:
                if self._running[name] >= _MAX_HUNG:
                    results[name] = "timeout"
                    continue
                self._running[name] += 1
            event = threading.Event()
            done[name] = event
            thread = threading.Thread(
                target=self._run,
                args=(name, fn, event, results, errors),
                name=f"mediaobjects-ready-{name}",
                daemon=True,
            )
            thread.start()
        for name, event in done.items():
            # One deadline for all checks: they run at the same time.
            if not event.wait(self._timeout):
                results.setdefault(name, "timeout")
        final = {name: results.get(name, "timeout") for name in self._checks}
        self._note_changes(final, errors)
        return final

    def _run(
        self,
        name: str,
        fn: Check,
        event: threading.Event,
        results: dict[str, Status],
        errors: dict[str, BaseException],
    ) -> None:
        try:
            fn()
        except Exception as exc:
            errors[name] = exc
            results.setdefault(name, "unreachable")
        else:
            results.setdefault(name, "ok")
        finally:
            with self._lock:
                self._running[name] -= 1
            event.set()

    def _note_changes(self, final: dict[str, Status], errors: dict[str, BaseException]) -> None:
        with self._lock:
            changed = {n: s for n, s in final.items() if (s == "ok") != (self._last[n] == "ok")}
            self._last.update(final)
        for name, status in changed.items():
            if status == "ok":
                logger.warning("readiness: the %s is reachable again", name)
            elif name in errors:
                error = errors[name]
                logger.warning(
                    "readiness: the %s is unreachable: %s: %s", name, type(error).__name__, error
                )
            else:
                logger.warning(
                    "readiness: the %s did not answer within %.1f s", name, self._timeout
                )


def run_with_timeout(fn: Callable[[], T], timeout: float) -> T | None:
    """``fn()``'s result, or None when it raised or took longer than ``timeout`` seconds (it
    is then left to finish in its thread). For reading the queue's depth at a scrape."""
    result: list[T] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(fn())
        except Exception:
            logger.debug("reading for a scrape failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name="mediaobjects-scrape", daemon=True).start()
    done.wait(timeout)
    return result[0] if result else None
