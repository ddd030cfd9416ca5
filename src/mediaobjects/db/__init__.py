"""Database plumbing: engine and sessions, the declarative base and its column types, and the
Alembic migrations that build every schema (tests included)."""
