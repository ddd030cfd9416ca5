"""CEA-608 (line 21) as SCC files carry it: the character sets, the control codes of data
channel 1, odd parity, and the mapping from any Unicode character to what 608 can show.

Codes are written here without their parity bit (RCL is 0x14 0x20; a file holds "9420").
Channel 2 uses the same codes with 0x08 added to the first byte.
"""

from __future__ import annotations

import unicodedata
from typing import Final

COLUMNS: Final = 32
ROWS: Final = 15

# Miscellaneous control codes: first byte 0x14 (channel 1), second byte below.
RCL: Final = 0x20  # resume caption loading: pop-on, text goes to non-displayed memory
BS: Final = 0x21  # backspace
AOF: Final = 0x22  # reserved (alarm off)
AON: Final = 0x23  # reserved (alarm on)
DER: Final = 0x24  # delete to end of row
RU2: Final = 0x25  # roll-up, 2 rows
RU3: Final = 0x26
RU4: Final = 0x27
FON: Final = 0x28  # flash on
RDC: Final = 0x29  # resume direct captioning: paint-on
TR: Final = 0x2A  # text restart (text service, not captions)
RTD: Final = 0x2B  # resume text display
EDM: Final = 0x2C  # erase displayed memory
CR: Final = 0x2D  # carriage return (roll-up)
ENM: Final = 0x2E  # erase non-displayed memory
EOC: Final = 0x2F  # end of caption: swap the memories

MISC: Final = 0x14
MID_ROW: Final = 0x11  # second byte 0x20-0x2F; 0x30-0x3F are the special characters
SPECIAL: Final = 0x11
EXTENDED_SPANISH_FRENCH: Final = 0x12
EXTENDED_PORTUGUESE_GERMAN: Final = 0x13
TAB: Final = 0x17  # second byte 0x21-0x23: tab offset 1-3 columns

MID_ROW_ITALICS: Final = 0x2E  # 0x2F: italics and underline

# The basic set is ASCII except for these positions.
_STANDARD_EXCEPTIONS = {
    0x2A: "á",
    0x5C: "é",
    0x5E: "í",
    0x5F: "ó",
    0x60: "ú",
    0x7B: "ç",
    0x7C: "÷",
    0x7D: "Ñ",
    0x7E: "ñ",
    0x7F: "█",
}
STANDARD: Final = {b: _STANDARD_EXCEPTIONS.get(b, chr(b)) for b in range(0x20, 0x80)}

# Second byte 0x30-0x3F after 0x11. 0x39 is the "transparent space", a space that does not
# break a line: U+00A0.
SPECIAL_CHARACTERS: Final = dict(zip(range(0x30, 0x40), "®°½¿™¢£♪à\u00a0èâêîôû", strict=True))

# Second byte 0x20-0x3F after 0x12 and after 0x13. Each replaces the character before it:
# encoders send a plain fallback first for decoders that lack the extended set.
EXTENDED_CHARACTERS: Final = {
    EXTENDED_SPANISH_FRENCH: dict(
        zip(range(0x20, 0x40), "ÁÉÓÚÜü‘¡*’—©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»", strict=True)
    ),
    EXTENDED_PORTUGUESE_GERMAN: dict(
        zip(range(0x20, 0x40), "ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤¦ÅåØø┌┐└┘", strict=True)
    ),
}

# PAC first byte and row bit by row (1-15); decoding uses the inverse.
PAC_ROWS: Final = {
    1: (0x11, 0),
    2: (0x11, 1),
    3: (0x12, 0),
    4: (0x12, 1),
    5: (0x15, 0),
    6: (0x15, 1),
    7: (0x16, 0),
    8: (0x16, 1),
    9: (0x17, 0),
    10: (0x17, 1),
    11: (0x10, 0),
    12: (0x13, 0),
    13: (0x13, 1),
    14: (0x14, 0),
    15: (0x14, 1),
}
ROW_OF_PAC: Final = {code: row for row, code in PAC_ROWS.items()}


def strip_parity(byte: int) -> int:
    # Parity is not checked: many SCC tools write some bytes without it, and players ignore it.
    return byte & 0x7F


def with_parity(byte: int) -> int:
    """The byte with its top bit set when needed to give it an odd number of ones."""
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


# --- writing: what a Unicode character becomes --------------------------------------------

# A unit is what one screen column takes to send: ("std", byte) or ("code", first, second)
# for a special character, or ("ext", first, second, fallback byte) for an extended one.
Unit = tuple[int, ...]

_ENCODING: dict[str, Unit] = {}
for _byte, _char in STANDARD.items():
    _ENCODING[_char] = (_byte,)
for _second, _char in SPECIAL_CHARACTERS.items():
    _ENCODING.setdefault(_char, (SPECIAL, _second))
# What a decoder without the extended set shows instead; the rest fall back to their base
# letter (NFKD).
_FALLBACKS = {
    "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "¡": "!", "*": ".", "—": "-",
    "©": "c", "℠": "s", "•": ".", "{": "(", "}": ")", "\\": "/", "^": "'", "_": "-", "|": "!",
    "~": "-", "ß": "s", "¥": "Y", "¤": "o", "¦": "!", "Ø": "O", "ø": "o", "┌": "+", "┐": "+",
    "└": "+", "┘": "+",
}  # fmt: skip
for _first, _table in EXTENDED_CHARACTERS.items():
    for _second, _char in _table.items():
        if _char in _ENCODING:
            continue
        _fallback = _FALLBACKS.get(_char) or unicodedata.normalize("NFKD", _char)[0]
        _ENCODING[_char] = (_first, _second, _ENCODING[_fallback][0])

# Common characters 608 lacks, and what they are written as.
_REPLACEMENTS = {
    "`": "'", "´": "'", "′": "'", "″": '"', "‚": ",", "„": '"', "‹": "<", "›": ">",
    "–": "-", "‐": "-", "‑": "-", "‒": "-", "―": "—", "−": "-", "…": "...", "\t": " ",
    "♫": "♪", "♩": "♪", "♬": "♪", "·": ".", "×": "x",
}  # fmt: skip


def encode_character(char: str) -> list[Unit]:
    """The units that show ``char`` (usually one; "…" takes three, an invisible format
    character none).

    Characters outside the 608 sets become their replacement above, else their base letters
    (NFKD: "ő" is written "o", "ﬁ" "fi"), else "?".
    """
    unit = _ENCODING.get(char)
    if unit is not None:
        return [unit]
    replacement = _REPLACEMENTS.get(char)
    if replacement is not None:
        return [_ENCODING[c] for c in replacement]
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Mn", "Me"):
        return []
    if category in ("Zs", "Zl", "Zp"):
        return [_ENCODING[" "]]
    base = [c for c in unicodedata.normalize("NFKD", char) if c in _ENCODING]
    if base:
        return [_ENCODING[c] for c in base]
    return [_ENCODING["?"]]


def unit_text(unit: Unit) -> str:
    """The character a unit shows."""
    if len(unit) == 1:
        return STANDARD[unit[0]]
    if unit[0] == SPECIAL:
        return SPECIAL_CHARACTERS[unit[1]]
    return EXTENDED_CHARACTERS[unit[0]][unit[1]]
