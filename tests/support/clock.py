"""A clock that tests move by hand, for code that takes a ``clock`` callable (rate limits):
time passes only when the test says so, so nothing depends on how fast the machine is."""

from __future__ import annotations


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
