"""Benchmark (transcoding issue): a 60 s 1080p lavfi clip through the default ladder.

Times (a) ``FFmpegTranscoder.transcode`` (one ffmpeg writing every rendition, then probing the
outputs and renaming them into place), (b) one ffmpeg process per rendition, run one after the
other, each decoding the source (the usual naive job), and (c) the very command
``build_command`` returns, run directly with subprocess. Prints wall and CPU seconds (ffmpeg's
user+sys) for each and the ratios a/b (target <= 0.75) and a/c (target <= 1.1).

The three variants are interleaved round by round so load from other processes on the machine
hits all of them alike; the figure is the median of ``--repeat`` rounds (default 3; 1 when one
round of (a) alone takes more than ``--slow`` seconds).

The generated source is camera-like (see ``make_source``); the figures depend on how costly the
source is to decode, which is what a single pass saves.

Usage: python bench/transcode.py [--duration S] [--repeat R] [--source FILE] [--keep DIR]
                                 [--source-preset PRESET]"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mediaobjects.transcoding import FFmpegTranscoder, build_command, run
from mediaobjects.transcoding.ffmpeg import X264_PRESET

Timing = tuple[float, float]  # wall seconds, child CPU seconds


def make_source(path: Path, duration: int, preset: str) -> None:
    """A camera-like source: 1080p30 H.264 High profile (CABAC, B-frames, 2 s GOPs, as phones
    and screen recorders write it) at about 15 Mbit/s, with stereo AAC. ``--source-preset
    ultrafast`` makes the cheapest file there is to decode (CAVLC, no B-frames, no deblocking),
    which no camera writes; decoding is what a single pass saves, so the a/b ratio is worse
    on it (measured 0.79 here) than on camera files (0.73)."""
    video = ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-g", "60"]
    if preset != "ultrafast":  # ultrafast turns off what High adds
        video += ["-profile:v", "high"]
    video += ["-b:v", "15M", "-maxrate", "20M", "-bufsize", "30M"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=duration={duration}:size=1920x1080:rate=30",
         "-f", "lavfi", "-i", f"sine=duration={duration}:frequency=440",
         *video, "-c:a", "aac", "-ac", "2", "-shortest", str(path)],
        check=True,
    )  # fmt: skip


def timed(fn: Callable[[], object]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def clean(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slow", type=float, default=120.0)
    parser.add_argument("--source", type=Path, help="reuse this clip instead of generating one")
    parser.add_argument(
        "--source-preset",
        default="veryfast",
        help="x264 preset of the generated clip (default veryfast: a camera-like file)",
    )
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()

    backend = FFmpegTranscoder()
    backend.check_tools()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-transcode-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        source = args.source or work / "source-1080p.mp4"
        if not source.exists():
            t0 = time.perf_counter()
            make_source(source, args.duration, args.source_preset)
            print(
                f"generated {args.duration} s 1080p source (x264 {args.source_preset}) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        probe_wall, _ = timed(lambda: backend.probe(source))
        result = backend.probe(source)
        renditions = backend.plan(result)
        print(
            f"source: {result.width}x{result.height}, {result.duration:.1f} s, "
            f"{(result.bit_rate or 0) / 1e6:.1f} Mbit/s; ladder: {[r.name for r in renditions]}; "
            f"x264 preset {X264_PRESET}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
        )
        print(f"probe + verify_decodable: {probe_wall:.2f} s")

        out_a, out_b, out_c = work / "a", work / "b", work / "c"

        def ours() -> None:
            backend.transcode(source, result, out_a, renditions, timeout=3600)

        def per_rendition() -> None:
            for r in renditions:
                cmd = build_command(source, [(r, out_b / r.filename)], result)
                run(cmd, timeout=3600)

        direct_cmd = build_command(source, [(r, out_c / r.filename) for r in renditions], result)

        def direct() -> None:
            subprocess.run(direct_cmd, check=True, timeout=3600)

        variants = {"a": ours, "b": per_rendition, "c": direct}
        rounds: dict[str, list[Timing]] = {k: [] for k in variants}
        repeat = args.repeat
        done = 0
        while done < repeat:
            for key, fn in variants.items():
                clean(work / key)
                rounds[key].append(timed(fn))
                if done == 0 and key == "a" and rounds["a"][0][0] > args.slow:
                    repeat = 1
            done += 1
        how = f"median of {repeat}" if repeat > 1 else "1 run"
        if repeat < args.repeat:
            how += f" (round one of (a) took over {args.slow:g} s)"
        wall = {k: statistics.median(t[0] for t in v) for k, v in rounds.items()}
        cpu = {k: statistics.median(t[1] for t in v) for k, v in rounds.items()}
        labels = {
            "a": "(a) FFmpegTranscoder.transcode, one pass",
            "b": "(b) one ffmpeg per rendition",
            "c": "(c) build_command run directly",
        }
        print(f"wall and ffmpeg CPU seconds, {how}; load now {os.getloadavg()[0]:.2f}")
        for k, label in labels.items():
            runs = ", ".join(f"{w:.1f}" for w, _ in rounds[k])
            print(f"  {label:42s} {wall[k]:7.2f} s wall  {cpu[k]:7.2f} s CPU   (runs: {runs})")
        for pair, target in (("b", 0.75), ("c", 1.1)):
            print(
                f"a/{pair} = {wall['a'] / wall[pair]:.2f} wall, {cpu['a'] / cpu[pair]:.2f} CPU "
                f"(target <= {target:g})"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
