"""HLS (RFC 8216) playlists, written per request from what the database holds: pure functions
that know no database, HTTP or storage."""
