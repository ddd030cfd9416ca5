"""Automatic captions: timed words from a speech recogniser turned into cues that meet the
``default`` quality profile (caption-quality.md), and the WebVTT document that says they
were made by a machine.

Words come in through ``TimedWord`` (text, start_ms, end_ms), so this module needs nothing
from the recogniser. ``cues_from_words`` never raises, whatever the words are.

Words
    Each word's text is split at whitespace (Whisper writes " Hello,"); control characters
    and lone surrogates are removed, and pieces with nothing visible are skipped. A piece
    made only of closing punctuation ("," "." "?" ")" "」" ...) is attached to the word
    before it. Times are clamped: never negative, a word starts no earlier than the word
    before it (recognisers sometimes emit words slightly out of order), and ends no earlier
    than it starts. Words are joined by a space, except between two characters of scripts
    written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar and CJK
    punctuation), so Japanese and Chinese read as written.

Cues (all of these hold for every input)
    - at most 2 lines of at most 42 characters (grapheme clusters, as the quality check
      counts them); one line when the text fits on one;
    - a line break only between words; a single word longer than 42 characters is
      hard-wrapped into pieces of 42 (the only place a word is cut);
    - on screen at least 833 ms (the ``netflix`` profile's 5/6 s, so ``default``'s 0.83 s
      is met too) and long enough to read at 20 characters a second, at most 7 s;
    - no overlap; two cues either touch or leave at least 84 ms between them (2 frames at
      24 fps, which also meets ``default``'s 80 ms);
    - every word appears exactly once, in order.

Segmentation
    Cue boundaries are chosen for the whole stream at once (dynamic programming over the
    words, linear in their number) to minimise a cost in which a cue ending after a
    sentence (. ? ! … 。 ？ ！) costs least, then one ending at a pause of 600 ms or more,
    then one ending at clause punctuation (, ; : ， 、 ； ：), then one ending anywhere else;
    a sentence end or a pause inside a cue costs, and so does a cue whose words are spoken
    too briefly to be read before the next words start (so such a cue is merged with a
    neighbour instead). A pause of 1.5 s or more always ends a cue, and a cue never spans
    more than 7 s of speech unless it is a single word. Within a two-line cue the line
    break goes at the space nearest the middle, preferring one after punctuation and
    avoiding one after a word of three characters or fewer ("the", "of").

Timing
    A cue starts when its first word starts and ends when its last word ends, then is
    lengthened to its minimum time on screen: forward into the silence before the next
    words, and if that is too short, by starting earlier into the silence after the
    previous cue. When the speech is too fast to read even then, the cue runs on and the
    following cues start a little after their words (they catch up at the next pause). A
    word longer than 7 s (a recogniser's glitch) gets a 7 s cue.

Text
    Cue text is plain text escaped for WebVTT: ``&``, ``<`` and ``>`` are written as
    character references, so a recogniser's "<" can never become markup or end a cue.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import regex

from .model import CaptionDocument, Cue, Note
from .quality import visible_length
from .webvtt import write_webvtt

MAX_LINE_LENGTH = 42
MAX_LINES = 2
MIN_DURATION_MS = 833
MAX_DURATION_MS = 7000
# 20 characters a second.
MS_PER_CHARACTER = 50
MIN_GAP_MS = 84
# A pause this long ends a cue when the cost allows; one of HARD_PAUSE_MS always does.
PAUSE_MS = 600
HARD_PAUSE_MS = 1500

# Costs of the segmentation (see the module docstring); only their order matters much.
_CUE_COST = 10.0
_END_AFTER_SENTENCE = 0.0
_END_AT_PAUSE = 2.0
_END_AFTER_CLAUSE = 6.0
_END_ELSEWHERE = 15.0
_END_INSIDE_WORD = 100.0
_SENTENCE_INSIDE = 12.0
_PAUSE_INSIDE = 10.0
_PER_100_MS_UNREADABLE = 3.0
_SHORT_CUE_CHARACTERS = 30
_PER_10_MISSING_CHARACTERS = 1.0

_REMOVED = regex.compile(r"[\p{Cc}\p{Cs}]+")
_CLOSING = "\"'”’»›)]}」』）］｝〉》】〕"
_ONLY_CLOSING_PUNCTUATION = regex.compile(
    rf"[,.;:!?…、。，．！？；：‼⁇⁈⁉｡{regex.escape(_CLOSING)}]+"
)
_SENTENCE_END = regex.compile(rf"[.?!…。？！‼⁇⁈⁉｡][{regex.escape(_CLOSING)}]*$")
_CLAUSE_END = regex.compile(rf"[,;:，、；：︰﹐﹑﹔﹕–—][{regex.escape(_CLOSING)}]*$")
_NO_SPACE = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Bopomofo}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
    r"\u3000-\u303f\uff00-\uffef]"
)
_GRAPHEME = regex.compile(r"\X")
_ARROWS = regex.compile(r"-{2,}>")


class TimedWord(Protocol):
    """A recognised word and when it is spoken (``mediaobjects.asr.Word`` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def start_ms(self) -> int: ...

    @property
    def end_ms(self) -> int: ...


@dataclass(frozen=True)
class _Token:
    """A unit the segmentation never cuts: a word, or a piece of a hard-wrapped one."""

    text: str
    length: int  # characters, as the quality check counts them
    start_ms: int
    end_ms: int
    space_before: bool
    inside_word: bool = False  # a piece of a hard-wrapped word continues after this one


def cues_from_words(words: Sequence[TimedWord]) -> tuple[Cue, ...]:
    """Caption cues for ``words`` in the order given (see the module docstring)."""
    tokens = _tokens(words)
    if not tokens:
        return ()
    groups = _segment(tokens)
    return _timed_cues(tokens, groups)


def asr_webvtt(cues: Sequence[Cue], *, engine: str, model: str, language: str) -> str:
    """The WebVTT document of an automatic caption track: ``WEBVTT``, a ``NOTE`` saying the
    captions were made by speech recognition (which engine and model, for which language)
    and that nobody has reviewed them, then ``cues``. ``engine``, ``model`` and
    ``language`` are written on one line each, without "-->" or control characters."""
    engine_text = _note_value(engine)
    model_text = _note_value(model)
    language_text = _note_value(language)
    note = "\n".join(
        [
            "",
            "Captions made automatically by speech recognition",
            f"(engine: {engine_text}; model: {model_text}; language: {language_text}).",
            "Not reviewed by a person: check them before relying on them.",
        ]
    )
    return write_webvtt(CaptionDocument(cues=tuple(cues), notes=(Note(note, before_cue=0),)))


def _note_value(value: str) -> str:
    text = " ".join(_REMOVED.sub(" ", value).split())
    text = _ARROWS.sub("->", text)
    return text or "unknown"


# --- words -> tokens ------------------------------------------------------------------------


def _tokens(words: Sequence[TimedWord]) -> list[_Token]:
    pieces: list[tuple[str, int, int]] = []
    last_start = 0
    for word in words:
        start = max(_milliseconds(word.start_ms, last_start), last_start)
        end = max(_milliseconds(word.end_ms, start), start)
        last_start = start
        text = word.text if isinstance(word.text, str) else ""
        for raw in text.split():
            piece = _REMOVED.sub("", raw)
            if not piece or visible_length(piece) == 0:
                continue
            if pieces and _ONLY_CLOSING_PUNCTUATION.fullmatch(piece):
                before, before_start, before_end = pieces[-1]
                pieces[-1] = (before + piece, before_start, max(before_end, end))
            else:
                pieces.append((piece, start, end))

    tokens: list[_Token] = []
    previous = ""
    for text, start, end in pieces:
        space = not (previous and _NO_SPACE.match(previous[-1]) and _NO_SPACE.match(text[0]))
        previous = text
        length = visible_length(text)
        if length <= MAX_LINE_LENGTH:
            tokens.append(_Token(text, length, start, end, space_before=space))
            continue
        chunks = _hard_wrap(text)
        total = sum(length for _, length in chunks)
        done = 0
        for index, (chunk, chunk_length) in enumerate(chunks):
            # The word's time shared out in proportion to the characters.
            chunk_start = start + (end - start) * done // total
            done += chunk_length
            chunk_end = start + (end - start) * done // total
            tokens.append(
                _Token(
                    chunk,
                    chunk_length,
                    chunk_start,
                    chunk_end,
                    space_before=space if index == 0 else False,
                    inside_word=index < len(chunks) - 1,
                )
            )
    return tokens


def _milliseconds(value: object, fallback: int) -> int:
    """A time as whole non-negative milliseconds; ``fallback`` when it is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return fallback
    if isinstance(value, float):
        if not math.isfinite(value):
            return fallback
        value = round(value)
    return max(0, int(value))


def _hard_wrap(text: str) -> list[tuple[str, int]]:
    """``text`` cut between grapheme clusters into pieces of at most MAX_LINE_LENGTH
    characters, each with its length."""
    chunks: list[tuple[str, int]] = []
    current: list[str] = []
    length = 0
    for cluster in _GRAPHEME.findall(text):
        size = visible_length(cluster)
        if length + size > MAX_LINE_LENGTH and current:
            chunks.append(("".join(current), length))
            current, length = [], 0
        current.append(cluster)
        length += size
    if current:
        chunks.append(("".join(current), length))
    # A piece must be measured on its own: that is how the line will be counted.
    return [(chunk, visible_length(chunk)) for chunk, _ in chunks]


# --- tokens -> groups of tokens (cues) -------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Prefix sums for measuring any run of tokens as one line in O(1).

    ``ends[m]`` is the length of tokens 0..m-1 joined, counting the joining space before
    token 0 too; the line of tokens a..b-1 is ``ends[b] - ends[a] - space[a]`` long.
    ``starts[m] = ends[m] + space[m]`` increases strictly, so both are searchable.
    """

    ends: list[int]
    starts: list[int]
    space: list[int]

    @classmethod
    def of(cls, tokens: Sequence[_Token]) -> _Layout:
        space = [1 if token.space_before else 0 for token in tokens]
        ends = [0]
        for token, gap in zip(tokens, space, strict=True):
            ends.append(ends[-1] + gap + token.length)
        starts = [ends[m] + space[m] for m in range(len(tokens))]
        return cls(ends, starts, space)

    def line(self, first: int, stop: int) -> int:
        """The length of tokens first..stop-1 on one line."""
        return self.ends[stop] - self.ends[first] - self.space[first]

    def breaks(self, first: int, last: int) -> range:
        """The k for which tokens first..k-1 and k..last both fit on a line."""
        # Line 1 fits while ends[k] <= MAX + ends[first] + space[first].
        highest = bisect_right(self.ends, MAX_LINE_LENGTH + self.ends[first] + self.space[first])
        # Line 2 (ends[last + 1] - starts[k]) fits from the first k with starts[k] >= ...
        lowest = bisect_left(self.starts, self.ends[last + 1] - MAX_LINE_LENGTH)
        return range(max(lowest, first + 1), min(highest - 1, last) + 1)


def _segment(tokens: Sequence[_Token]) -> list[tuple[int, int]]:
    """The cues as (first token, last token) pairs, chosen to minimise the total cost."""
    count = len(tokens)
    layout = _Layout.of(tokens)
    pauses = [
        max(0, tokens[k + 1].start_ms - tokens[k].end_ms) if k + 1 < count else 0
        for k in range(count)
    ]
    end_costs = [_end_cost(tokens[k], pauses[k], k + 1 == count) for k in range(count)]
    # Cost of boundary k (after token k) lying inside a cue, summed: inside[m] over k < m.
    inside = [0.0]
    for k in range(count):
        cost = 0.0
        if _SENTENCE_END.search(tokens[k].text):
            cost += _SENTENCE_INSIDE
        if pauses[k] >= PAUSE_MS:
            cost += _PAUSE_INSIDE + pauses[k] / 100
        inside.append(inside[-1] + cost)

    best = [0.0] + [math.inf] * count
    choice = [0] * (count + 1)
    for last in range(count):
        latest_end = 0
        next_start = tokens[last + 1].start_ms if last + 1 < count else None
        for first in range(last, -1, -1):
            if first < last and pauses[first] >= HARD_PAUSE_MS:
                break
            characters = layout.line(first, last + 1)
            if characters > MAX_LINES * MAX_LINE_LENGTH + 1:
                break
            if characters > MAX_LINE_LENGTH and not layout.breaks(first, last):
                break
            latest_end = max(latest_end, tokens[first].end_ms)
            start = tokens[first].start_ms
            if first < last and latest_end - start > MAX_DURATION_MS:
                break
            cost = best[first] + _CUE_COST + end_costs[last]
            cost += inside[last] - inside[first]
            needed = _needed_ms(characters)
            if next_start is not None:
                unreadable = needed - (next_start - start)
                if unreadable > 0:
                    cost += _PER_100_MS_UNREADABLE * unreadable / 100
            if characters < _SHORT_CUE_CHARACTERS:
                cost += _PER_10_MISSING_CHARACTERS * (_SHORT_CUE_CHARACTERS - characters) / 10
            if cost < best[last + 1]:
                best[last + 1] = cost
                choice[last + 1] = first

    groups: list[tuple[int, int]] = []
    stop = count
    while stop > 0:
        first = choice[stop]
        groups.append((first, stop - 1))
        stop = first
    groups.reverse()
    return groups


def _end_cost(token: _Token, pause_after: int, final: bool) -> float:
    if final:
        return 0.0
    if token.inside_word:
        return _END_INSIDE_WORD
    if _SENTENCE_END.search(token.text):
        return _END_AFTER_SENTENCE
    if pause_after >= PAUSE_MS:
        return _END_AT_PAUSE
    if _CLAUSE_END.search(token.text):
        return _END_AFTER_CLAUSE
    return _END_ELSEWHERE


def _needed_ms(characters: int) -> int:
    """The least time on screen for a cue of ``characters`` characters."""
    return max(MIN_DURATION_MS, characters * MS_PER_CHARACTER)


# --- groups -> lines and times ----------------------------------------------------------------


def _lines(tokens: Sequence[_Token], layout: _Layout, first: int, last: int) -> list[str]:
    if layout.line(first, last + 1) <= MAX_LINE_LENGTH:
        return [_joined(tokens[first : last + 1])]
    best_break = first + 1
    best_score = math.inf
    for k in layout.breaks(first, last):
        score = float(abs(layout.line(first, k) - layout.line(k, last + 1)))
        before = tokens[k - 1].text
        if _SENTENCE_END.search(before):
            score -= 16
        elif _CLAUSE_END.search(before):
            score -= 8
        elif tokens[k].space_before and tokens[k - 1].length <= 3:
            # "the", "a", "of" at the end of a line part from the words they belong to.
            score += 4
        if score < best_score:
            best_break, best_score = k, score
    return [_joined(tokens[first:best_break]), _joined(tokens[best_break : last + 1])]


def _joined(tokens: Sequence[_Token]) -> str:
    parts: list[str] = []
    for index, token in enumerate(tokens):
        if index and token.space_before:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _timed_cues(tokens: Sequence[_Token], groups: Sequence[tuple[int, int]]) -> tuple[Cue, ...]:
    layout = _Layout.of(tokens)
    cues: list[Cue] = []
    previous_end: int | None = None
    for first, last in groups:
        lines = _lines(tokens, layout, first, last)
        needed = _needed_ms(sum(visible_length(line) for line in lines))
        spoken_start = tokens[first].start_ms
        spoken_end = max(token.end_ms for token in tokens[first : last + 1])
        earliest = 0 if previous_end is None else previous_end
        start = max(spoken_start, earliest)
        end = max(spoken_end, start + needed)
        next_start = tokens[last + 1].start_ms if last + 1 < len(tokens) else None
        if next_start is not None and end > next_start:
            # Running into the next words: end there, and start earlier if there is room.
            end = max(spoken_end, next_start)
            start = min(start, max(earliest, end - needed))
            end = max(end, start + needed)
        if previous_end is not None and 0 < start - previous_end < MIN_GAP_MS:
            start = previous_end  # touch rather than flicker
        end = min(end, start + MAX_DURATION_MS)
        cues.append(Cue(start, end, "\n".join(_escaped(line) for line in lines)))
        previous_end = end
    return tuple(cues)


def _escaped(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
