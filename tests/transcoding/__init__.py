"""Tests of mediaobjects.transcoding against the real ffmpeg, on clips generated per session."""
