"""Edited cues (``captions.editing``): any list of drafts the checks accept is written as
WebVTT that the strict parser reads back as exactly those cues (text as the writer escapes it),
inside the document's own header and blocks; drafts it would not read back are refused."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import CaptionDocument, Note, escape_cue_text, parse_webvtt, write_webvtt
from mediaobjects.captions.editing import CueDraft, cue_problems, to_cues, with_cues
from mediaobjects.captions.timestamps import MAX_TIMESTAMP_MS

_TRICKY = ["\n", "\n\n", "-->", "--", ">", "<", "&", "\x00", " ", "\t", "\r", "NOTE", "WEBVTT"]
_SAFE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    max_size=6,
)
_SOMETIMES_TRICKY = st.lists(
    st.one_of(_SAFE, _SAFE, st.sampled_from(["\n", "&", "<", ">", "--", "<i>", "</i>"])),
    max_size=5,
).map("".join)
_TEXT = st.one_of(
    _SOMETIMES_TRICKY,
    _SAFE,
    st.lists(st.one_of(st.text(max_size=6), st.sampled_from(_TRICKY)), max_size=6).map("".join),
)
_TIME = (
    st.integers(0, 10_000)
    | st.integers(0, 10_000)
    | st.integers(0, 10_000)
    | st.sampled_from([-1, MAX_TIMESTAMP_MS - 1, MAX_TIMESTAMP_MS + 1])
)
_SETTINGS = st.one_of(
    st.sampled_from(["", "align:start", "line:0  position:10%", "size:50%\tvertical:rl"]),
    st.sampled_from(["", "align:start", "region:low"]),
    st.sampled_from(["", "align:start", "region:low"]),
    _TEXT,
)
_DURATION = st.integers(1, 5000) | st.integers(1, 5000) | st.sampled_from([0, -1])


@st.composite
def _drafts(draw: st.DrawFn) -> CueDraft:
    """Mostly valid fields (so that many lists are accepted), each sometimes a tricky one."""

    def pick(valid: st.SearchStrategy[Any], tricky: st.SearchStrategy[Any]) -> Any:
        return draw(tricky if draw(st.integers(0, 9)) == 0 else valid)

    start = pick(st.integers(0, 10_000), _TIME)
    return CueDraft(
        start_ms=start,
        end_ms=start + pick(st.integers(1, 5000), _DURATION),
        text=pick(_SOMETIMES_TRICKY, _TEXT),
        identifier=pick(st.none() | _SAFE, _TEXT),
        settings=pick(st.sampled_from(["", "align:start", "region:low"]), _SETTINGS),
    )


_DRAFT = _drafts()
_DOCUMENT = CaptionDocument(
    cues=(),
    header="- lecture",
    header_lines=("Kind: captions",),
    styles=("::cue { color: yellow }",),
    regions=("id:low width:40%",),
    notes=(Note("first", 0), Note("after two", 2)),
)


@settings(max_examples=300, deadline=None)
@given(drafts=st.lists(_DRAFT, max_size=4))
def test_accepted_drafts_read_back_as_written_and_refused_ones_would_not(
    drafts: list[CueDraft],
) -> None:
    if cue_problems(drafts):
        return
    event(f"accepted {len(drafts)} cues")
    cues = to_cues(drafts)
    written = write_webvtt(with_cues(_DOCUMENT, cues))
    parsed = parse_webvtt(written)
    assert [(c.start_ms, c.end_ms, c.text, c.identifier, c.settings) for c in parsed.cues] == [
        (d.start_ms, d.end_ms, escape_cue_text(d.text), d.identifier or None, c.settings)
        for d, c in zip(drafts, cues, strict=True)
    ]
    assert parsed.header == "- lecture" and parsed.styles == _DOCUMENT.styles
    assert parsed.regions == _DOCUMENT.regions
    assert [n.text for n in parsed.notes] == ["first", "after two"]


def test_problems_name_the_cue_and_the_field() -> None:
    drafts = [
        CueDraft(0, 1000, "fine"),
        CueDraft(2000, 2000, "a\n\nb", identifier="x\ny", settings="bogus"),
    ]
    found = [(p.cue, p.field) for p in cue_problems(drafts)]
    assert found == [(1, "end"), (1, "text"), (1, "identifier"), (1, "settings")]


def test_notes_keep_their_place_or_move_to_the_end() -> None:
    kept = with_cues(_DOCUMENT, to_cues([CueDraft(0, 1, "only")]))
    assert [n.before_cue for n in kept.notes] == [0, 1]
