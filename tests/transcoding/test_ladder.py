"""The rendition ladder: the settings string, the defaults and planning without upscaling."""

from __future__ import annotations

import pytest

from mediaobjects.transcoding import DEFAULT_LADDER, ProbeResult, StreamInfo, parse_ladder, plan
from mediaobjects.transcoding import probe as probe_file
from tests.transcoding.conftest import Clips


def source(width: int, height: int, *, sound: bool = True) -> ProbeResult:
    streams = [StreamInfo(0, "video", "h264", width=width, height=height)]
    if sound:
        streams.append(StreamInfo(1, "audio", "aac", channels=2))
    return ProbeResult(duration=5, container="mov,mp4", bit_rate=None, streams=tuple(streams))


def names(renditions: object) -> list[str]:
    assert isinstance(renditions, list | tuple)
    return [r.name for r in renditions]


def test_default_ladder() -> None:
    assert names(DEFAULT_LADDER) == ["360p", "720p", "aac", "mp3"]
    p360, p720, aac, mp3 = DEFAULT_LADDER
    assert (p360.container, p360.content_type, p360.file_ext, p360.height) == (
        "mp4",
        "video/mp4",
        "mp4",
        360,
    )
    assert p720.video_bitrate is not None and p360.video_bitrate is not None
    assert p720.video_bitrate > p360.video_bitrate
    assert (aac.container, aac.content_type, aac.file_ext) == ("m4a", "audio/mp4", "m4a")
    assert (mp3.container, mp3.content_type, mp3.file_ext) == ("mp3", "audio/mpeg", "mp3")


def test_parse_spec_with_spaces_and_order() -> None:
    ladder = parse_ladder(" audio: mp3 ; video: 1080p, 480 ")
    assert names(ladder) == ["480p", "1080p", "mp3"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no video renditions"),
        ("video:360", "no audio renditions"),
        ("audio:mp3", "no video renditions"),
        ("video:360;video:720;audio:mp3", "lists 'video' twice"),
        ("video:360,360;audio:mp3", "twice"),
        ("video:abc;audio:mp3", "not a height"),
        ("video:361;audio:mp3", "even height"),
        ("video:4320;audio:mp3", "between"),
        ("video:360;audio:ogg", "not one of m4a, aac, mp3"),
        ("video:360,;audio:mp3", "empty entry"),
        ("pictures:1;audio:mp3", "Bad ladder section"),
        ("video 360;audio:mp3", "Bad ladder section"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ladder(spec)


def test_1080p_source_gets_both_rungs() -> None:
    assert names(plan(source(1920, 1080))) == ["360p", "720p"]


def test_never_upscales() -> None:
    assert names(plan(source(854, 480))) == ["360p"]
    assert names(plan(source(1280, 720))) == ["360p", "720p"]


def test_source_smaller_than_every_rung_keeps_its_size_rounded_to_even() -> None:
    (only,) = plan(source(426, 241))
    assert only.name == "240p" and only.height == 240 and only.kind == "video"


def test_portrait_video_is_planned_on_its_short_side() -> None:
    assert names(plan(source(720, 1280))) == ["360p", "720p"]
    assert names(plan(source(240, 320))) == ["240p"]


def test_audio_only_source_gets_the_audio_rungs() -> None:
    audio = ProbeResult(3, "mp3", None, (StreamInfo(0, "audio", "mp3"),))
    assert names(plan(audio)) == ["aac", "mp3"]


def test_video_without_sound_gets_video_rungs() -> None:
    assert names(plan(source(1280, 720, sound=False))) == ["360p", "720p"]


def test_cover_art_audio_gets_the_audio_rungs(clips: Clips) -> None:
    assert names(plan(probe_file(clips.cover_mp3))) == ["aac", "mp3"]


def test_custom_ladder(clips: Clips) -> None:
    ladder = parse_ladder("video:120,240,480;audio:mp3")
    assert names(plan(probe_file(clips.mp4), ladder)) == ["120p", "240p"]
