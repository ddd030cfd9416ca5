"""Caption and subtitle tracks of media objects (Canvas MediaTrack)."""
