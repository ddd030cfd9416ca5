"""Benchmark (automatic captions): a five-minute lecture spoken by espeak-ng, transcribed by
faster-whisper (Whisper base, int8, CPU) and by pocketsphinx, side by side.

Prints for each engine: the model load time, the real-time factor (transcription seconds per
second of audio; target <= 0.2 for Whisper base on 2 threads, so that an hour of lecture holds
a worker for at most 12 minutes) and the word error rate against the script (captions.wer).
The lecture is generated once and kept in the system's temporary directory, keyed by its
script; the extraction of its speech audio is timed too, as the job does it.

Usage: python bench/asr.py [--threads N] [--minutes M] [--engines faster-whisper,pocketsphinx]"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
import tempfile
import time
from pathlib import Path

# The lecture is made by the test suite's espeak-ng helper (tests/support/speech.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.speech import speak_lecture  # noqa: E402

from mediaobjects.asr import SpeechEngine  # noqa: E402
from mediaobjects.asr.engines import build_engine  # noqa: E402
from mediaobjects.captions.wer import word_error_rate  # noqa: E402
from mediaobjects.transcoding import FFmpegTranscoder  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "mediaobjects-bench-asr"
RTF_TARGET = 0.2

# An introductory lecture on the water cycle, written for this benchmark. Read in order, then
# from the start again until the lecture is long enough.
SCRIPT = """\
Good afternoon everyone, and welcome back to our course on the science of the earth.
Today we are going to study the water cycle, which moves water between the sea, the air and the land.
Almost all of the water on our planet is salt water, held in the oceans.
Only a small part of it is fresh, and most of that is frozen in ice sheets and glaciers.
The cycle has no beginning and no end, but it is easiest to start with the sun.
Sunlight warms the surface of the ocean and turns some of the water into vapor.
This process is called evaporation, and it leaves the salt behind in the sea.
Plants also release water vapor through small openings in their leaves.
Together these two sources put an enormous amount of water into the air every day.
Warm air rises, and as it rises it becomes cooler.
Cool air cannot hold as much vapor as warm air can.
So the vapor condenses into tiny droplets around particles of dust and salt.
Billions of these droplets together form the clouds that we see in the sky.
When the droplets grow large enough, they fall to the ground as rain.
In colder weather they fall as snow, sleet or hail instead.
We call all of these forms of falling water precipitation.
Some of the rain soaks into the soil and becomes ground water.
Ground water can stay underground for days, for years, or even for thousands of years.
The rest runs over the surface into streams, rivers and lakes.
Eventually most of it flows back into the ocean, and the cycle begins again.
Now let us look at how scientists measure each part of this cycle.
Rain gauges are simple containers that collect the rain falling on a known area.
Weather satellites measure the temperature of clouds and estimate how much rain they carry.
River flow is measured at gauging stations, where the depth and speed of the water are recorded.
By combining these measurements, we can build a budget of water for a whole region.
A water budget compares what comes in as rain with what leaves as evaporation and river flow.
If more water leaves than arrives, the region slowly dries out.
This is one reason why some lakes have become much smaller during the last century.
Farmers and cities both draw water from rivers and from wells.
When they take more than the cycle returns, the level of the ground water falls.
Climate change is also changing the water cycle in important ways.
A warmer atmosphere can hold more vapor, so heavy storms can bring more rain than before.
At the same time, some dry regions are becoming even drier.
Mountain glaciers are shrinking, and the rivers they feed may carry less water in summer.
Understanding these changes helps communities plan for floods and for droughts.
Let me give you a simple example from everyday life.
Think of a puddle on the street after a summer storm.
By the next afternoon the puddle is gone, because the water has evaporated into the air.
That same water may fall again as rain in another country a few days later.
In this way, the water you drink today has traveled around the world many times.
For next week, please read the chapter on rivers and their valleys.
There will be a short quiz at the start of the class, so come prepared.
If you have questions about the reading, you can find me in my office on Wednesday morning.
The laboratory session this week will measure evaporation from small trays of water.
Please bring a notebook and a pencil, because the room can get quite wet.
Thank you for your attention, and I will see you all next week.
"""


def lecture_sentences(minutes: float) -> list[str]:
    """Enough sentences of SCRIPT, repeated, for ``minutes`` of speech with pauses (a
    sentence of espeak-ng at 150 words a minute plus its pause: about 6 s, so 5.5 s each makes
    sure of the length)."""
    lines = [line for line in SCRIPT.splitlines() if line.strip()]
    wanted = max(1, math.ceil(minutes * 60 / 5.5))
    return [lines[i % len(lines)] for i in range(wanted)]


def make_lecture(minutes: float) -> tuple[Path, str, float]:
    """The lecture's speech WAV (cached), its script and its duration in seconds."""
    sentences = lecture_sentences(minutes)
    script = " ".join(sentences)
    key = hashlib.sha256(script.encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    video = CACHE / f"lecture-{key}.mp4"
    wav = CACHE / f"lecture-{key}.wav"
    if not wav.exists():
        t0 = time.perf_counter()
        lecture = speak_lecture(sentences, CACHE / f".lecture-{key}.mp4")
        os.replace(lecture.path, video)
        print(
            f"generated the lecture ({len(sentences)} sentences) in {time.perf_counter() - t0:.1f} s"
        )
    t0 = time.perf_counter()
    out = FFmpegTranscoder().extract_speech_audio(video, CACHE / f".lecture-{key}.wav")
    assert out is not None
    os.replace(out, wav)
    extract = time.perf_counter() - t0
    with open(wav, "rb") as handle:
        handle.seek(0, 2)
        seconds = (handle.tell() - 44) / 32000  # 16 kHz, 16-bit mono after a 44-byte header
    print(f"extract_speech_audio: {extract:.2f} s for {seconds:.0f} s of audio")
    return wav, script, seconds


def run(engine: SpeechEngine, wav: Path, script: str, seconds: float) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    # Both engines load their model on first use; load() does it ahead, to time it apart.
    load = getattr(engine, "load", None)
    if load is not None:
        load()
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    heard = engine.transcribe(wav, "en")
    took = time.perf_counter() - t0
    hypothesis = " ".join(w.text for s in heard.segments for w in s.words)
    return loaded, took / seconds, word_error_rate(script, hypothesis)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--engines", default="faster-whisper,pocketsphinx")
    args = parser.parse_args()

    wav, script, seconds = make_lecture(args.minutes)
    print(
        f"lecture: {seconds:.0f} s, {len(script.split())} words; {args.threads} threads; "
        f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'engine':32s} {'load s':>7s} {'RTF':>6s} {'WER':>6s}")
    for name in args.engines.split(","):
        engine = build_engine(name, data_dir=CACHE / "data", model_dir=None, threads=args.threads)
        if engine is None:
            continue
        engine.check()
        loaded, rtf, wer = run(engine, wav, script, seconds)
        label = f"{engine.name} ({engine.model})"
        print(f"{label:32s} {loaded:7.2f} {rtf:6.3f} {wer:6.3f}")
        if engine.name == "faster-whisper":
            verdict = "meets" if rtf <= RTF_TARGET else "MISSES"
            print(
                f"  {verdict} the target RTF <= {RTF_TARGET:g} (1 h of lecture in {rtf * 60:.0f} min)"
            )
    print(f"load now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
