"""Who is making a request: a user (with their site-admin flag) or nobody."""

from __future__ import annotations

from dataclasses import dataclass

from mediaobjects.accounts.models import User


@dataclass(frozen=True)
class Principal:
    user: User | None
    is_site_admin: bool = False

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def authenticated(self) -> bool:
        return self.user is not None


ANONYMOUS = Principal(user=None)
