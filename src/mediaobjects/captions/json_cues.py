"""Cues as JSON, for programs (search indexes, editors, analytics): a bare array of
``{"start_ms", "end_ms", "text", "markup"}`` objects, and the reader of that form.

``text`` is what the viewer reads (``markup.plain_text``: tags removed, character references
decoded, lines joined with "\\n"); ``markup`` is the cue's WebVTT cue text as served (italics,
bold, underline, voices, escaped ``&amp;``), so that nothing the captions say is lost and the
form reads back into the same cues. Cue identifiers, cue settings (positioning) and the
WebVTT-only blocks (NOTE, STYLE, REGION) are not part of this form."""

from __future__ import annotations

import json
from typing import Any

from ._text import is_blank, quote, split_lines
from .errors import MAX_PROBLEMS, CaptionError, Problem
from .markup import escape_cue_text, plain_text
from .model import CaptionDocument, Cue

_EXAMPLE = '[{"start_ms": 1000, "end_ms": 2500, "text": "Hello"}]'


def write_json_cues(document: CaptionDocument) -> str:
    """One cue object per line inside a JSON array, with a final newline; non-ASCII text is
    written as UTF-8, not as ``\\u`` escapes."""
    rows = []
    for cue in document.cues:
        markup = escape_cue_text(cue.text)
        row = {
            "start_ms": cue.start_ms,
            "end_ms": cue.end_ms,
            "text": plain_text(markup),
            "markup": markup,
        }
        rows.append(json.dumps(row, ensure_ascii=False))
    if not rows:
        return "[]\n"
    return "[\n" + ",\n".join(rows) + "\n]\n"


def parse_json_cues(content: str) -> CaptionDocument:
    """Read the JSON form back; raise CaptionError listing every problem (the ``cue`` of each is
    the 1-based position in the array).

    Each element needs integer ``start_ms`` and ``end_ms`` (0 or more, end after start) and
    ``markup`` (WebVTT cue text) or ``text`` (plain text, escaped here). Other keys are
    ignored, so that a program may add its own."""
    text = content[1:] if content.startswith("\ufeff") else content
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptionError(f"not valid JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError as exc:
        raise CaptionError("not valid JSON: nested too deeply") from exc
    except ValueError as exc:
        # An integer of more than 4,300 digits (Python's limit on converting them).
        raise CaptionError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise CaptionError(f"expected a JSON array of cues like {_EXAMPLE}", 1)
    problems: list[Problem] = []
    cues: list[Cue] = []
    for position, item in enumerate(data, start=1):
        cue = _cue(item, position, problems)
        if cue is not None:
            cues.append(cue)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise CaptionError.of(problems)
    return CaptionDocument(cues=tuple(cues))


def _cue(item: Any, position: int, problems: list[Problem]) -> Cue | None:
    if not isinstance(item, dict):
        problems.append(Problem(f"expected a cue object like {_EXAMPLE[1:-1]}", cue=position))
        return None
    found = len(problems)
    start_ms = _milliseconds(item, "start_ms", position, problems)
    end_ms = _milliseconds(item, "end_ms", position, problems)
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        problems.append(
            Problem(f"end_ms ({end_ms}) must be greater than start_ms ({start_ms})", cue=position)
        )
    markup = item.get("markup")
    plain = item.get("text")
    if markup is not None and not isinstance(markup, str):
        problems.append(Problem('"markup" must be a string', cue=position))
    elif markup is None and not isinstance(plain, str):
        problems.append(Problem('expected "text" (a string) or "markup"', cue=position))
    if len(problems) > found:
        return None
    assert start_ms is not None and end_ms is not None
    cue_text = escape_cue_text(markup) if isinstance(markup, str) else _escape_plain(str(plain))
    return Cue(start_ms, end_ms, cue_text)


def _milliseconds(
    item: dict[str, Any], key: str, position: int, problems: list[Problem]
) -> int | None:
    value = item.get(key)
    if value is None:
        problems.append(Problem(f'"{key}" is missing', cue=position))
        return None
    # bool is an int in Python, never a time in a JSON file.
    if not isinstance(value, int) or isinstance(value, bool):
        message = f'"{key}" must be a whole number of milliseconds, got {_describe(value)}'
        problems.append(Problem(message, cue=position))
        return None
    if value < 0:
        problems.append(Problem(f'"{key}" must not be negative, got {value}', cue=position))
        return None
    return value


def _describe(value: object) -> str:
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool | float):
        return json.dumps(value)
    return "an array" if isinstance(value, list) else "an object"


def _escape_plain(text: str) -> str:
    """Plain text as WebVTT cue text that shows exactly that text (blank lines dropped, since
    they would end a cue)."""
    lines = (
        line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for line in split_lines(text)
    )
    return "\n".join(line for line in lines if not is_blank(line))
