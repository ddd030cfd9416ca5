"""The growing stream of one rendition while the ladder runs: the single pass hands the lowest
video rung's encoded packets to two muxers through ffmpeg's ``tee`` (one encoder, so no extra
CPU): the fragmented MP4 that becomes the rendition, and an HLS fMP4 stream of
``LIVE_SEGMENT_SECONDS`` segments written to a directory as they finish. ffmpeg reports its
progress on stdout twice a second; each report, read on the caller's thread, looks for segments
its playlist newly lists and hands each to the caller's ``LiveSink`` (which stores it), so the
caller needs no thread of its own. A sink that fails is not called again: the ladder goes on,
only the early stream stops growing."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Three of the ladder's 2 s keyframe intervals: the HLS authoring rules' 6 s, and the segment
# length of the finished renditions' playlists (media_objects.streaming), so that a player on
# the early stream finds the same segments at the same instants in the finished one.
LIVE_SEGMENT_SECONDS = 6
PLAYLIST = "index.m3u8"
INIT = "init.mp4"
# ffmpeg's progress report every half second: when the playlist is looked at.
PROGRESS_OPTIONS = ["-progress", "pipe:1", "-stats_period", "0.5"]
# Paths go into the tee muxer's option syntax, where ':', '|', '[', ']', '\' and quotes are
# special at two levels of escaping; scratch paths are made of these characters, and a path
# with anything else (an administrator's unusual MEDIAOBJECTS_WORK_DIR) simply gets no early
# stream.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._+-]+")
_SEGMENT_NAME = re.compile(r"([0-9]{1,9})\.m4s")


@dataclass(frozen=True)
class LiveSegment:
    """A finished segment of the early stream: ``sequence`` counts from 0 in playing order."""

    sequence: int
    path: Path
    duration: float  # seconds
    init: Path  # the initialisation section (ftyp + moov) every segment is played with


LiveSink = Callable[[LiveSegment], None]


def can_stream_into(*paths: Path) -> bool:
    """Whether the tee muxer can be given these paths as they are."""
    return all(_PLAIN_PATH.fullmatch(str(path)) for path in paths)


def tee_output(mp4_path: Path, mp4_movflags: str, live_dir: Path) -> list[str]:
    """The output options that write ``mp4_path`` (a fragmented MP4 with ``mp4_movflags``)
    and, from the same packets, the HLS fMP4 stream into ``live_dir``. Both muxers need the
    codecs' headers out of band (the MP4 sample description), hence ``global_header``."""
    if not can_stream_into(mp4_path, live_dir):
        raise ValueError("The tee muxer cannot be given these paths.")
    hls = ":".join(
        [
            "f=hls",
            f"hls_time={LIVE_SEGMENT_SECONDS}",
            "hls_segment_type=fmp4",
            "hls_playlist_type=event",
            # A segment appears under its name only when whole.
            "hls_flags=independent_segments+temp_file",
            f"hls_segment_filename={live_dir}/%d.m4s",
            f"hls_fmp4_init_filename={INIT}",
        ]
    )
    slaves = f"[f=mp4:movflags={mp4_movflags}]{mp4_path}|[{hls}]{live_dir / PLAYLIST}"
    return ["-flags", "+global_header", "-f", "tee", slaves]


class LiveWatcher:
    """Reads ffmpeg's playlist of the early stream each time ffmpeg reports progress and hands
    every segment it newly lists to ``sink``, in order."""

    def __init__(self, live_dir: Path, sink: LiveSink) -> None:
        self.live_dir = live_dir
        self.sink: LiveSink | None = sink
        self.handed = 0

    def on_line(self, line: bytes) -> None:
        """``run_tool``'s stdout callback: ``progress=`` closes each report."""
        if line.startswith(b"progress="):
            self.poll()

    def poll(self) -> None:
        if self.sink is None:
            return
        for segment in self._listed()[self.handed :]:
            try:
                self.sink(segment)
            except Exception:
                log.exception("the early stream stopped growing at segment %d", segment.sequence)
                self.sink = None
                return
            self.handed += 1

    def _listed(self) -> list[LiveSegment]:
        try:
            text = (self.live_dir / PLAYLIST).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []  # not written yet (or being replaced: the next report reads it)
        segments: list[LiveSegment] = []
        duration: float | None = None
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("#EXTINF:"):
                try:
                    duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
                except ValueError:
                    duration = None
            elif line and not line.startswith("#"):
                name = _SEGMENT_NAME.fullmatch(line)
                if name is None or duration is None or duration <= 0:
                    break  # not what this module asked ffmpeg for: stop at what is known
                segments.append(
                    LiveSegment(len(segments), self.live_dir / line, duration, self.live_dir / INIT)
                )
                duration = None
        return segments
