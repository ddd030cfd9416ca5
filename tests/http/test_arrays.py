"""Array parameters in every encoding real clients send (decision D6, client-contract.md §1.2):
a client that sends ``include=a,b`` or a JSON list gets what it asked for, not a 500."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from mediaobjects.http.arrays import array_param


def pairs(query: str) -> list[tuple[str, str]]:
    # As http.params does: the query string decoded by parse_qsl.
    return parse_qsl(query, keep_blank_values=True)


@pytest.mark.parametrize(
    "query",
    [
        "include[]=content&include[]=updated_at",  # canvas-rce-api, Canvas docs' curl
        "include%5B%5D=content&include%5B%5D=updated_at",  # canvasapi, uw_canvas
        "include=content,updated_at",  # callers of the RCS
        "include=content&include=updated_at",  # atomicjolt Go (go-querystring)
        "include%5B0%5D=content&include%5B1%5D=updated_at",  # Guzzle http_build_query
        "include=%5B%22content%22%2C%22updated_at%22%5D",  # JSON.stringify'd list
        "include[]=content&include=updated_at",  # mixtures
        "include=content&include%5B%5D=updated_at",
        "include=content%2Cupdated_at",  # comma percent-encoded
    ],
)
def test_every_encoding_gives_the_same_list(query: str) -> None:
    assert array_param(pairs(query), "include") == ["content", "updated_at"]


def test_values_are_stripped_blanks_dropped_and_repeats_removed_in_order() -> None:
    query = "exclude[]=+tracks+&exclude=&exclude=sources,,tracks&exclude[]=&exclude[]=sources"
    assert array_param(pairs(query), "exclude") == ["tracks", "sources"]


def test_absent_parameter_is_an_empty_list() -> None:
    assert array_param(pairs("sort=title&per_page=2"), "include") == []
    assert array_param([], "include") == []


def test_other_parameters_and_prefixes_are_not_mixed_in() -> None:
    query = "includes[]=a&include_x=b&xinclude[]=c&exclude[]=d&include[]=e"
    assert array_param(pairs(query), "include") == ["e"]


def test_nested_forms_are_ignored_as_rails_ignores_them() -> None:
    query = "exclude%5B%5D%5B0%5D=sources&exclude[a]=tracks&exclude[]=tracks"
    assert array_param(pairs(query), "exclude") == ["tracks"]


def test_json_list_keeps_strings_and_numbers_only() -> None:
    query = 'include=["content", 5, true, null, ["x"], {"a": 1}, " webvtt_content "]'
    assert array_param(pairs(query.replace(" ", "%20")), "include") == [
        "content",
        "5",
        "webvtt_content",
    ]


def test_text_that_only_looks_like_json_is_a_comma_list() -> None:
    assert array_param([("include", "[content,updated_at")], "include") == [
        "[content",
        "updated_at",
    ]


def test_bracketed_values_are_not_split_on_commas_as_in_rails() -> None:
    assert array_param([("include[]", "a,b")], "include") == ["a,b"]


def test_unicode_values_pass_through() -> None:
    assert array_param(pairs("tag[]=%C3%89quipe&tag=caf%C3%A9"), "tag") == ["Équipe", "café"]
