"""Track kinds: exactly Canvas's five values, case-sensitive, default subtitles."""

from __future__ import annotations

import pytest

from mediaobjects.captions import DEFAULT_KIND, KINDS, KindError, validate_kind


def test_the_five_kinds_and_the_default() -> None:
    assert KINDS == ("subtitles", "captions", "descriptions", "chapters", "metadata")
    assert DEFAULT_KIND == "subtitles"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_accepted(kind: str) -> None:
    assert validate_kind(kind) == kind


@pytest.mark.parametrize("kind", ["unkind", "Subtitles", "CAPTIONS", " captions", "caption", ""])
def test_anything_else_is_not_included_in_the_list(kind: str) -> None:
    with pytest.raises(KindError) as caught:
        validate_kind(kind)
    assert str(caught.value) == "is not included in the list"
    assert caught.value.message == "is not included in the list"
