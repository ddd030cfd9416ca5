"""The ``Link`` header of paginated lists, in Canvas's exact format (canvas-media-api.md §2.0,
decision D11, client-contract.md §1.1): absolute URLs on the path that was requested, carrying
every filter, rels ``current``, ``next``, ``prev``, ``first``, ``last`` joined by a bare comma."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

# Canvas never echoes these back: the page numbers are rewritten, credentials must not leak.
EXCLUDED_PARAMS = frozenset({"page", "per_page", "access_token", "api_key"})
# Canvas (lib/api.rb): links are admitted in this order until the header would pass 6 KB.
LINK_PRIORITY = ("next", "last", "prev", "current", "first")
LINK_ORDER = ("current", "next", "prev", "first", "last")
MAX_LINK_HEADER_LENGTH = 6 * 1024
# Everything a path may keep as is, except "," and ";", which split Link headers in clients
# such as uw_canvas (client-contract.md §1.1). Existing %XX escapes are kept.
_PATH_SAFE = "/%:@!$&'()*+="


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _encode(value: str) -> str:
    # Ruby's CGI.escape, which Rails' to_query uses: space as "+", only A-Z a-z 0-9 _ . - ~
    # left bare.
    return quote_plus(value, safe="~")


def filter_query(query: str) -> str:
    """The request's own parameters minus page, per_page and credentials, re-encoded as Rails'
    ``to_query`` does (keys sorted; the values of one key keep their order)."""
    kept = [
        (_encode(key), _encode(value))
        for key, value in parse_qsl(query, keep_blank_values=True)
        if key not in EXCLUDED_PARAMS
    ]
    kept.sort(key=lambda pair: pair[0])
    return "&".join(f"{key}={value}" for key, value in kept)


def link_header(request_url: str, page: int, per_page: int, total: int) -> str:
    """The ``Link`` header for page ``page`` of ``total`` items, ``per_page`` a page.

    ``request_url`` is the absolute URL as requested (scheme, host and port from the request
    itself), so clients that only follow links to their configured host keep paging."""
    parts = urlsplit(request_url)
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    filters = filter_query(parts.query)
    prefix = f"{parts.scheme}://{parts.netloc}{path}?" + (f"{filters}&" if filters else "")

    last = last_page(total, per_page)
    pages: dict[str, int] = {"current": page}
    if page < last:
        pages["next"] = page + 1
    if page > 1:
        pages["prev"] = page - 1
    pages["first"] = 1
    pages["last"] = last

    links = {
        rel: f'<{prefix}page={number}&per_page={per_page}>; rel="{rel}"'
        for rel, number in pages.items()
    }
    admitted: set[str] = set()
    length = 0
    for rel in LINK_PRIORITY:
        if rel not in links:
            continue
        added = len(links[rel]) + (1 if admitted else 0)
        if length + added > MAX_LINK_HEADER_LENGTH:
            break
        admitted.add(rel)
        length += added
    return ",".join(links[rel] for rel in LINK_ORDER if rel in admitted)
