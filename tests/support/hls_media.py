"""HLS media for player tests, made with ffmpeg the way the ladder writes it: a two-rendition
set (360p and 720p, one fragmented MP4 per rendition with EXT-X-BYTERANGE, a keyframe every
2 s), a WebVTT file with a cue every 2 s, and a growing EVENT playlist written in real time.
The master playlists the service writes per request (absolute, signed URIs, a SUBTITLES
rendition) are rendered from ffmpeg's by ``master_playlist``."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.clips import ffmpeg

SEGMENT_SECONDS = 2
KEYFRAMES = f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"


@dataclass(frozen=True)
class HlsSet:
    root: Path  # master.m3u8, 360p/ and 720p/ (index.m3u8, media.mp4), captions.vtt
    seconds: int
    renditions: tuple[str, ...] = ("360p", "720p")

    def cue_text(self, index: int) -> str:
        return f"Caption number {index}"


def make_hls_set(root: Path, *, seconds: int) -> HlsSet:
    """The ladder's single pass writing HLS (streaming notes §1 D), shortened."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-filter_complex",
            "[0:v]format=yuv420p,split=2[s0][s1];[s1]scale=-2:360[v1]",
            "-map",
            "[v1]",
            "-map",
            "1:a",
            "-map",
            "[s0]",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-force_key_frames",
            KEYFRAMES,
            "-b:v:0",
            "800k",
            "-maxrate:v:0",
            "1200k",
            "-bufsize:v:0",
            "1600k",
            "-b:v:1",
            "2500k",
            "-maxrate:v:1",
            "3750k",
            "-bufsize:v:1",
            "5000k",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-map_metadata",
            "-1",
            "-f",
            "hls",
            "-hls_time",
            str(SEGMENT_SECONDS),
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "fmp4",
            "-hls_flags",
            "single_file",
            "-master_pl_name",
            "master.m3u8",
            "-var_stream_map",
            "v:0,a:0,name:360p v:1,a:1,name:720p",
            "-hls_segment_filename",
            str(root / "%v" / "media.mp4"),
            str(root / "%v" / "index.m3u8"),
        ],  # fmt: skip
        check=True,
        timeout=300,
    )
    hls = HlsSet(root, seconds)
    cues = ["WEBVTT", ""]
    for index in range(seconds // SEGMENT_SECONDS):
        start, end = index * SEGMENT_SECONDS, (index + 1) * SEGMENT_SECONDS
        cues += [f"00:00:{start:02d}.000 --> 00:00:{end:02d}.000", hls.cue_text(index), ""]
    (root / "captions.vtt").write_text("\n".join(cues))
    return hls


def start_event_stream(root: Path, *, seconds: int) -> subprocess.Popen[bytes]:
    """ffmpeg reading a source at its own pace (``-re``) and writing one 360p rendition as a
    growing EVENT playlist of fMP4 segments (init.mp4, seg_NNN.m4s), as while the ladder runs
    on an upload that is not browser-safe. ``#EXT-X-ENDLIST`` comes when it ends."""
    root.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            ffmpeg(),
            "-v",
            "error",
            "-y",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=640x360:rate=30:duration={seconds}",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-force_key_frames",
            KEYFRAMES,
            "-b:v",
            "800k",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-f",
            "hls",
            "-hls_time",
            str(SEGMENT_SECONDS),
            "-hls_playlist_type",
            "event",
            "-hls_segment_type",
            "fmp4",
            "-hls_fmp4_init_filename",
            "init.mp4",
            "-hls_segment_filename",
            str(root / "seg_%03d.m4s"),
            str(root / "index.m3u8"),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def master_playlist(ffmpeg_master: str, variant_url: dict[str, str], subtitles_url: str) -> str:
    """ffmpeg's master with what the service adds: absolute URIs (``variant_url`` maps each
    of ffmpeg's relative variant URIs to one) and a SUBTITLES rendition for an English
    track."""
    lines = ["#EXTM3U"]
    lines.append(
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",'
        f'DEFAULT=YES,AUTOSELECT=YES,URI="{subtitles_url}"'
    )
    for line in ffmpeg_master.splitlines():
        if not line or line == "#EXTM3U":
            continue
        if line.startswith("#EXT-X-STREAM-INF:"):
            lines.append(line + ',SUBTITLES="subs"')
        elif line.startswith("#"):
            lines.append(line)
        else:
            lines.append(variant_url[line])
    return "\n".join(lines) + "\n"


def absolute_media(variant: str, media_url: str) -> str:
    """A variant playlist with its media file (in EXT-X-MAP and every segment) at
    ``media_url``, as the service writes them (signed, absolute)."""
    variant = re.sub(r'URI="media\.mp4"', f'URI="{media_url}"', variant)
    return re.sub(r"^media\.mp4$", media_url, variant, flags=re.MULTILINE)


def subtitles_playlist(vtt_url: str, seconds: int) -> str:
    """The one-segment playlist the service points a SUBTITLES rendition at."""
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{seconds}\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{seconds}.0,\n{vtt_url}\n#EXT-X-ENDLIST\n"
    )
