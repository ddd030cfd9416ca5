"""The Link header of paginated lists, byte for byte (canvas-media-api.md §2.0, decision D11,
client-contract.md §1.1): real clients split it on "," and ";", match ``rel="next"$`` and
follow only links to the host they were configured with, so every byte matters."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests.utils
from uw_canvas import Canvas  # type: ignore[import-untyped]

from mediaobjects.http.pagination import MAX_LINK_HEADER_LENGTH, last_page, link_header

HOST = "http://localhost:8000"


def uw_canvas_links(header: str) -> dict[str, str]:
    """What uw_canvas does (split on "," then ";", strip "<" and ">"), for every rel."""
    out: dict[str, str] = {}
    for link in header.split(","):
        url, rel = link.split(";")
        match = re.fullmatch(r' rel="([a-z]+)"', rel)
        assert match, rel
        out[match.group(1)] = url.lstrip("<").rstrip(">")
    return out


class _Response:
    def __init__(self, header: str) -> None:
        self.header = header

    def getheader(self, name: str, default: str = "") -> str:
        return self.header if name.lower() == "link" else default


def test_case_79_twenty_five_objects_ten_a_page_first_page() -> None:
    # Case 79, adapted per D11: the base is the path requested, not .../media_attachments.
    header = link_header(f"{HOST}/api/v1/media_objects?per_page=10", 1, 10, 25)
    assert header == (
        f'<{HOST}/api/v1/media_objects?page=1&per_page=10>; rel="current",'
        f'<{HOST}/api/v1/media_objects?page=2&per_page=10>; rel="next",'
        f'<{HOST}/api/v1/media_objects?page=1&per_page=10>; rel="first",'
        f'<{HOST}/api/v1/media_objects?page=3&per_page=10>; rel="last"'
    )


def test_middle_page_has_every_rel_in_canvas_order() -> None:
    url = (
        "https://canvas.example.edu/api/v1/courses/17/media_attachments"
        "?sort=title&exclude[]=sources&exclude[]=tracks&page=2&per_page=10&order=desc"
    )
    base = (
        "https://canvas.example.edu/api/v1/courses/17/media_attachments"
        "?exclude%5B%5D=sources&exclude%5B%5D=tracks&order=desc&sort=title"
    )
    assert link_header(url, 2, 10, 25) == (
        f'<{base}&page=2&per_page=10>; rel="current",'
        f'<{base}&page=3&per_page=10>; rel="next",'
        f'<{base}&page=1&per_page=10>; rel="prev",'
        f'<{base}&page=1&per_page=10>; rel="first",'
        f'<{base}&page=3&per_page=10>; rel="last"'
    )


def test_last_page_has_prev_but_no_next() -> None:
    header = link_header(f"{HOST}/api/v1/media_objects?page=3", 3, 10, 25)
    assert [rel for rel in uw_canvas_links(header)] == ["current", "prev", "first", "last"]


def test_empty_list_links_to_page_one_as_first_and_last() -> None:
    header = link_header(f"{HOST}/api/v1/media_objects", 1, 10, 0)
    assert header == (
        f'<{HOST}/api/v1/media_objects?page=1&per_page=10>; rel="current",'
        f'<{HOST}/api/v1/media_objects?page=1&per_page=10>; rel="first",'
        f'<{HOST}/api/v1/media_objects?page=1&per_page=10>; rel="last"'
    )


def test_page_past_the_end_links_back_as_canvas_does() -> None:
    links = uw_canvas_links(link_header(f"{HOST}/api/v1/media_objects", 5, 10, 25))
    assert list(links) == ["current", "prev", "first", "last"]
    assert links["prev"].endswith("page=4&per_page=10")
    assert links["last"].endswith("page=3&per_page=10")


@pytest.mark.parametrize(
    ("total", "per_page", "expected"),
    [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (25, 10, 3), (100_000, 100, 1000)],
)
def test_last_page_number(total: int, per_page: int, expected: int) -> None:
    assert last_page(total, per_page) == expected


def test_page_per_page_and_credentials_are_dropped_from_the_filters() -> None:
    url = (
        f"{HOST}/api/v1/media_objects?access_token=1~secret&api_key=k&page=2&per_page=5"
        "&per_page=7&sort=created_at"
    )
    header = link_header(url, 2, 5, 12)
    assert "secret" not in header and "api_key" not in header and "access_token" not in header
    assert header.split(",")[0] == (
        f'<{HOST}/api/v1/media_objects?sort=created_at&page=2&per_page=5>; rel="current"'
    )


def test_awkward_search_terms_are_percent_encoded() -> None:
    # "," and ";" would split the header in uw_canvas; spaces, quotes, "<>" and non-ASCII
    # must not appear raw either.
    url = f"{HOST}/api/v1/media_objects?search_term=a,b; c%20%22d%22 <é>&exclude%5B%5D=tracks"
    header = link_header(url, 1, 2, 5)
    current = header.split(",")[0]
    assert current == (
        f"<{HOST}/api/v1/media_objects?exclude%5B%5D=tracks"
        '&search_term=a%2Cb%3B+c+%22d%22+%3C%C3%A9%3E&page=1&per_page=2>; rel="current"'
    )
    links = uw_canvas_links(header)
    for url_ in links.values():
        assert not re.search(r"[\s,;<>\"]", url_) and url_.isascii()
        query = dict(parse_qsl(urlsplit(url_).query))
        assert query["search_term"] == 'a,b; c "d" <é>'


def test_unicode_filters_round_trip_through_every_link() -> None:
    url = f"{HOST}/api/v1/courses/3/media_objects?search_term=%C3%89quipe%20%E2%80%94%202"
    for url_ in uw_canvas_links(link_header(url, 2, 1, 3)).values():
        assert dict(parse_qsl(urlsplit(url_).query))["search_term"] == "Équipe — 2"


def test_keys_are_sorted_and_values_of_one_key_keep_their_order() -> None:
    url = f"{HOST}/x?z=1&include[]=b&a=2&include[]=a&include=c,d"
    assert link_header(url, 1, 10, 1).split(",")[0] == (
        f"<{HOST}/x?a=2&include=c%2Cd&include%5B%5D=b&include%5B%5D=a&z=1"
        '&page=1&per_page=10>; rel="current"'
    )


def test_blank_values_are_kept() -> None:
    header = link_header(f"{HOST}/x?order=&sort=title", 1, 10, 1)
    assert header.startswith(f'<{HOST}/x?order=&sort=title&page=1&per_page=10>; rel="current"')


def test_scheme_host_and_port_come_from_the_request() -> None:
    for origin in ("http://127.0.0.1:59123", "https://media.example.edu", "http://[::1]:8080"):
        for url_ in uw_canvas_links(
            link_header(f"{origin}/api/v1/media_objects", 1, 1, 3)
        ).values():
            parts = urlsplit(url_)
            assert f"{parts.scheme}://{parts.netloc}" == origin
            assert parts.path == "/api/v1/media_objects"


def test_path_characters_that_would_split_the_header_are_encoded() -> None:
    header = link_header(f"{HOST}/api/v1/courses/sis_course_id:2013,PHYS;x/media_objects", 1, 1, 1)
    assert header.startswith(
        f"<{HOST}/api/v1/courses/sis_course_id:2013%2CPHYS%3Bx/media_objects?page=1"
    )


def test_nothing_follows_the_closing_quote_of_a_rel() -> None:
    # @kth/canvas-api matches each segment against rel="next"$.
    header = link_header(f"{HOST}/api/v1/media_objects", 2, 10, 50)
    segments = header.split(",")
    assert len(segments) == 5
    assert any(re.search(r'rel="next"$', s) for s in segments)
    assert all(re.search(r'^<[^<>]+>; rel="(current|next|prev|first|last)"$', s) for s in segments)
    assert ", " not in header and not header.endswith(",")


def test_uw_canvas_follows_the_next_link() -> None:
    url = f"{HOST}/api/v1/media_objects?exclude%5B%5D=sources&search_term=a%2Cb"
    header = link_header(url, 1, 2, 5)
    next_url = Canvas._next_page(None, _Response(header))
    assert next_url == (
        f"{HOST}/api/v1/media_objects?exclude%5B%5D=sources&search_term=a%2Cb&page=2&per_page=2"
    )


def test_requests_link_parsing_as_canvasapi_uses_it() -> None:
    header = link_header(f"{HOST}/api/v1/media_objects?search_term=x%3By", 2, 2, 5)
    links = {link["rel"]: link["url"] for link in requests.utils.parse_header_links(header)}
    assert links == uw_canvas_links(header)
    assert set(links) == {"current", "next", "prev", "first", "last"}


def test_every_link_carries_an_integer_page_as_atomicjolt_requires() -> None:
    links = uw_canvas_links(link_header(f"{HOST}/api/v1/media_objects", 1, 3, 7))
    for rel in ("current", "first", "last"):
        assert re.search(r"[?&]page=[0-9]+(&|$)", links[rel])


def test_oversized_headers_keep_links_in_canvas_priority_order() -> None:
    # Each link is about 1.5 KB: next, last, prev and current fit in 6 KB; first does not.
    url = f"{HOST}/api/v1/media_objects?search_term=" + "a" * 1400
    header = link_header(url, 2, 10, 100)
    assert len(header) <= MAX_LINK_HEADER_LENGTH
    assert list(uw_canvas_links(header)) == ["current", "next", "prev", "last"]


def test_very_long_filters_keep_only_what_fits() -> None:
    url = f"{HOST}/api/v1/media_objects?search_term=" + "a" * 2500
    header = link_header(url, 2, 10, 100)
    assert len(header) <= MAX_LINK_HEADER_LENGTH
    assert list(uw_canvas_links(header)) == ["next", "last"]
    huge = link_header(f"{HOST}/x?q=" + "b" * 7000, 2, 10, 100)
    assert huge == ""
