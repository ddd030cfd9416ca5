"""Benchmark (issue 10): parse a 10,000-cue SRT file and write it as WebVTT.

Four implementations do the same work on the same text, from a ``str`` of SRT to a ``str`` of
WebVTT: ours (``srt_to_webvtt``, the strict parser and the writer that the track routes use),
pycaption (``SRTReader`` then ``WebVTTWriter``), webvtt-py (``from_buffer(format="srt")`` then
``.content``) and srt (``srt.parse``, then the few lines of formatting WebVTT needs, as srt has
no WebVTT writer). Prints each one's time and our speed-up over pycaption (target >= 5) and
over the fastest of the others (target >= 1.5).

The file is generated (seeded): numbered cues of one or two lines, some in italics, some with
"&", as subtitle tools write them. Runs are interleaved round by round so that load from other
processes on this shared machine hits every implementation alike; each figure is the median of
``--rounds`` rounds (default 7).

Usage: python bench/captions.py [--cues N] [--rounds R]"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import statistics
import sys
import time
from collections.abc import Callable

import srt
import webvtt
from pycaption import SRTReader, WebVTTWriter

from mediaobjects.captions import parse_webvtt, srt_to_webvtt

_WORDS = [
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "we",
    "is",
    "that",
    "this",
    "cell",
    "energy",
    "light",
    "photosynthesis",
    "today",
    "lecture",
    "question",
    "answer",
    "chlorophyll",
    "plant",
    "water",
    "carbon",
    "dioxide",
    "sugar",
    "oxygen",
    "leaf",
]


def make_srt(cues: int, seed: int = 10) -> str:
    rng = random.Random(seed)
    blocks = []
    time_ms = 0
    for number in range(1, cues + 1):
        start = time_ms + rng.randint(0, 400)
        end = start + rng.randint(800, 4500)
        time_ms = end
        lines = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8)))
            for _ in range(rng.randint(1, 2))
        ]
        if number % 7 == 0:
            lines[0] = f"<i>{lines[0]}</i>"
        if number % 11 == 0:
            lines[-1] += " & more"
        blocks.append(f"{number}\n{_srt_time(start)} --> {_srt_time(end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _srt_time(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _vtt_time(delta: datetime.timedelta) -> str:
    ms = delta // datetime.timedelta(milliseconds=1)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def ours(content: str) -> str:
    return srt_to_webvtt(content)


def with_pycaption(content: str) -> str:
    return str(WebVTTWriter().write(SRTReader().read(content)))


def with_webvtt_py(content: str) -> str:
    return str(webvtt.from_buffer(io.StringIO(content), format="srt").content)


def with_srt(content: str) -> str:
    cues = (f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}\n{c.content}" for c in srt.parse(content))
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


IMPLEMENTATIONS: dict[str, Callable[[str], str]] = {
    "mediaobjects": ours,
    "pycaption": with_pycaption,
    "webvtt-py": with_webvtt_py,
    "srt": with_srt,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cues", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    content = make_srt(args.cues)
    # Every implementation must really have done the work: all cues, as WebVTT we can read.
    for name, convert in IMPLEMENTATIONS.items():
        cues = parse_webvtt(convert(content)).cues
        if len(cues) != args.cues:
            print(f"{name} wrote {len(cues)} cues, not {args.cues}")
            return 1
    times: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    for _ in range(args.rounds):
        for name, convert in IMPLEMENTATIONS.items():
            start = time.perf_counter()
            convert(content)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(runs) for name, runs in times.items()}
    size_kib = len(content.encode()) / 1024
    print(f"SRT ({args.cues} cues, {size_kib:.0f} KiB) -> WebVTT, median of {args.rounds}:")
    for name, seconds in median.items():
        runs = ", ".join(f"{s * 1000:.0f}" for s in times[name])
        print(f"  {name:12s} {seconds * 1000:8.1f} ms (runs: {runs} ms)")
    others = {name: s for name, s in median.items() if name != "mediaobjects"}
    fastest = min(others, key=others.__getitem__)
    print(
        f"speed-up over pycaption: {median['pycaption'] / median['mediaobjects']:5.2f}x "
        "(target >= 5); "
        f"over the fastest other ({fastest}): {others[fastest] / median['mediaobjects']:5.2f}x "
        "(target >= 1.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
