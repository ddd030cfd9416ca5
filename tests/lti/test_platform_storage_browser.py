"""The login in a real browser (Debian's chromium, headless) inside an LMS's iframe on another
site, through the service's own /lti/login and /lti/launch: the tool on 127.0.0.1, the "LMS"
on 127.0.0.2 (a strict test platform: it checks the redirect URI and signs real id_tokens).
The LMS answers ``lti.put_data`` / ``lti.get_data`` as Canvas does (per tool origin, to the
asking window and origin only), from its ``post_message_forwarding`` frame or from the page
itself (``_parent``).

What a person would notice: with the tool's cookies blocked the launch still completes,
through platform storage; when the platform does not answer, "Open in a new tab" appears
instead of a broken frame, and a launch whose stored login is gone says what to do; with only
third-party cookies blocked the partitioned cookie carries the login; an attacker's page
cannot post its own state and binding at the launch."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.applications import Starlette
from starlette.routing import Route

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.lti.cookies import COOKIE_PREFIX
from mediaobjects.lti.platform_storage import BINDING_FIELD, STORAGE_TARGET_FIELD
from mediaobjects.lti.registrations import RegistrationInput, register_platform
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.lti.helpers import user_exists
from tests.support.browser import artifacts_dir, axe_violations, chromium_blocking_cookies
from tests.support.live import live_server
from tests.support.lti_platform import INSTRUCTOR, Person, Platform

pytestmark = pytest.mark.live
# Canvas's name for the frame beside the tool that carries platform storage.
FORWARDING = "post_message_forwarding"
TEACHER = Person("user-7", "Robin Framed", "robin@lms.example.edu", [INSTRUCTOR])
ATTACKER = Person("attacker", "Mallory", "mallory@lms.example.edu", [INSTRUCTOR])
CONTEXT = {"id": "course-7", "title": "Week by week"}
# Frames in the browser's main process: the tool's frame goes tool -> LMS (authorization) ->
# tool, and with one process per site Playwright lost track of it after the swap back about
# half the time (the launch had completed). What a page can see (origins, cookies,
# postMessage) does not depend on the process model.
ONE_PROCESS = (
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
)
# And third-party cookies blocked, as the test's name says, wherever cookies are not blocked
# for the tool's site altogether.
BROWSER_ARGS = (*ONE_PROCESS, "--test-third-party-cookie-phaseout")
# Generous: the page gives up after 3 s without an answer, then shows the fallback.
WAIT_MS = 20_000
SIGNED_IN = "You are signed in from your LMS as"


@dataclass
class Sites:
    tool: str = ""
    platform: str = ""
    lms: Platform = field(default_factory=Platform)
    authorizations: int = 0
    ctx: AppContext | None = None

    @property
    def launch_url(self) -> str:
        return self.tool + "/lti/launch"

    def id_token(self, person: Person, nonce: str) -> str:
        return self.lms.sign(self.lms.claims(person, nonce, context=CONTEXT))

    def initiation(self, person: Person, target: str = "") -> dict[str, str]:
        found = {
            "iss": self.lms.issuer,
            "client_id": self.lms.client_id,
            "login_hint": person.sub,
            "lti_message_hint": target,
            "target_link_uri": self.launch_url,
            "lti_deployment_id": self.lms.deployment_id,
        }
        if target:
            found[STORAGE_TARGET_FIELD] = target
        return found


# Canvas's platform storage (ui/shared/lti/jquery: messages.ts, subjects/lti.put_data.ts,
# lti.get_data.ts, platform_storage.ts), reduced to what a tool sees: values kept per tool
# origin, the answer posted to the asking window at its origin, ``<subject>.response`` with
# the message_id, a bad_request error without key or message_id, and no value removes the
# key. Only the tool this LMS launched is answered (the forwarding frame's origin check).
STORAGE_SCRIPT = """
const TOOL = %(tool)s, MODE = %(mode)s;
window.platformStore = {}; window.platformLog = [];
window.addEventListener("message", (event) => {
  const m = event.data;
  if (!m || typeof m !== "object" || !["lti.put_data", "lti.get_data"].includes(m.subject)) return;
  window.platformLog.push([m.subject, event.origin, m.key, m.value === undefined ? null : m.value]);
  if (MODE === "silent" || event.origin !== TOOL) return;
  const reply = {subject: m.subject + ".response", message_id: m.message_id, key: m.key};
  const bucket = (window.platformStore[event.origin] ||= {});
  if (!m.key || !m.message_id) {
    reply.error = {code: "bad_request", message: "Missing required 'key' field"};
  } else if (m.subject === "lti.put_data") {
    // "forget": a platform that says it stored the value and then lost it (storage cleared).
    if (m.value) { if (MODE !== "forget") bucket[m.key] = m.value; reply.value = m.value; }
    else { delete bucket[m.key]; }
  } else {
    reply.value = m.key in bucket ? bucket[m.key] : null;
  }
  event.source.postMessage(reply, event.origin);
});
"""


def auto_post(action: str, fields: dict[str, str], *, pause: bool = False) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    if pause:
        # The test looks at the browser's cookies between login and launch, then goes on.
        return (
            f'<!doctype html><form method="post" action="{html.escape(action)}">{inputs}'
            "<button>Continue</button></form>"
        )
    return (
        f'<!doctype html><form method="post" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.forms[0].submit()</script>"
    )


def platform_app(sites: Sites) -> Starlette:
    def storage(mode: str) -> str:
        return STORAGE_SCRIPT % {"tool": json.dumps(sites.tool), "mode": json.dumps(mode)}

    def course(request: Request) -> HTMLResponse:
        """The LMS page: the tool's frame, with its storage target, beside the forwarding
        frame (Canvas) or answering itself (``_parent``)."""
        target = request.query_params.get("target", "")
        mode = request.query_params.get("mode", "answer")
        initiation = sites.initiation(TEACHER, target)
        if mode == "pause":
            initiation["lti_message_hint"] = "pause:" + target
        src = sites.tool + "/lti/login?" + urlencode(initiation)
        own = f"<script>{storage(mode)}</script>" if target == "_parent" else ""
        forwarder = (
            f'<iframe name="{FORWARDING}" src="/forwarder?mode={mode}" hidden></iframe>'
            if target == FORWARDING
            else ""
        )
        return HTMLResponse(
            f"<!doctype html><title>Course</title><h1>Week 1</h1>{own}{forwarder}"
            f'<iframe name="tool" title="mediaobjects" src="{html.escape(src)}" '
            'width="900" height="600"></iframe>'
        )

    def forwarder(request: Request) -> HTMLResponse:
        mode = request.query_params.get("mode", "answer")
        return HTMLResponse(f"<!doctype html><script>{storage(mode)}</script>")

    def authorize(request: Request) -> HTMLResponse:
        """The OIDC authorization endpoint: checks the tool's request to the letter, then
        posts a signed id_token to the redirect URI (the storage target travels in
        ``lti_message_hint`` here, as a platform keeps it in its own launch record)."""
        query = sites.lms.authorize(str(request.url), TEACHER.sub)
        sites.authorizations += 1
        hint = query.get("lti_message_hint", "")
        pause = hint.startswith("pause:")
        target = hint.removeprefix("pause:")
        fields = {"id_token": sites.id_token(TEACHER, query["nonce"]), "state": query["state"]}
        if target:
            fields[STORAGE_TARGET_FIELD] = target
        return HTMLResponse(auto_post(query["redirect_uri"], fields, pause=pause))

    def forge(request: Request) -> HTMLResponse:
        """An attacker's page: their own state, binding and id_token posted straight at the
        tool's launch, inside a frame beside a storage frame of this site."""
        src = "/forge-form?" + urlencode(dict(request.query_params))
        return HTMLResponse(
            f'<!doctype html><iframe name="{FORWARDING}" src="/forwarder" hidden></iframe>'
            f'<iframe name="tool" title="tool" src="{html.escape(src)}"></iframe>'
        )

    def forge_form(request: Request) -> HTMLResponse:
        return HTMLResponse(auto_post(sites.launch_url, dict(request.query_params)))

    return Starlette(
        routes=[
            Route("/course", course),
            Route("/forwarder", forwarder),
            Route(urlsplit(sites.lms.auth_login_url).path, authorize),
            Route("/forge", forge),
            Route("/forge-form", forge_form),
        ]
    )


@pytest.fixture
def sites(settings: Settings) -> Iterator[Sites]:
    found = Sites()
    with live_server(platform_app(found), host="127.0.0.2") as platform:
        found.platform = platform
        found.lms = Platform(issuer=platform)
        # Known once the tool's server is up (below); the platform reads it per request.
        ctx = build_context(
            settings,
            storage=LocalStorage(settings.data_dir / "files"),
            lti_key_set_fetcher=lambda url, timeout: found.lms.fetch(url, timeout),
        )
        found.ctx = ctx
        with ctx.write() as session:
            register_platform(session, RegistrationInput(**found.lms.registration()))
        try:
            with live_server(create_app(context=ctx)) as tool:
                found.tool = tool
                found.lms.launch_url = found.launch_url
                yield found
        finally:
            ctx.close()


def open_course(context: Any, sites: Sites, query: str) -> tuple[Any, list[str]]:
    """The LMS's course page, and the Content-Security-Policy complaints of every frame."""
    page = context.new_page()
    refused: list[str] = []
    # The context's console: every frame of every page, the new tab's too.
    context.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{sites.platform}/course?{query}")
    return page, refused


def tool_frame(page: Any) -> Any:
    """The tool's frame as a locator, found again on every use (a Frame handle kept from
    before the navigations can miss the last page)."""
    return page.frame_locator('iframe[name="tool"]')


def storage_log(page: Any, target: str) -> list[list[Any]]:
    holder = page.main_frame if target == "_parent" else page.frame(name=FORWARDING)
    log: list[list[Any]] = holder.evaluate("() => window.platformLog")
    return log


def wait_signed_in(page: Any) -> Any:
    message = tool_frame(page).get_by_text(SIGNED_IN)
    message.wait_for(timeout=WAIT_MS)
    return message


def login_cookies(context: Any) -> list[dict[str, Any]]:
    return [c for c in context.cookies() if c["name"].startswith(COOKIE_PREFIX)]


@pytest.mark.parametrize("target", [FORWARDING, "_parent"])
def test_the_login_round_trips_through_platform_storage_with_cookies_blocked(
    sites: Sites, tmp_path: Path, target: str
) -> None:
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(sites.tool,), args=BROWSER_ARGS
    ) as context:
        page, refused = open_course(context, sites, urlencode({"target": target}))
        assert TEACHER.name in wait_signed_in(page).inner_text()
        # The browser really kept no cookie of the tool, partitioned or not: storage did it.
        assert [c for c in context.cookies() if c["domain"] == "127.0.0.1"] == []
        # Stored at login, read at launch, then removed: nothing left in the platform.
        log = storage_log(page, target)
        subjects = [(subject, origin, value is not None) for subject, origin, _, value in log]
        assert subjects == [
            ("lti.put_data", sites.tool, True),
            ("lti.get_data", sites.tool, False),
            ("lti.put_data", sites.tool, False),
        ]
        assert len({key for _, _, key, _ in log}) == 1
        holder = page.main_frame if target == "_parent" else page.frame(name=FORWARDING)
        assert holder.evaluate("(tool) => window.platformStore[tool]", sites.tool) == {}
        assert refused == []


def test_a_platform_that_does_not_answer_gets_open_in_a_new_tab(
    sites: Sites, tmp_path: Path
) -> None:
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(sites.tool,), args=BROWSER_ARGS
    ) as context:
        page, refused = open_course(
            context, sites, urlencode({"target": FORWARDING, "mode": "silent"})
        )
        frame = tool_frame(page)
        link = frame.get_by_role("link", name="Open in a new tab")
        link.wait_for(timeout=WAIT_MS)
        assert frame.get_by_role("heading", level=2).inner_text() == (
            "Your browser blocked the sign-in"
        )
        assert not frame.locator(".lti-working").is_visible()
        # It asked, waited, and never went on to the platform's sign-in.
        assert [entry[0] for entry in storage_log(page, FORWARDING)] == ["lti.put_data"]
        assert sites.authorizations == 0
        assert frame.locator("#lti-storage").get_attribute("data-step") == "login"
        # The link starts the same login again, top level, without the storage target.
        with page.expect_popup() as popup_info:
            link.click()
        popup = popup_info.value
        opened = urlsplit(popup.url)
        assert (opened.scheme + "://" + opened.netloc, opened.path) == (sites.tool, "/lti/login")
        sent = parse_qs(opened.query)
        assert sent["login_hint"] == [TEACHER.sub] and STORAGE_TARGET_FIELD not in sent
        page.screenshot(path=str(artifacts_dir() / "lti-fallback-in-frame.png"))
        # This browser blocks the tool's cookies everywhere, so the new tab cannot sign in
        # either: it says how to get on rather than offering yet another tab.
        advice = popup.locator(".lti-top-level")
        advice.wait_for(timeout=WAIT_MS)
        assert "Allow cookies for this site" in advice.inner_text()
        assert not popup.get_by_role("link", name="Open in a new tab").is_visible()
        assert axe_violations(popup) == []
        popup.screenshot(path=str(artifacts_dir() / "lti-fallback-top-level.png"))
        assert sites.authorizations == 0
        assert refused == []


def test_a_launch_whose_login_the_platform_lost_gets_the_fallback(
    sites: Sites, tmp_path: Path
) -> None:
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(sites.tool,), args=BROWSER_ARGS
    ) as context:
        page, refused = open_course(
            context, sites, urlencode({"target": FORWARDING, "mode": "forget"})
        )
        frame = tool_frame(page)
        frame.locator(".lti-fallback").wait_for(state="visible", timeout=WAIT_MS)
        # Signed in at the platform, came back, and found nothing to prove the login with.
        assert sites.authorizations == 1
        assert frame.locator("#lti-storage").get_attribute("data-step") == "launch"
        assert [entry[0] for entry in storage_log(page, FORWARDING)] == [
            "lti.put_data",
            "lti.get_data",
        ]
        assert "start mediaobjects again" in frame.locator(".lti-fallback").inner_text()
        assert frame.get_by_text(SIGNED_IN).count() == 0
        assert sites.ctx is not None and not user_exists(sites.ctx, f"lti-1-{TEACHER.sub}")
        assert refused == []


@pytest.mark.parametrize("target", ["", FORWARDING])
def test_the_partitioned_cookie_carries_the_login_where_third_party_cookies_are_blocked(
    sites: Sites, tmp_path: Path, target: str
) -> None:
    with chromium_blocking_cookies(tmp_path / "home", args=BROWSER_ARGS) as context:
        # Offered or not, platform storage is left alone where the cookie sticks.
        query = urlencode({"target": target, "mode": "pause"})
        page, refused = open_course(context, sites, query)
        frame = tool_frame(page)
        proceed = frame.get_by_role("button", name="Continue")
        proceed.wait_for(timeout=WAIT_MS)
        # Between login and launch: the login's cookie, kept in the LMS's partition only
        # (the LMS's site, ports do not count).
        assert [
            (
                c["domain"],
                c["path"],
                c["secure"],
                c["httpOnly"],
                c["sameSite"],
                c.get("partitionKey"),
            )
            for c in login_cookies(context)
        ] == [("127.0.0.1", "/lti", True, True, "None", "http://127.0.0.2")]
        proceed.click()
        assert TEACHER.name in wait_signed_in(page).inner_text()
        # Used and removed by the launch.
        assert login_cookies(context) == []
        if target:
            assert storage_log(page, target) == []
        assert refused == []


def test_an_attackers_page_cannot_post_its_own_binding_at_the_launch(
    sites: Sites, tmp_path: Path
) -> None:
    # The attacker signs in on their own (no browser needed) and reads their state and
    # binding off the login page, gets their own id_token from the LMS, then has the
    # victim's browser post them from the attacker's site.
    with httpx.Client() as attacker:
        login = attacker.get(
            sites.tool + "/lti/login", params=sites.initiation(ATTACKER, "_parent")
        )
    binding = re.search(r'data-value="([^"]+)"', login.text)
    onward = re.search(r'data-next="([^"]+)"', login.text)
    assert binding is not None and onward is not None
    query = {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(onward.group(1))).query).items()}
    forged = {
        "id_token": sites.id_token(ATTACKER, query["nonce"]),
        "state": query["state"],
        STORAGE_TARGET_FIELD: FORWARDING,
        BINDING_FIELD: binding.group(1),
    }
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(sites.tool,), args=BROWSER_ARGS
    ) as context:
        page = context.new_page()
        page.goto(f"{sites.platform}/forge?{urlencode(forged)}")
        frame = tool_frame(page)
        frame.locator(".lti-fallback").wait_for(state="visible", timeout=WAIT_MS)
        assert frame.locator("h1").inner_text() == "Opening mediaobjects"
        assert frame.get_by_text(SIGNED_IN).count() == 0
    # The forged launch never got through: no session, no user for the attacker.
    assert sites.ctx is not None and not user_exists(sites.ctx, f"lti-1-{ATTACKER.sub}")


def test_the_landing_pages_link_signs_in_at_once_in_a_new_tab(sites: Sites, tmp_path: Path) -> None:
    """The navigation landing page's link, clicked in the LMS's frame, opens the course's
    media signed in, without the page that asks first: the browser says the request came
    from the tool's own page (Sec-Fetch-Site: same-origin), which no other site can say."""
    with chromium_blocking_cookies(tmp_path / "home", args=BROWSER_ARGS) as context:
        page, refused = open_course(context, sites, "")
        wait_signed_in(page)
        with context.expect_page() as opened:
            tool_frame(page).get_by_role("link", name="Open in a new tab").click()
        tab = opened.value
        tab.wait_for_load_state()
        assert re.search(r"/courses/\d+/media$", tab.url), tab.url
        assert CONTEXT["title"] in tab.locator("main").inner_text()
        assert refused == []
