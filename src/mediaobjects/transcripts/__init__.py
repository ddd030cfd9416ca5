"""Transcript search: every cue of every track kept as a searchable row (full-text indexed by
the database: FTS5 on SQLite, a tsvector on PostgreSQL), and the search routes over them."""
