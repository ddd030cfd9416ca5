"""Array query parameters (``include[]``, ``exclude[]``) in every encoding real Canvas clients
send (decision D6, client-contract.md §1.2): Rails brackets, comma lists, repeated bare keys,
PHP-indexed keys and JSON-stringified lists all read as the same list of strings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mediaobjects.http.json_input import JsonRefused, loads


def _json_list(value: str) -> list[str] | None:
    """``["a","b"]`` as sent by clients that JSON.stringify arrays; None when it is not one."""
    if not value.lstrip().startswith("["):
        return None
    try:
        parsed = loads(value)
    except JsonRefused:
        return None
    if not isinstance(parsed, list):
        return None
    # Numbers are kept as text; booleans, nulls and nested values name nothing.
    return [
        str(item)
        for item in parsed
        if isinstance(item, str | int | float) and not isinstance(item, bool)
    ]


def _values_of(key: str, value: str, name: str, indexed: re.Pattern[str]) -> list[str]:
    if key == f"{name}[]" or indexed.fullmatch(key):
        return [value]
    if key == name:
        from_json = _json_list(value)
        return from_json if from_json is not None else value.split(",")
    # Other keys, including nested forms such as ``exclude[][0]``, are not this parameter
    # (Rails ignores them too).
    return []


def array_param(pairs: Iterable[tuple[str, str]], name: str) -> list[str]:
    """The values of array parameter ``name`` in query order: stripped, without blanks and
    without repeats.

    ``pairs`` are the already-decoded (key, value) pairs of the query string, so a key sent as
    ``include%5B%5D`` arrives here as ``include[]``."""
    indexed = re.compile(re.escape(name) + r"\[[0-9]+\]")
    seen: set[str] = set()
    out: list[str] = []
    for key, value in pairs:
        for item in _values_of(key, value, name, indexed):
            cleaned = item.strip()
            if cleaned and cleaned not in seen:
                seen.add(cleaned)
                out.append(cleaned)
    return out
