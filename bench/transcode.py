"""Benchmark (transcoding issue): a 60 s 1080p lavfi clip through the default ladder.

Times (a) ``FFmpegTranscoder.transcode`` (one ffmpeg writing every rendition, then probing the
outputs and renaming them into place), (b) one ffmpeg process per rendition, run one after the
other, each decoding the source (the usual naive job), (c) the very command
``build_command`` returns, run directly with subprocess, and (d) (a) with the early stream on
(issue 16: the lowest rung teed into 6 s HLS segments, ffmpeg reporting its progress twice a
second and each report reading its playlist; the sink here only counts the segments), as the
job runs it on an upload browsers cannot play. Prints wall and CPU seconds (ffmpeg's user+sys,
plus this process's own, which reads what ffmpeg prints) for each and the ratios a/b (target
<= 0.75), a/c (target <= 1.1), d/a (the early stream's cost: unchanged ladder ratios mean about
1) and d/b (target <= 0.75, as a/b).

The four variants are interleaved round by round so load from other processes on the machine
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

from mediaobjects.transcoding import FFmpegTranscoder, LiveSegment, build_command, run
from mediaobjects.transcoding.ffmpeg import X264_PRESET

RATIOS = (
    ("a/b", "target <= 0.75"),
    ("a/c", "target <= 1.1"),
    ("d/a", "early stream on / off: about 1"),
    ("d/b", "target <= 0.75"),
)
Timing = tuple[float, float]  # wall seconds, CPU seconds (children and this process)


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


def cpu_seconds() -> float:
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF))
    )


def timed(fn: Callable[[], object]) -> Timing:
    before = cpu_seconds()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    return wall, cpu_seconds() - before


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

        out_a, out_b, out_c, out_d = work / "a", work / "b", work / "c", work / "d"
        segments: list[LiveSegment] = []

        def ours() -> None:
            backend.transcode(source, result, out_a, renditions, timeout=3600)

        def per_rendition() -> None:
            for r in renditions:
                cmd = build_command(source, [(r, out_b / r.filename)], result)
                run(cmd, timeout=3600)

        direct_cmd = build_command(source, [(r, out_c / r.filename) for r in renditions], result)

        def direct() -> None:
            subprocess.run(direct_cmd, check=True, timeout=3600)

        def ours_streaming() -> None:
            segments.clear()
            backend.transcode(source, result, out_d, renditions, timeout=3600, live=segments.append)

        variants = {"a": ours, "b": per_rendition, "c": direct, "d": ours_streaming}
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
            "d": "(d) (a) with the early stream on",
        }
        print(f"wall and CPU seconds, {how}; load now {os.getloadavg()[0]:.2f}")
        for k, label in labels.items():
            runs = ", ".join(f"{w:.1f}" for w, _ in rounds[k])
            print(f"  {label:42s} {wall[k]:7.2f} s wall  {cpu[k]:7.2f} s CPU   (runs: {runs})")
        for pair, target in RATIOS:
            x, y = pair.split("/")
            print(f"{pair} = {wall[x] / wall[y]:.2f} wall, {cpu[x] / cpu[y]:.2f} CPU ({target})")
        streamed = sum(s.duration for s in segments)
        print(
            f"early stream of (d)'s last run: {len(segments)} segments, {streamed:.1f} s "
            f"of {result.duration:.1f} s"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
