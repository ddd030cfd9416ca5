"""The standard picture sizes. Clients may ask a thumbnail for any width and height from 1 to
2000, but only these few are ever drawn: each ask is served by the smallest standard size at
least as large as the box asked (else the largest), and the browser scales it down. So a media
object has at most ``len(THUMBNAIL_SIZES)`` drawings, and each placeholder kind as many as
``PLACEHOLDER_SIZES``, whatever is asked."""

from __future__ import annotations

from dataclasses import dataclass

# Why these sides: 120 is Kaltura's default thumbnail (120x90, the KMC lists and the API's
# thumbnailUrl); 320 serves Canvas's 320x240 media lists; 640 serves Canvas's 550x448 player
# poster and Kaltura's 640x360 player; 1280 is the widest poster the pipeline takes
# (transcoding.local.POSTER_MAX_WIDTH), so nothing larger has more detail to show.
SIDES = (120, 320, 640, 1280)
# Placeholders are 16:9 (Kaltura's default image is too); heights rounded to even pixels.
PLACEHOLDER_SIDES = tuple((side, round(side * 9 / 16 / 2) * 2) for side in SIDES)
DEFAULT_PLACEHOLDER = (640, 360)


@dataclass(frozen=True, order=True)
class Size:
    """A standard size as drawn: fit in ``width`` x ``height``, aspect ratio kept; 0 for a side
    that follows from the aspect ratio (how thumbnails are keyed in the database)."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


def _at_least(wanted: int) -> int:
    return next((side for side in SIDES if side >= wanted), SIDES[-1])


def thumbnail_size(width: int | None, height: int | None) -> Size:
    """The standard size serving a thumbnail asked with ``width`` and/or ``height``.

    A width alone keeps its meaning (that wide, the height from the picture), as does a height
    alone. A box becomes a square box: the picture fits in it whatever its aspect ratio
    (landscape, portrait), so it also covers the box asked without the server knowing the
    picture's shape."""
    if width is None and height is None:
        raise ValueError("Give a width, a height or both.")
    if height is None:
        assert width is not None
        return Size(_at_least(width), 0)
    if width is None:
        return Size(0, _at_least(height))
    side = _at_least(max(width, height))
    return Size(side, side)


THUMBNAIL_SIZES = tuple(
    sorted({Size(s, 0) for s in SIDES} | {Size(0, s) for s in SIDES} | {Size(s, s) for s in SIDES})
)


def placeholder_size(width: int | None, height: int | None) -> Size:
    """The standard placeholder for the box asked: the smallest 16:9 picture that covers it
    (a missing side asks nothing of it), else the largest; 640x360 when nothing is asked."""
    if width is None and height is None:
        return Size(*DEFAULT_PLACEHOLDER)
    for w, h in PLACEHOLDER_SIDES:
        if w >= (width or 0) and h >= (height or 0):
            return Size(w, h)
    return Size(*PLACEHOLDER_SIDES[-1])


PLACEHOLDER_SIZES = tuple(Size(w, h) for w, h in PLACEHOLDER_SIDES)
