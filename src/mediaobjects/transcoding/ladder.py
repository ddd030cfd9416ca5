"""The rendition ladder: which files a source becomes. Holds the rendition type, the default
ladder, the parser for the settings string and the planner that never upscales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mediaobjects.transcoding.probe import ProbeResult


@dataclass(frozen=True)
class Rendition:
    """One output of a transcode. Bitrates are in kbit/s; ``height`` is the short side of the
    picture (a portrait "720p" is 720 wide)."""

    name: str
    kind: Literal["video", "audio"]
    container: Literal["mp4", "m4a", "mp3"]
    height: int | None
    video_bitrate: int | None
    audio_bitrate: int
    content_type: str
    file_ext: str

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.file_ext}"


# Video bitrate (kbit/s) for H.264 at common heights; heights in between are interpolated.
_VIDEO_KBPS = ((144, 200), (240, 400), (360, 800), (480, 1200), (720, 2500), (1080, 5000))
_VIDEO_KBPS_ABOVE = (1440, 9000), (2160, 16000)
MIN_HEIGHT, MAX_HEIGHT = 100, 2160


def video_bitrate_for(height: int) -> int:
    """kbit/s for an H.264 rendition ``height`` pixels high (linear between table points)."""
    points = (*_VIDEO_KBPS, *_VIDEO_KBPS_ABOVE)
    if height <= points[0][0]:
        return points[0][1]
    for (h0, k0), (h1, k1) in zip(points, points[1:], strict=False):
        if height <= h1:
            return round(k0 + (k1 - k0) * (height - h0) / (h1 - h0))
    return points[-1][1]


def video_rendition(height: int) -> Rendition:
    """An H.264/AAC MP4 rendition of the given (even) height."""
    return Rendition(
        name=f"{height}p",
        kind="video",
        container="mp4",
        height=height,
        video_bitrate=video_bitrate_for(height),
        audio_bitrate=96 if height <= 360 else 128,
        content_type="video/mp4",
        file_ext="mp4",
    )


ORIGINAL = "original"
# The upload itself, rewritten with its index first (``ffmpeg.remux``), by what it holds.
ORIGINALS: dict[str, Rendition] = {
    "mp4": Rendition(ORIGINAL, "video", "mp4", None, None, 0, "video/mp4", "mp4"),
    "m4a": Rendition(ORIGINAL, "audio", "m4a", None, None, 0, "audio/mp4", "m4a"),
    "mp3": Rendition(ORIGINAL, "audio", "mp3", None, None, 0, "audio/mpeg", "mp3"),
}

AAC = Rendition("aac", "audio", "m4a", None, None, 128, "audio/mp4", "m4a")
MP3 = Rendition("mp3", "audio", "mp3", None, None, 128, "audio/mpeg", "mp3")
_AUDIO = {"m4a": AAC, "aac": AAC, "mp3": MP3}

DEFAULT_LADDER_SPEC = "video:360,720;audio:m4a,mp3"


def parse_ladder(spec: str) -> tuple[Rendition, ...]:
    """Parse a settings string such as ``"video:360,720;audio:m4a,mp3"``.

    Both kinds must be present so every upload gets at least one rendition."""
    video: list[Rendition] = []
    audio: list[Rendition] = []
    seen_kinds: set[str] = set()
    for section in (part.strip() for part in spec.split(";")):
        if not section:
            continue
        kind, sep, items = (x.strip() for x in section.partition(":"))
        if not sep or kind not in ("video", "audio"):
            raise ValueError(
                f"Bad ladder section {section!r}: expected 'video:<heights>' or 'audio:<formats>',"
                f" as in {DEFAULT_LADDER_SPEC!r}."
            )
        if kind in seen_kinds:
            raise ValueError(f"The ladder lists {kind!r} twice in {spec!r}.")
        seen_kinds.add(kind)
        names = [x.strip() for x in items.split(",")]
        if not all(names):
            raise ValueError(f"The {kind} list {items!r} has an empty entry.")
        for name in names:
            rendition = _video_rung(name) if kind == "video" else _audio_rung(name)
            target = video if kind == "video" else audio
            if rendition in target:
                raise ValueError(f"The ladder lists {kind} {name!r} twice.")
            target.append(rendition)
    if not video or not audio:
        missing = "video" if not video else "audio"
        raise ValueError(
            f"The ladder {spec!r} has no {missing} renditions; list both kinds, as in "
            f"{DEFAULT_LADDER_SPEC!r}."
        )
    video.sort(key=lambda r: r.height or 0)
    return (*video, *audio)


def _video_rung(text: str) -> Rendition:
    digits = text.removesuffix("p")
    if not digits.isdigit():
        raise ValueError(f"Video rung {text!r} is not a height in pixels such as '720'.")
    height = int(digits)
    if not MIN_HEIGHT <= height <= MAX_HEIGHT or height % 2:
        raise ValueError(
            f"Video rung {height} must be an even height between {MIN_HEIGHT} and {MAX_HEIGHT}."
        )
    return video_rendition(height)


def _audio_rung(text: str) -> Rendition:
    try:
        return _AUDIO[text.lower()]
    except KeyError:
        raise ValueError(f"Audio format {text!r} is not one of m4a, aac, mp3.") from None


DEFAULT_LADDER: tuple[Rendition, ...] = parse_ladder(DEFAULT_LADDER_SPEC)


def plan(result: ProbeResult, ladder: tuple[Rendition, ...] = DEFAULT_LADDER) -> list[Rendition]:
    """The renditions to make from ``result``: for video, every video rung no taller than the
    source (or, when the source is smaller than every rung, one at its own size); for audio-only
    sources, the audio rungs. A video without sound gets video renditions without an audio
    track (``build_command`` maps no audio)."""
    if result.media_type == "audio":
        return [r for r in ladder if r.kind == "audio"]
    width, height = result.width, result.height
    if width is None or height is None or width <= 0 or height <= 0:
        raise ValueError("The video stream has no size; probe the file again.")
    short_side = min(width, height)
    rungs = [r for r in ladder if r.kind == "video" and (r.height or 0) <= short_side]
    if not rungs:
        rungs = [video_rendition(max(2, short_side - short_side % 2))]
    return rungs
