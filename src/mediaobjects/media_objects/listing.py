"""Listing media objects (canvas-media-api.md §2.1): the list query parameters, parsed with
Canvas's defaults and our fixes (decisions D6, D10, D16), and the scoped, sorted, paginated
list of the media a caller may see in their own files, a course or a group."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_EDIT, READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import BadRequest, FieldError, Forbidden, NotFound
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.numbers import decimal_digits

Sort = Literal["title", "created_at"]
Order = Literal["asc", "desc"]

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_PAGE_DIGITS = 1000
MIN_SEARCH_TERM_LENGTH = 2
SEARCH_TERM_MESSAGE = f"{MIN_SEARCH_TERM_LENGTH} or more characters is required"
# Titles are stored truncated to 255 characters (media_objects.service.truncate_title).
MAX_TITLE_LENGTH = 255

# Documented values, plus the "<column><direction>" strings canvas-rce-api sends when it
# concatenates sort and order (client-contract.md §1.8, decision D6).
_SORTS: dict[str, tuple[Sort, Order | None]] = {
    "title": ("title", None),
    "created_at": ("created_at", None),
    "titleasc": ("title", "asc"),
    "titledesc": ("title", "desc"),
    "created_atasc": ("created_at", "asc"),
    "created_atdesc": ("created_at", "desc"),
}
_LEADING_INT = re.compile(r"\s*([+-]?)([0-9]+)")
_PAGE = re.compile(r"\s*\+?([0-9]+)\s*")


@dataclass(frozen=True)
class ListQuery:
    sort: Sort = "title"
    order: Order = "asc"
    search_term: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True)
class Page:
    items: list[MediaObject]
    total: int
    page: int
    per_page: int


def _last_value(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """Rails keeps the last of repeated plain keys."""
    found: str | None = None
    for key, value in pairs:
        if key == name:
            found = value
    return found


def _per_page(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PER_PAGE
    # Canvas: per_page.to_i clamped to 1..100, so "abc" (0) gives 1 and "20x" gives 20.
    match = _LEADING_INT.match(raw)
    if match is None:
        return 1
    sign, digits = match.groups()
    number = decimal_digits(digits) or 0
    return 1 if sign == "-" else min(max(number, 1), MAX_PER_PAGE)


def _page(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return 1
    # Canvas answers page 0, a negative page or a non-integer page with 404.
    match = _PAGE.fullmatch(raw)
    # The page asked for is echoed in the Link header, so it is kept exact; past a thousand
    # digits (int() refuses 4,300) it is no page at all.
    if match is None or len(match.group(1)) > MAX_PAGE_DIGITS or int(match.group(1)) < 1:
        raise NotFound()
    return int(match.group(1))


def parse_page(pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """``page`` and ``per_page`` of a request, as Canvas reads them, for other paginated lists
    (track versions): a bad ``page`` is 404, ``per_page`` is clamped to 1..100."""
    pairs = list(pairs)
    return _page(_last_value(pairs, "page")), _per_page(_last_value(pairs, "per_page"))


def parse_list_query(pairs: Iterable[tuple[str, str]]) -> ListQuery:
    """The list parameters of a request (its decoded query pairs), or the 400/404 Canvas gives.

    Decisions where the spec is silent: an empty ``sort`` means the default; a concatenated
    sort (``titledesc``) sets the order even when ``order`` is also given; an empty
    ``search_term`` means no search (a cleared search box)."""
    pairs = list(pairs)
    raw_sort = _last_value(pairs, "sort")
    sort: Sort = "title"
    order: Order = "desc" if _last_value(pairs, "order") == "desc" else "asc"
    if raw_sort is not None and raw_sort != "":
        if raw_sort not in _SORTS:
            raise BadRequest.for_field(
                "sort",
                "sort must be one of title, created_at (optionally followed by asc or desc)",
            )
        sort, implied = _SORTS[raw_sort]
        if implied is not None:
            order = implied
    search_term = _last_value(pairs, "search_term")
    if search_term == "":
        search_term = None
    if search_term is not None and len(search_term) < MIN_SEARCH_TERM_LENGTH:
        raise BadRequest(
            SEARCH_TERM_MESSAGE,
            errors=[FieldError(field="search_term", message=SEARCH_TERM_MESSAGE)],
        )
    if search_term is not None and "\x00" in search_term:
        # PostgreSQL cannot hold NUL in text: refuse it here rather than fail in the driver.
        raise BadRequest.for_field("search_term", "search_term must not contain NUL characters")
    return ListQuery(
        sort=sort,
        order=order,
        search_term=search_term,
        page=_page(_last_value(pairs, "page")),
        per_page=_per_page(_last_value(pairs, "per_page")),
    )


MAX_OFFSET = 10**12


def list_media_objects(
    session: Session,
    principal: Principal,
    *,
    context: Context | None,
    query: ListQuery,
) -> Page:
    """One page of the media the caller may see.

    Without a context: the media of the caller's own (user-context) files; media they uploaded
    into a course is not included. With a course or group (as ``access.load_context`` found
    it): the caller needs ``read_contents`` there, and sees the media of the context's files
    they may read."""
    user = authentication.require_user(principal)
    if context is None:
        scope_type: str = "User"
        scope_id = user.id
        include_restricted = True
    else:
        rights = access.permissions_in(session, principal, context)
        if READ_CONTENTS not in rights:
            raise Forbidden()
        scope_type, scope_id = context.type, context.id
        # Hidden and locked files count only for those who manage the context's files, as
        # files.service.can_read decides for one file.
        include_restricted = MANAGE_FILES_EDIT in rights
    if query.search_term is not None and len(query.search_term) > MAX_TITLE_LENGTH:
        # No title is that long, and a pattern of thousands of characters is work for nothing.
        return Page(items=[], total=0, page=query.page, per_page=query.per_page)

    def count() -> int:
        return repo.count_listed(
            session,
            context_type=scope_type,
            context_id=scope_id,
            include_restricted=include_restricted,
            search=query.search_term,
        )

    offset = (query.page - 1) * query.per_page
    if offset > MAX_OFFSET:
        # Absurd page numbers would overflow the database's OFFSET; no page is that far.
        return Page(items=[], total=count(), page=query.page, per_page=query.per_page)
    items, counted = repo.listed_page(
        session,
        context_type=scope_type,
        context_id=scope_id,
        include_restricted=include_restricted,
        search=query.search_term,
        sort=query.sort,
        descending=query.order == "desc",
        limit=query.per_page,
        offset=offset,
    )
    # An empty page carries no count: past the end (Canvas answers 200 []) or nothing at all.
    total = counted if counted is not None else count()
    return Page(items=items, total=total, page=query.page, per_page=query.per_page)
