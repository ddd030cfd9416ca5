"""Whether an upload plays in web browsers as it is, so that it can be offered at once (after a
quick rewrite with its index first) while the ladder still runs; and if not, why, in words a
teacher understands. A pure function of the probe result.

The rule was measured in Chromium 156 (shared/notes/streaming.md §3) and is kept to what every
browser and phone plays: HEVC and ProRes play there as sound over a black picture, AC-3 as a
picture without sound, with no error either way, so such a file must never be offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mediaobjects.transcoding.probe import ProbeResult, StreamInfo

# ffprobe's format_name for the ISO family: .mp4, .mov, .m4a, .3gp all read as this.
ISO_CONTAINER = "mov,mp4,m4a,3gp,3g2,mj2"
_H264_PROFILES = ("Constrained Baseline", "Main", "High")
_PIXEL_FORMATS = ("yuv420p", "yuvj420p")
_FIELD_ORDERS = ("progressive",)  # or unknown (None)
_HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}
_AUDIO_CODECS = ("aac", "mp3")

_CONTAINER_NAMES = {
    "avi": "AVI",
    "mpegts": "MPEG transport stream (.ts, .mts)",
    "mpeg": "MPEG program stream (.mpg, .vob)",
    "flv": "Flash video (.flv)",
    "asf": "Windows Media (.wmv, .asf)",
    "ogg": "Ogg",
    "mxf": "MXF",
}
_VIDEO_CODEC_NAMES = {
    "hevc": "HEVC (H.265)",
    "prores": "ProRes",
    "mpeg2video": "MPEG-2",
    "mpeg4": "MPEG-4 Part 2 (DivX, Xvid)",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "mjpeg": "Motion JPEG",
    "dnxhd": "DNxHD",
    "wmv3": "Windows Media",
}
_AUDIO_CODEC_NAMES = {
    "ac3": "Dolby Digital (AC-3)",
    "eac3": "Dolby Digital Plus (E-AC-3)",
    "dts": "DTS",
    "truehd": "Dolby TrueHD",
    "opus": "Opus",
    "vorbis": "Vorbis",
    "flac": "FLAC",
    "alac": "Apple Lossless",
    "mp2": "MPEG Layer II",
    "wmav2": "Windows Media Audio",
}

# Measured: the picture plays, with no sound and no error.
_SILENT = ("ac3", "eac3", "dts", "truehd")
WONT_PLAY = "plays as sound with a black picture in most browsers"


@dataclass(frozen=True)
class BrowserSafety:
    """The verdict on an upload: ``reasons`` is empty when it plays in browsers as it is. A
    safe upload is rewritten as ``container`` ("mp4" for video, "m4a" for AAC sound, "mp3")."""

    reasons: tuple[str, ...]
    container: Literal["mp4", "m4a", "mp3"] | None = None

    @property
    def safe(self) -> bool:
        return not self.reasons


def browser_safety(result: ProbeResult) -> BrowserSafety:
    """Whether ``result`` plays in every current browser as uploaded: an MP4 or MOV file with
    H.264 video (Constrained Baseline, Main or High: 8-bit, 4:2:0), progressive, not HDR, and
    AAC or MP3 sound or none; or sound alone, AAC in MP4/M4A or an MP3 file. Only the first
    video and the first audio stream count (the others are left out when it is rewritten)."""
    video, audio = result.video, result.audio
    if video is None:
        return _sound_only(result)
    reasons: list[str] = []
    if result.container != ISO_CONTAINER:
        reasons.append(_container_reason(result.container))
    reasons += _video_reasons(video)
    if audio is not None and audio.codec_name not in _AUDIO_CODECS:
        reasons.append(_audio_reason(audio, with_picture=True))
    return BrowserSafety(tuple(reasons), None if reasons else "mp4")


def _sound_only(result: ProbeResult) -> BrowserSafety:
    audio = result.audio
    if audio is None:  # a probe result always has one or the other
        return BrowserSafety(("The file has no audio or video stream.",))
    if result.container == "mp3" and audio.codec_name == "mp3":
        return BrowserSafety((), "mp3")
    # One reason: the container, or else the sound in it.
    if result.container != ISO_CONTAINER:
        return BrowserSafety((_container_reason(result.container, sound=True),))
    if audio.codec_name not in _AUDIO_CODECS:
        return BrowserSafety((_audio_reason(audio, with_picture=False),))
    return BrowserSafety((), "m4a")


def _container_reason(container: str, *, sound: bool = False) -> str:
    wanted = "MP3, M4A and MP4" if sound else "MP4 and MOV"
    if container == "matroska,webm":
        return (
            "Matroska (.mkv, .webm) files do not play in Safari, on iPhones or iPads; "
            f"only {wanted} files play everywhere."
        )
    name = _CONTAINER_NAMES.get(container, container.split(",")[0].upper() or "Such")
    return f"{name} files do not play in every browser; only {wanted} files do."


def _video_reasons(video: StreamInfo) -> list[str]:
    if video.codec_name != "h264":
        name = _VIDEO_CODEC_NAMES.get(video.codec_name, video.codec_name.upper())
        return [f"{name} video {WONT_PLAY}; only H.264 video plays everywhere."]
    reasons = []
    depth = _h264_depth_and_colour(video)
    if depth:
        reasons.append(depth)
    if video.field_order is not None and video.field_order not in _FIELD_ORDERS:
        reasons.append(
            "The video is interlaced (as television cameras record): browsers show it with "
            "combed stripes on movement, and many phones do not play it."
        )
    hdr = _HDR_TRANSFERS.get(video.color_transfer or "")
    if hdr is not None:
        reasons.append(f"The video is HDR ({hdr}): most browsers show it washed out or not at all.")
    return reasons


def _h264_depth_and_colour(video: StreamInfo) -> str | None:
    profile = video.profile or ""
    pix_fmt = video.pix_fmt or ""
    if "4:4:4" in profile or pix_fmt.startswith(("yuv444", "yuvj444", "gbr")):
        colour = "4:4:4 colour (full colour resolution, from screen recorders and editors)"
    elif "4:2:2" in profile or pix_fmt.startswith(("yuv422", "yuvj422")):
        colour = "4:2:2 colour (from professional cameras)"
    elif "10" in profile or pix_fmt.endswith(("10le", "10be", "12le", "12be")):
        colour = "10-bit colour"
    elif profile not in _H264_PROFILES and profile:
        return (
            f"H.264 video of the {profile} profile does not play in every browser; "
            "only the Constrained Baseline, Main and High profiles do."
        )
    elif pix_fmt and pix_fmt not in _PIXEL_FORMATS:
        colour = f"the {pix_fmt} picture format"
    else:
        return None
    return (
        f"H.264 video with {colour} does not play in Safari or on most phones and tablets; "
        "only 8-bit 4:2:0 H.264 plays everywhere."
    )


def _audio_reason(audio: StreamInfo, *, with_picture: bool) -> str:
    codec = audio.codec_name
    if codec.startswith("pcm_"):
        name = "Uncompressed (PCM)"
    else:
        name = _AUDIO_CODEC_NAMES.get(codec, codec.upper())
    if codec in _SILENT and with_picture:
        effect = "is silent in most browsers: the picture plays without sound"
    else:
        effect = "does not play in every browser"
    return f"{name} sound {effect}; only AAC and MP3 sound play everywhere."
