"""The rate-limit buckets of the database store: one row per (action, caller) that used a
limited action lately. A row whose bucket has filled up again says nothing a missing row does
not, so such rows are deleted as they are found (``ratelimit.database``)."""

from __future__ import annotations

from sqlalchemy import Double, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base


class RateLimitBucket(Base):
    __tablename__ = "rate_limit_buckets"

    action: Mapped[str] = mapped_column(String(32), primary_key=True)
    # SHA-256 of the caller ("user:7", "address:10.0.0.1", a login): a fixed width, and the
    # table names no login or address.
    caller_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double, nullable=False)
    # Seconds since the epoch on the database's clock (or the test's), when ``tokens`` held.
    counted_at: Mapped[float] = mapped_column(Double, nullable=False)
    # Whether the last hit found a token: the upsert's way of saying so in one round trip.
    allowed: Mapped[bool] = mapped_column(nullable=False)
