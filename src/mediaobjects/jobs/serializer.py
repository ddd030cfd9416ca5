"""Huey's messages as JSON instead of pickle.

Huey pickles what it puts on the queue, and unpickling runs whatever the bytes say: anyone who
can write to a shared Redis or PostgreSQL queue could run code in every worker. With this
serializer the queue carries data only. Job arguments must be JSON data (strings, numbers,
booleans, None, lists, tuples, dicts with string keys, datetimes); anything else is refused when
the job is enqueued, and a message that is not ours (a pickle, say) is refused when read."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from huey.registry import Message  # type: ignore[import-untyped]
from huey.serializer import Serializer  # type: ignore[import-untyped]

# Every value that JSON has no type for is written as a one-key object naming its kind; real
# dicts are wrapped too, so no argument can pass itself off as one of these.
_MESSAGE = "m"
_DATETIME = "dt"
_TUPLE = "t"
_DICT = "d"


class MessageRefused(ValueError):
    """Bytes on the queue that this serializer did not write."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Message):
        if value.chord_config is not None:
            raise TypeError("Huey chords are not used by mediaobjects jobs.")
        return {_MESSAGE: [_encode(getattr(value, f)) for f in Message._fields]}
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("Job argument dicts must have string keys.")
        return {_DICT: {k: _encode(v) for k, v in value.items()}}
    raise TypeError(f"A job argument must be JSON data, not {type(value).__name__}.")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise MessageRefused("An object on the queue has no kind.")
    ((kind, inner),) = value.items()
    if kind == _DICT and isinstance(inner, dict):
        return {k: _decode(v) for k, v in inner.items()}
    if kind == _TUPLE and isinstance(inner, list):
        return tuple(_decode(v) for v in inner)
    if kind == _DATETIME and isinstance(inner, str):
        return datetime.fromisoformat(inner)
    if kind == _MESSAGE and isinstance(inner, list) and len(inner) == len(Message._fields):
        return Message(*(_decode(v) for v in inner))
    raise MessageRefused(f"An object on the queue is of an unknown kind {kind!r}.")


class JsonSerializer(Serializer):  # type: ignore[misc]  # huey has no type hints
    def _serialize(self, data: Any) -> bytes:
        return json.dumps(_encode(data), separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Any:
        try:
            decoded = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MessageRefused("Bytes on the queue that are not a mediaobjects message.") from exc
        return _decode(decoded)
