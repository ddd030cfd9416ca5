"""The standard picture sizes: every width/height a client may ask (1..2000, either or both)
is served by one of a dozen thumbnail sizes or four placeholder sizes, the smallest that covers
the box asked, else the largest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.media_objects.sizes import (
    PLACEHOLDER_SIZES,
    SIDES,
    THUMBNAIL_SIZES,
    Size,
    placeholder_size,
    thumbnail_size,
)

side = st.one_of(st.none(), st.integers(min_value=1, max_value=2000))


@pytest.mark.parametrize(
    ("width", "height", "served"),
    [
        (550, 448, Size(640, 640)),  # Canvas's player poster
        (320, 240, Size(320, 320)),  # Canvas's media lists
        (640, 360, Size(640, 640)),  # our own player page's poster
        (120, 90, Size(120, 120)),  # Kaltura's default thumbnail
        (96, None, Size(120, 0)),
        (None, 100, Size(0, 120)),
        (1, None, Size(120, 0)),
        (121, None, Size(320, 0)),
        (2000, None, Size(1280, 0)),  # nothing larger: the browser scales up
        (10, 2000, Size(1280, 1280)),
    ],
)
def test_asks_are_served_by_standard_sizes(
    width: int | None, height: int | None, served: Size
) -> None:
    assert thumbnail_size(width, height) == served


def test_a_dozen_thumbnail_sizes_and_four_placeholders() -> None:
    assert len(THUMBNAIL_SIZES) == 12 == len(set(THUMBNAIL_SIZES))
    assert len(PLACEHOLDER_SIZES) == 4
    assert all(abs(s.width * 9 / 16 - s.height) <= 1 for s in PLACEHOLDER_SIZES)  # 16:9


@given(width=side, height=side)
def test_thumbnails_cover_the_box_asked_with_the_smallest_standard_size(
    width: int | None, height: int | None
) -> None:
    if width is None and height is None:
        with pytest.raises(ValueError):
            thumbnail_size(width, height)
        return
    served = thumbnail_size(width, height)
    assert served in THUMBNAIL_SIZES
    # The shape keeps the meaning of the ask: a width alone stays a width, and so on.
    assert (served.width > 0, served.height > 0) == (width is not None, height is not None)
    wanted = max(width or 0, height or 0)
    if wanted <= SIDES[-1]:
        assert max(served.width, served.height) >= wanted  # covers: the browser scales down
        smaller = [s for s in SIDES if s < max(served.width, served.height)]
        assert all(s < wanted for s in smaller)  # and none smaller would
    else:
        assert max(served.width, served.height) == SIDES[-1]


@given(width=side, height=side)
def test_placeholders_cover_the_box_asked_when_one_can(
    width: int | None, height: int | None
) -> None:
    served = placeholder_size(width, height)
    assert served in PLACEHOLDER_SIZES
    if width is None and height is None:
        assert served == Size(640, 360)
        return
    covering = [
        s for s in PLACEHOLDER_SIZES if s.width >= (width or 0) and s.height >= (height or 0)
    ]
    assert served == (min(covering) if covering else PLACEHOLDER_SIZES[-1])
