"""HTML pages: the player iframe now; the media library and caption editor later."""
