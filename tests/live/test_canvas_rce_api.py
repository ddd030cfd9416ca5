"""canvas-rce-api (github.com/instructure/canvas-rce-api, read at commit 0c1fab2; the Rich
Content Editor's proxy to Canvas) against a live server: the Canvas requests it sends for media, written down as data —
method, path and query, headers and body exactly as its code builds them, each naming the file
and function it comes from — replayed over a socket, with assertions on what canvas-rce-api
reads from each answer (the status it forwards, the fields it maps, the ``Link`` header it
follows).

What is not replayed as canvas-rce-api sends it: the Bearer credential. canvas-rce-api forwards
a token wrapped for Canvas (app/token.js ``wrap``: base64 of an HS256 JWS around the RCE's
encrypted JWT), which only Canvas can unwrap; here the same header carries a mediaobjects access
token. ``test_a_wrapped_canvas_token_is_refused`` pins what mediaobjects does with the wrapped
form, and README.md says so. Requests canvas-rce-api makes for other RCE panels (file and folder
listings, usage rights, the Kaltura session, the RCE config) are not served; the last test pins
that too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from string import Template
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.api import Api, Person
from tests.support.live import live_server
from tests.support.media import fake_mp4
from tests.support.world import World, build_world

pytestmark = pytest.mark.live

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour\n"


@dataclass(frozen=True)
class Sent:
    """One request as canvas-rce-api sends it to Canvas. ``target`` and ``body`` are
    ``string.Template``s: ``${course}`` and the like are ids the test creates."""

    where: str  # canvas-rce-api file and function that builds it
    method: str
    target: str
    body: str | None = None


# ---- media objects: app/api/mediaObjects.js, routed by app/api/index.js ----------------------
# canvasPathGET builds the listing URL; wrapCanvas.js canvasApiCall sets per_page to 50 when the
# RCE sends none. getSort maps sort=date to created_at; getSortDir returns the bare word "asc"
# when the RCE sends no order, so "sort" and "asc" run together (titleasc, created_atasc).
# utils/search.js getSearch percent-encodes search_term once.
LIST_BY_TITLE = Sent(
    "app/api/mediaObjects.js canvasPathGET (contextType=course, sort=title, order=asc)",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=title&order=asc",
)
LIST_NEWEST_FIRST = Sent(
    "app/api/mediaObjects.js canvasPathGET (contextType=course, sort=date, order=desc)",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=created_at&order=desc",
)
LIST_TITLE_NO_ORDER = Sent(
    "app/api/mediaObjects.js canvasPathGET + getSortDir (sort=title, no order)",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=titleasc",
)
LIST_DATE_NO_ORDER = Sent(
    "app/api/mediaObjects.js canvasPathGET + getSortDir (sort=date, no order)",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=created_atasc",
)
LIST_SEARCH = Sent(
    "app/api/mediaObjects.js canvasPathGET + utils/search.js getSearch (searchTerm='Lecture 1')",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=title&order=asc&search_term=Lecture%201",
)
LIST_PAGED = Sent(
    "app/api/mediaObjects.js canvasPathGET (per_page=2 from the RCE, sort=title, order=asc)",
    "GET",
    "/api/v1/courses/${course}/media_objects?per_page=2&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks&sort=title&order=asc",
)
LIST_USER = Sent(
    "app/api/mediaObjects.js canvasPathGET (contextType=user: no context in the path)",
    "GET",
    "/api/v1/media_objects?per_page=50&use_verifiers=0&exclude[]=sources&exclude[]=tracks",
)
LIST_GROUP = Sent(
    "app/api/mediaObjects.js canvasPathGET (contextType=group)",
    "GET",
    "/api/v1/groups/${group}/media_objects?per_page=50&use_verifiers=0"
    "&exclude[]=sources&exclude[]=tracks",
)
# canvasPathPUT: the title in the query (encodeURIComponent); canvasProxy.js send posts the body
# express parsed from the RCE's request, which sends none: JSON.stringify({}).
RETITLE = Sent(
    "app/api/mediaObjects.js canvasPathPUT (mediaObjectId)",
    "PUT",
    "/api/v1/media_objects/${media_id}?user_entered_title=Week%201%3A%20Welcome",
    "{}",
)
RETITLE_ATTACHMENT = Sent(
    "app/api/mediaObjects.js canvasPathPUT (mediaAttachmentId)",
    "PUT",
    "/api/v1/media_attachments/${attachment_id}?user_entered_title=Week%202%20%26%20more",
    "{}",
)
# canvasPathPOST; the body is the RCE's, forwarded unchanged (wrapCanvas.js
# defaultTransformBody), in the shape canvas-rce's uploadMediaToCanvas sends.
REGISTER = Sent(
    "app/api/mediaObjects.js canvasPathPOST (/api/media_objects)",
    "POST",
    "/api/v1/media_objects",
    '{"id":"0_rcerec01","type":"video","context_code":"course_${course}",'
    '"title":"Recording.webm","user_entered_title":"My recording"}',
)
REGISTER_ATTACHMENT = Sent(
    "app/api/mediaObjects.js canvasPathPOST (/api/media_attachments)",
    "POST",
    "/api/v1/media_attachments",
    '{"id":"0_rcerec02","type":"audio","context_code":"course_${course}",'
    '"title":"Voice note.m4a","user_entered_title":"Voice note"}',
)

# ---- media tracks: app/api/mediaTracks.js ---------------------------------------------------
# canvasPath: include from the RCE's query, split at commas (utils/object.js
# getArrayQueryParam), as include[]=...; the response body is forwarded as is.
TRACKS = Sent(
    "app/api/mediaTracks.js canvasPath (mediaObjectId, no include)",
    "GET",
    "/api/v1/media_objects/${media_id}/media_tracks",
)
TRACKS_WITH_CONTENT = Sent(
    "app/api/mediaTracks.js canvasPath (mediaAttachmentId, include=content)",
    "GET",
    "/api/v1/media_attachments/${attachment_id}/media_tracks?include[]=content",
)
# transformBody keeps locale and, when truthy, content: a track without content is one the
# user kept (Canvas keeps it as it is); a track left out is deleted.
REPLACE_TRACKS = Sent(
    "app/api/mediaTracks.js canvasPath + transformBody (mediaObjectId, include=content)",
    "PUT",
    "/api/v1/media_objects/${media_id}/media_tracks?include[]=content",
    '[{"locale":"en"},{"locale":"fr","content":' + json.dumps(VTT) + "}]",
)

# ---- files: app/api/upload.js, app/api/file.js -----------------------------------------------
# upload.js transformBody: the RCE's file becomes Canvas's preflight body (contentType in
# camelCase, which Canvas ignores; parent_folder_id and category undefined, so left out).
PREFLIGHT_COURSE = Sent(
    "app/api/upload.js canvasPath + transformBody (contextType=course)",
    "POST",
    "/api/v1/courses/${course}/files",
    '{"name":"Lecture 11.mp4","size":2048,"contentType":"video/mp4",'
    '"on_duplicate":"rename","success_include":["preview_url"]}',
)
PREFLIGHT_USER = Sent(
    "app/api/upload.js canvasPath + transformBody (contextType=user)",
    "POST",
    "/api/v1/users/${user}/files",
    '{"name":"Lecture 1.mp4","size":2048,"contentType":"video/mp4",'
    '"on_duplicate":"rename","success_include":["preview_url"]}',
)
# file.js canvasPath: url.format with query {include: ["preview_url"]} writes include=...
# without brackets.
FILE = Sent(
    "app/api/file.js canvasPath", "GET", "/api/v1/files/${attachment_id}?include=preview_url"
)

# ---- requests for other RCE panels, which mediaobjects does not serve -------------------------
NOT_SERVED = [
    Sent(
        "app/api/documents.js canvasPath (contextType=course, content_types=video,audio)",
        "GET",
        "/api/v1/courses/${course}/files?per_page=50&use_verifiers=0"
        "&content_types[]=video&content_types[]=audio",
    ),
    Sent(
        "app/api/files.js canvasPath (folderId)",
        "GET",
        "/api/v1/folders/${folder}/files?per_page=50&include[]=preview_url&use_verifiers=0",
    ),
    Sent(
        "app/api/folders.js canvasPath (folderId=media, contextType=course)",
        "GET",
        "/api/v1/courses/${course}/folders/media",
    ),
    Sent(
        "app/api/usageRights.js canvasPath + transformBody (context_type=Course)",
        "PUT",
        "/api/v1/courses/${course}/usage_rights",
        '{"file_ids":[${attachment_id}],"publish":true,"usage_rights":'
        '{"use_justification":"own_copyright","legal_copyright":"(C) 2026","license":"private"}}',
    ),
    Sent(
        "app/api/kaltura.js canvasPath",
        "POST",
        "/api/v1/services/kaltura_session?include_upload_config=1",
        "{}",
    ),
    Sent(
        "app/api/rceConfig.js canvasPath (contextType=course)",
        "GET",
        "/api/v1/services/rce_config?course_id=${course}",
    ),
]


def rce_headers(credential: str, *, with_body: bool) -> dict[str, str]:
    """app/api/canvasProxy.js requestHeaders (and send's Content-Type): the Bearer credential,
    the browser's User-Agent passed on, the request id (express-request-id, a UUID) in base64
    with an HMAC-SHA512 signature of it, and the string-ids Accept header."""
    request_id = "9f1c3a52-6d0e-4c6b-8f57-2b1f0c3e7a41"
    signature = hmac.new(b"ecosystem-secret", request_id.encode(), hashlib.sha512).digest()
    headers = {
        "Authorization": f"Bearer {credential}",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "X-Request-Context-Id": base64.b64encode(request_id.encode()).decode(),
        "X-Request-Context-Signature": base64.b64encode(signature).decode(),
        "Accept": "application/json+canvas-string-ids",
    }
    if with_body:
        headers["Content-Type"] = "application/json"
    return headers


@dataclass
class Answer:
    status: int
    links: list[str]  # every Link header, in order
    body: Any  # parsed as app/utils/fetch.js parseFetchResponse does: JSON, else the text


class Rce:
    """Sends requests to the live server the way canvas-rce-api's canvasProxy.js does."""

    def __init__(self, base: str, credential: str, ids: dict[str, object]) -> None:
        self.base = base
        self.credential = credential
        self.ids = {name: str(value) for name, value in ids.items()}

    def target(self, sent: Sent) -> str:
        return Template(sent.target).substitute(self.ids)

    def send(self, sent: Sent) -> Answer:
        body = None if sent.body is None else Template(sent.body).substitute(self.ids)
        return self.fetch(sent.method, self.target(sent), body)

    def fetch(self, method: str, target: str, body: str | None = None) -> Answer:
        parts = urlsplit(self.base)
        assert parts.hostname is not None
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request(
                method,
                target,
                body=None if body is None else body.encode(),
                headers=rce_headers(self.credential, with_body=body is not None),
            )
            response = connection.getresponse()
            text = response.read().decode()
            links = response.headers.get_all("Link") or []
        finally:
            connection.close()
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        return Answer(response.status, links, parsed)


def parse_link_header(header: str) -> dict[str, dict[str, str]]:
    """What parse-link-header 2.x (the package canvas-rce-api parses Link with) returns: entries
    split where a comma is followed by ``<``; in each, the URL between ``<`` and ``>`` and
    ``name="value"`` parameters after ``;``; keyed by each word of ``rel``."""
    links: dict[str, dict[str, str]] = {}
    for entry in re.split(r",\s*<", header):
        match = re.match(r"<?([^>]*)>(.*)", entry)
        assert match is not None, entry
        info = {"url": match.group(1)}
        for param in match.group(2).split(";")[1:]:
            pair = re.match(r'\s*(.+?)\s*=\s*"?([^"]+)"?', param)
            if pair:
                info[pair.group(1)] = pair.group(2)
        for rel in info.get("rel", "").split():
            links[rel] = info
    return links


def next_bookmark(answer: Answer) -> str | None:
    """app/api/canvasProxy.js parseBookmark: the rel="next" URL of the first Link header."""
    if not answer.links:
        return None
    following = parse_link_header(answer.links[0]).get("next")
    return None if following is None else following["url"]


def rce_media_object(obj: dict[str, Any]) -> dict[str, Any]:
    """The fields app/api/mediaObjects.js transformMediaObject reads from Canvas's JSON."""
    return {
        "id": obj.get("media_id"),
        "title": obj.get("user_entered_title") or obj.get("title"),
        "content_type": obj.get("media_type"),
        "media_object": obj.get("media_object"),
        "date": obj.get("created_at"),
        "embedded_iframe_url": obj.get("embedded_iframe_url"),
    }


def titles(answer: Answer) -> list[str]:
    assert answer.status == 200, answer.body  # canvasResponseHandler maps only a 200
    assert isinstance(answer.body, list)
    return [rce_media_object(obj)["title"] for obj in answer.body]


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def world(api: Api) -> World:
    world = build_world(api)  # the teacher's "Lecture 1.mp4"
    for name in ("Lecture 2.mp4", "Lecture 10.mp4", "Campus tour.mp4"):
        api.upload(f"courses/{world.course}", world.teacher, name, fake_mp4(), "video/mp4")
    return world


def rce_for(world: World, base_url: str, who: Person, **extra: object) -> Rce:
    ids: dict[str, object] = {
        "course": world.course,
        "media_id": world.media_id,
        "attachment_id": world.attachment_id,
        "user": who.id,
        **extra,
    }
    return Rce(base_url, who.token, ids)


BY_TITLE = ["Campus tour.mp4", "Lecture 1.mp4", "Lecture 2.mp4", "Lecture 10.mp4"]
BY_UPLOAD = ["Lecture 1.mp4", "Lecture 2.mp4", "Lecture 10.mp4", "Campus tour.mp4"]


def test_media_listing_as_the_rce_sorts_and_searches_it(world: World, base_url: str) -> None:
    rce = rce_for(world, base_url, world.teacher)

    assert titles(rce.send(LIST_BY_TITLE)) == BY_TITLE
    assert titles(rce.send(LIST_TITLE_NO_ORDER)) == BY_TITLE
    assert titles(rce.send(LIST_NEWEST_FIRST)) == BY_UPLOAD[::-1]
    assert titles(rce.send(LIST_DATE_NO_ORDER)) == BY_UPLOAD
    assert titles(rce.send(LIST_SEARCH)) == ["Lecture 1.mp4", "Lecture 10.mp4"]

    answer = rce.send(LIST_BY_TITLE)
    first = answer.body[0]
    mapped = rce_media_object(first)
    assert isinstance(mapped["id"], str) and mapped["id"].startswith("m-")
    assert mapped["content_type"] == "video"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", mapped["date"])
    iframe = urlsplit(mapped["embedded_iframe_url"])
    assert f"{iframe.scheme}://{iframe.netloc}" == base_url
    assert iframe.path == f"/media_objects_iframe/{mapped['id']}"
    # exclude[]=sources&exclude[]=tracks was honoured.
    assert "media_sources" not in first and "media_tracks" not in first
    assert next_bookmark(answer) is None  # one page: the RCE shows no "load more"


def test_the_rce_pages_by_following_the_next_link(world: World, base_url: str) -> None:
    rce = rce_for(world, base_url, world.student)
    answer = rce.send(LIST_PAGED)
    pages = [titles(answer)]
    while (bookmark := next_bookmark(answer)) is not None:
        # canvasProxy.js parseBookmark keeps only the first Link header: there must be one.
        assert len(answer.links) == 1
        url = urlsplit(bookmark)
        # wrapCanvas.js fetches the bookmarked URL itself, so it must name this server...
        assert f"{url.scheme}://{url.netloc}" == base_url
        # ...and carry every filter: canvas-rce-api does not add them again.
        query = parse_qsl(url.query)
        for pair in (("exclude[]", "sources"), ("exclude[]", "tracks"), ("sort", "title")):
            assert pair in query, bookmark
        assert ("per_page", "2") in query
        assert len(pages) < 10, "the next links never end"
        answer = rce.fetch("GET", f"{url.path}?{url.query}")
        pages.append(titles(answer))
    assert pages == [BY_TITLE[:2], BY_TITLE[2:]]


def test_user_and_group_media_listings(api: Api, world: World, base_url: str) -> None:
    group = api.group(world.course, world.teacher, world.student)
    api.upload(f"groups/{group}", world.student, "Group pitch.mp4", fake_mp4(), "video/mp4")
    api.upload("users/self", world.teacher, "My screencast.mp4", fake_mp4(), "video/mp4")
    teacher = rce_for(world, base_url, world.teacher, group=group)
    student = rce_for(world, base_url, world.student, group=group)

    # contextType=user: the caller's own files' media, not the course's.
    assert titles(teacher.send(LIST_USER)) == ["My screencast.mp4"]
    assert titles(student.send(LIST_USER)) == []
    assert titles(teacher.send(LIST_GROUP)) == ["Group pitch.mp4"]
    assert titles(student.send(LIST_GROUP)) == ["Group pitch.mp4"]


def test_retitle_through_a_media_object_and_an_attachment(world: World, base_url: str) -> None:
    rce = rce_for(world, base_url, world.teacher)

    answer = rce.send(RETITLE)

    assert answer.status == 200, answer.body
    mapped = rce_media_object(answer.body)
    assert mapped["id"] == world.media_id
    assert mapped["title"] == "Week 1: Welcome"
    assert mapped["content_type"] == "video"
    assert urlsplit(mapped["embedded_iframe_url"]).path == f"/media_objects_iframe/{world.media_id}"
    assert "Week 1: Welcome" in titles(rce.send(LIST_BY_TITLE))

    answer = rce.send(RETITLE_ATTACHMENT)

    assert answer.status == 200, answer.body
    assert rce_media_object(answer.body)["title"] == "Week 2 & more"
    assert rce_media_object(answer.body)["id"] == world.media_id


@pytest.mark.parametrize(
    ("sent", "media_id", "media_type"),
    [(REGISTER, "0_rcerec01", "video"), (REGISTER_ATTACHMENT, "0_rcerec02", "audio")],
)
def test_register_a_recording(
    world: World, base_url: str, sent: Sent, media_id: str, media_type: str
) -> None:
    rce = rce_for(world, base_url, world.teacher)

    answer = rce.send(sent)

    # For this answer transformMediaObject finds only media_object and embedded_iframe_url
    # (Canvas's reply is wrapped the same way); the RCE reads the rest inside media_object.
    assert answer.status == 200, answer.body
    mapped = rce_media_object(answer.body)
    assert mapped["media_object"]["media_id"] == media_id
    assert mapped["media_object"]["media_type"] == media_type
    assert isinstance(mapped["media_object"]["attachment_id"], str)
    assert mapped["embedded_iframe_url"].startswith(f"{base_url}/media_attachments_iframe/")
    listed = {o["media_id"]: o for o in rce.send(LIST_BY_TITLE).body}
    assert rce_media_object(listed[media_id])["content_type"] == media_type


def test_caption_tracks_as_the_rce_reads_and_replaces_them(
    api: Api, world: World, base_url: str
) -> None:
    path = f"/api/v1/media_objects/{world.media_id}/media_tracks"
    api.ok(
        "PUT",
        path,
        world.teacher,
        json=[{"locale": "en", "content": SRT}, {"locale": "de", "content": SRT}],
    )
    rce = rce_for(world, base_url, world.teacher)

    listed = rce.send(TRACKS)
    assert listed.status == 200, listed.body
    assert [(t["locale"], t["kind"]) for t in listed.body] == [
        ("de", "subtitles"),
        ("en", "subtitles"),
    ]
    assert all(isinstance(t["id"], str) for t in listed.body)
    with_content = rce.send(TRACKS_WITH_CONTENT)
    assert with_content.status == 200, with_content.body
    assert {t["locale"]: t["content"] for t in with_content.body} == {"de": SRT, "en": SRT}

    replaced = rce.send(REPLACE_TRACKS)

    assert replaced.status == 200, replaced.body
    # en was sent without content: kept as it was; fr is new; de was left out: deleted.
    assert {t["locale"]: t["content"] for t in replaced.body} == {"en": SRT, "fr": VTT}
    again = rce.send(TRACKS_WITH_CONTENT)
    assert {t["locale"]: t["content"] for t in again.body} == {"en": SRT, "fr": VTT}


def test_upload_preflight_and_file_lookup(api: Api, world: World, base_url: str) -> None:
    rce = rce_for(world, base_url, world.teacher)

    for sent, name in ((PREFLIGHT_COURSE, "Lecture 11.mp4"), (PREFLIGHT_USER, "Lecture 1.mp4")):
        answer = rce.send(sent)
        # upload.js forwards status and body; the RCE then posts the file to upload_url.
        assert answer.status == 200, answer.body
        ticket = answer.body
        assert ticket["file_param"] == "file"
        assert ticket["upload_params"]["filename"] == name
        step2 = api.client.post(
            ticket["upload_url"],
            data=ticket["upload_params"],
            files={"file": (name, fake_mp4(), "video/mp4")},
        )
        assert step2.status_code == 201, step2.text

    answer = rce.send(FILE)

    # file.js canvasResponseHandler maps id, content-type, display_name, url, preview_url, and
    # fileEmbed: mime_class "video" without a preview_url is a video embed of media_entry_id.
    assert answer.status == 200, answer.body
    file = answer.body
    assert file["id"] == str(world.attachment_id)
    assert file["content-type"] == "video/mp4"
    assert file["display_name"] == "Lecture 1.mp4"
    assert file["url"].startswith(f"{base_url}/files/{world.attachment_id}/download")
    assert file["mime_class"] == "video" and not file.get("preview_url")
    assert file["media_entry_id"] == world.media_id


def test_a_wrapped_canvas_token_is_refused(world: World, base_url: str) -> None:
    # app/token.js wrap: base64 of a compact HS256 JWS whose payload is {"user_token": ...}.
    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64url(b'{"alg":"HS256"}')
    payload = b64url(json.dumps({"user_token": "eyJhbGciOiJkaXIifQ..x.y.z"}).encode())
    signature = b64url(hmac.new(b"signing", f"{header}.{payload}".encode(), "sha256").digest())
    wrapped = base64.b64encode(f"{header}.{payload}.{signature}".encode()).decode()
    rce = Rce(base_url, wrapped, {"course": world.course})

    answer = rce.send(LIST_BY_TITLE)

    assert answer.status == 401
    assert answer.body == {"errors": [{"message": "Invalid access token."}]}


@pytest.mark.parametrize("sent", NOT_SERVED, ids=lambda sent: sent.where)
def test_requests_for_other_rce_panels_are_not_served(
    api: Api, world: World, base_url: str, sent: Sent
) -> None:
    folder = api.ok("GET", f"/api/v1/courses/{world.course}/folders/root", world.teacher)["id"]
    rce = rce_for(world, base_url, world.teacher, folder=folder)

    answer = rce.send(sent)

    # 405 where the path exists for another method (POST .../files is the upload preflight).
    assert answer.status in (404, 405), answer.body
    assert [set(error) >= {"message"} for error in answer.body["errors"]] == [True]
