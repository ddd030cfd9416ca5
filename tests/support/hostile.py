"""Hypothesis strategies for hostile inputs: the values that have broken web services before
(and this one, found by hand in review). Add a newly found one here and every property test
that drives the API with these strategies tries it on every operation."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Integers past CPython's 4,300-digit str->int limit raise ValueError in int().
HUGE_DIGITS = ["9" * 19, "9" * 20, "1" + "0" * 4300, "9" * 5000, "-" + "9" * 5000]
BIG_JSON_INTS = [2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]
TIMESTAMPS = [
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59.999999-00:01",
    "0001-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2030-02-30T00:00:00Z",
]
LONE_SURROGATES = ["\ud800", "a\udfffb", "\udbff", "\ud83d"]
ODD_TEXT = [
    "",
    " ",
    ".",
    "..",
    "../..",
    "%",
    "%00",
    "\x00",
    "a\x00b",
    "\u202e",
    "self",
    "0",
    "-1",
    "1.5",
    "1e5",
    "NaN",
    "Infinity",
    "[]",
    "{}",
    "null",
    "x" * 100_000,
    "[" * 3000,
    '["' + "a" * 10 + '"]',
    "[" * 2000 + "]" * 2000,
]

# Field names the API reads from query strings and bodies (Canvas parameters).
QUERY_FIELDS = [
    "per_page",
    "page",
    "sort",
    "order",
    "search_term",
    "include[]",
    "include",
    "exclude[]",
    "exclude",
    "width",
    "height",
    "bitrate",
    "verifier",
    "access_token",
    "token",
    "download_frd",
]
BODY_FIELDS = [
    "user[name]",
    "pseudonym[unique_id]",
    "token[purpose]",
    "token[expires_at]",
    "course[name]",
    "course[course_code]",
    "enrollment[user_id]",
    "enrollment[type]",
    "name",
    "user_id",
    "size",
    "content_type",
    "parent_folder_path",
    "parent_folder_id",
    "on_duplicate",
    "source_file_id",
    "user_entered_title",
    "id",
    "type",
    "context_code",
    "title",
    "locale",
    "kind",
    "content",
    "filename",
    "replace_human",
    "auto_captions",
]


def hostile_text(max_length: int = 200_000) -> st.SearchStrategy[str]:
    """Hostile text; ``max_length`` keeps URL parts within what HTTP clients send (about 8 KB
    in all is what servers accept in a request line)."""
    values = [
        v for v in ODD_TEXT + HUGE_DIGITS + TIMESTAMPS + LONE_SURROGATES if len(v) <= max_length
    ]
    return st.one_of(st.sampled_from(values), st.text(max_size=40))


def hostile_scalar(max_length: int = 200_000) -> st.SearchStrategy[Any]:
    """A value for one field: hostile text, huge numbers, booleans, null."""
    return st.one_of(
        hostile_text(max_length),
        st.sampled_from(BIG_JSON_INTS),
        st.integers(),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def hostile_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        hostile_scalar(),
        st.sampled_from([_nested(50), _nested(1200), [], {}]),
        st.lists(hostile_scalar(), max_size=3),
    )


def _set_path(target: dict[str, Any], key: str, value: Any) -> None:
    """``a[b]`` -> {"a": {"b": value}}, as a JSON client writes a Canvas parameter."""
    if "[" in key and key.endswith("]"):
        head, _, rest = key.partition("[")
        inner = rest[:-1]
        node = target.setdefault(head, {})
        if isinstance(node, dict):
            node[inner] = value
        return
    target[key] = value


def hostile_json_body() -> st.SearchStrategy[Any]:
    """A JSON body: an object of Canvas fields with hostile values, an array of track-shaped
    objects (the PUT tracks body), or a hostile value on its own."""
    fields = st.lists(st.tuples(st.sampled_from(BODY_FIELDS), hostile_value()), max_size=5)

    def as_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            _set_path(out, key, value)
        return out

    track = st.fixed_dictionaries(
        {},
        optional={"locale": hostile_value(), "kind": hostile_value(), "content": hostile_value()},
    )
    # The caption editor's bodies: cues with hostile times, text, identifiers and settings.
    cue = st.fixed_dictionaries(
        {},
        optional={
            name: hostile_value()
            for name in ("start_ms", "end_ms", "text", "identifier", "settings")
        },
    )
    cues = st.fixed_dictionaries(
        {"cues": st.one_of(st.lists(cue, max_size=3), hostile_value())},
        optional={
            name: hostile_value() for name in ("base_version_id", "locale", "kind", "profile")
        },
    )
    return st.one_of(fields.map(as_object), st.lists(track, max_size=3), cues, hostile_value())


def json_text(value: Any) -> bytes:
    """JSON as a hostile client sends it: lone surrogates escaped (``\\ud800``), numbers of any
    size written out, deep nesting kept."""
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    old_digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(value, ensure_ascii=True).encode("ascii")
    finally:
        sys.setrecursionlimit(limit)
        sys.set_int_max_str_digits(old_digits)


def hostile_headers() -> st.SearchStrategy[dict[str, str]]:
    """Headers a hostile client may send; values stay latin-1 (HTTP's own limit)."""
    value = st.sampled_from(
        [
            "bytes=" + "9" * 5000 + "-",
            "bytes=0-" + "9" * 5000,
            "bytes=-" + "9" * 5000,
            "bytes=5-1",
            "bytes=0-0,1-1",
            "bytes=x",
            '"' + "a" * 10_000 + '"',
            "Mon, 01 Jan 99999 00:00:00 GMT",
            "Sat, 01 Jan 0000 00:00:00 GMT",
            "*",
            "",
            "Bearer " + "9" * 5000,
            "Bearer \x7f",
            "Bearer",
            "application/json+canvas-string-ids",
        ]
    )
    names = st.sampled_from(
        ["Range", "If-None-Match", "If-Modified-Since", "If-Range", "Authorization", "Accept"]
    )
    return st.dictionaries(names, value, max_size=2)
