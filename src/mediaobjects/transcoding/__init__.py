"""Transcoding: probe uploads with ffprobe, reject unusable ones with a readable reason, and
turn the rest into a ladder of web renditions, a poster and thumbnails with one ffmpeg pass."""

from mediaobjects.transcoding.errors import (
    MediaRejected,
    ToolMissing,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
)
from mediaobjects.transcoding.ffmpeg import Output, build_command, poster, resize, run, transcode
from mediaobjects.transcoding.interfaces import Transcoder
from mediaobjects.transcoding.ladder import DEFAULT_LADDER, Rendition, parse_ladder, plan
from mediaobjects.transcoding.live import LiveSegment, LiveSink
from mediaobjects.transcoding.local import FFmpegTranscoder
from mediaobjects.transcoding.playable import BrowserSafety, browser_safety
from mediaobjects.transcoding.probe import (
    ProbeResult,
    StreamInfo,
    check_limits,
    probe,
    verify_decodable,
)
from mediaobjects.transcoding.speech import SpeechAnalysis, analyse_speech

__all__ = [
    "BrowserSafety",
    "DEFAULT_LADDER",
    "FFmpegTranscoder",
    "LiveSegment",
    "LiveSink",
    "MediaRejected",
    "Output",
    "ProbeResult",
    "Rendition",
    "SpeechAnalysis",
    "StreamInfo",
    "ToolMissing",
    "ToolOutOfMemory",
    "ToolTimedOut",
    "TranscodeFailed",
    "Transcoder",
    "analyse_speech",
    "browser_safety",
    "build_command",
    "check_limits",
    "parse_ladder",
    "plan",
    "poster",
    "probe",
    "resize",
    "run",
    "transcode",
    "verify_decodable",
]
