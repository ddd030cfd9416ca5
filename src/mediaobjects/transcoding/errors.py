"""The transcoding exception tree. Every failure of ffprobe or ffmpeg is translated into one of
these where the subprocess is run, so callers never see ``subprocess`` or ``OSError``.

    Exception
    ├── MediaRejected    the upload itself is unusable (not media, truncated, over a limit);
    │   │                ``reason`` is a sentence a teacher understands; retrying cannot help
    │   └── ToolOutOfMemory  ffmpeg/ffprobe needed more memory than it is allowed
    ├── TranscodeFailed  ffmpeg/ffprobe failed on a file that looked usable;
    │   │                ``reason`` ends with a short tail of the tool's stderr
    │   └── ToolTimedOut ffmpeg/ffprobe ran out of the time it was given and was killed
    └── ToolMissing      the ffmpeg or ffprobe executable (or an encoder) is not installed
"""

from __future__ import annotations


class MediaRejected(Exception):
    """The uploaded file cannot become a media object; ``reason`` is shown to the uploader."""

    def __init__(self, reason: str, *, detail: str = "") -> None:
        self.reason = reason
        # Technical text for logs (ffprobe's own message); never shown to the uploader.
        self.detail = detail
        super().__init__(reason)


class ToolOutOfMemory(MediaRejected):
    """ffmpeg or ffprobe ran out of the memory it is allowed. The file is what asks for that
    much, so trying again with the same limit cannot help."""


class TranscodeFailed(Exception):
    """ffmpeg or ffprobe exited with an error (or, as ToolTimedOut, ran past its timeout).
    ``reason`` may be shown to the uploader; ``detail`` (the tool's own output, which names
    paths of the server's scratch space) is for the server's log only, and is part of the
    exception's text."""

    def __init__(self, reason: str, *, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason} ({detail})" if detail else reason)


# What an uploader is told when ffmpeg fails without a reason of the file's own.
TOOL_FAILED = (
    "The media could not be converted: {tool} stopped with an error. The details are in the "
    "server's log."
)


class ToolTimedOut(TranscodeFailed):
    """ffmpeg or ffprobe was still running when its time was up; it has been killed. Not the
    file's fault as such: the job that ran it decides whether to try again."""


class ToolMissing(Exception):
    """An executable (or an encoder inside it) that transcoding needs is not installed."""

    def __init__(self, executable: str, what: str = "") -> None:
        self.executable = executable
        lacking = what or f"The executable {executable!r} was not found"
        self.reason = f"{lacking}; install it with `apt-get install ffmpeg`."
        super().__init__(self.reason)
