"""A short lecture spoken by espeak-ng, made once per session: its script and each sentence's
span are known exactly; the engines read the speech audio the transcoder extracts from it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediaobjects.transcoding import FFmpegTranscoder
from tests.support.speech import Lecture, speak_lecture

SENTENCES = (
    "Good morning, and welcome to the second lecture on the history of science.",
    "Today we will talk about how people measured the size of the earth.",
    "A Greek scholar compared the shadows cast by the sun in two cities.",
    "From the difference in angles, he estimated the distance around the whole planet.",
    "Please read the next chapter of the book before our meeting on Thursday.",
)


@dataclass(frozen=True)
class Spoken:
    lecture: Lecture
    wav: Path  # 16 kHz mono PCM, as the transcription job gives it to an engine


@pytest.fixture(scope="session")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Spoken:
    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing: {', '.join(missing)}: apt-get install -y espeak-ng ffmpeg")
    directory = tmp_path_factory.mktemp("lecture")
    # Two seconds between sentences: a word timed a second off still lies nearer its own
    # sentence than the next.
    lecture = speak_lecture(SENTENCES, directory / "lecture.mp4", gap_seconds=2.0)
    wav = FFmpegTranscoder().extract_speech_audio(lecture.path, directory / "speech.wav")
    assert wav is not None
    return Spoken(lecture, wav)
