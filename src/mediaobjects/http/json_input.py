"""JSON from clients, parsed with bounds: nesting depth, number size and the non-standard
constants are refused with a 400 before any other code sees the value. Python's own parser
raises RecursionError past ~1,000 levels and ValueError for integers of more than 4,300 digits;
both would otherwise escape as 500s from wherever JSON is read (bodies, JSON-encoded array
parameters)."""

from __future__ import annotations

import json
from typing import Any

from mediaobjects.errors import BadRequest

# No Canvas request nests deeper than a PUT tracks body (array > object > value) or a
# ``{"user": {"name": ...}}`` body; 32 leaves room for clients that wrap things oddly.
MAX_DEPTH = 32


class JsonRefused(ValueError):
    """The text is not JSON this service accepts; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """The JSON value of ``text``; JsonRefused when it is malformed, nests deeper than
    MAX_DEPTH, has an integer too long to convert, or uses NaN/Infinity."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonRefused(f"it nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError:
        raise JsonRefused("it is not UTF-8 text") from None
    except JsonRefused:
        raise
    except ValueError:
        # int() refuses integers of more than sys.get_int_max_str_digits() digits.
        raise JsonRefused("it has a number with too many digits") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise JsonRefused(f"it nests deeper than {MAX_DEPTH} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so that checking cannot itself hit the recursion limit.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads_body(body: bytes, what: str = "The request body") -> Any:
    """``loads`` for a request body: a BadRequest (400, Canvas envelope) names the problem."""
    try:
        return loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(f"{what} is not valid UTF-8.") from None
    except JsonRefused as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}.") from None
