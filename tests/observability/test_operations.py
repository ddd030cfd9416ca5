"""/health, /ready and /metrics as an operator (and a load balancer, and Prometheus) sees them,
and the request id a client gets back and finds again in the log lines of the jobs its request
queued."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.observability.logformat import ContextFilter, JsonFormatter
from mediaobjects.observability.readiness import Readiness
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.clips import make_video

TOKEN = "metrics-token-for-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
TRACKS_ROUTE = "/api/v1/media_objects/{media_object_id}/media_tracks"


def _context(settings: Settings, **changes: Any) -> AppContext:
    changed = Settings(**{**dict(settings), **changes})
    return build_context(changed, storage=LocalStorage(changed.data_dir / "files"))


@pytest.fixture
def observed(settings: Settings) -> Iterator[tuple[TestClient, Api, AppContext]]:
    ctx = _context(settings, metrics_token=TOKEN)
    with TestClient(create_app(context=ctx)) as client:
        yield client, Api(client, ctx), ctx
    ctx.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_health_answers_without_a_token_and_shows_nothing_else(client: TestClient) -> None:
    for _ in range(30):
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_ready_says_ready_when_everything_answers(client: TestClient, settings: Settings) -> None:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "storage": "ok", "queue": "ok"},
    }
    assert str(settings.data_dir) not in response.text


def test_ready_answers_503_naming_the_database_when_it_is_unreachable(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.postgres import free_port

    # Nothing listens on the port: connecting is refused at once.
    url = f"postgresql+psycopg://media:s3cretpw@127.0.0.1:{free_port()}/media"
    ctx = _context(settings, database_url=url, ready_timeout_seconds=10)
    try:
        with TestClient(create_app(context=ctx)) as client:
            response = client.get("/ready")
            second = client.get("/ready")
    finally:
        ctx.close()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["checks"] == {"database": "unreachable", "storage": "ok", "queue": "ok"}
    assert body["status"] == "unavailable"
    assert body["errors"][0]["error_code"] == "not_ready"
    assert "database" in body["errors"][0]["message"]
    assert response.headers["retry-after"].isdigit()
    assert "s3cretpw" not in response.text and "media:" not in response.text
    assert second.status_code == 503
    # Why goes to the log, once (not at every poll of the load balancer), without the password.
    why = [r for r in caplog.records if r.name == "mediaobjects.ready"]
    assert len(why) == 1 and "database is unreachable" in why[0].getMessage()
    assert "s3cretpw" not in caplog.text


def test_a_check_that_hangs_counts_as_failed_within_the_timeout() -> None:
    release = threading.Event()
    readiness = Readiness({"queue": release.wait, "database": lambda: None}, timeout=0.2)
    try:
        assert readiness.check() == {"queue": "timeout", "database": "ok"}
    finally:
        release.set()


def test_health_and_ready_are_never_rate_limited_nor_need_auth(settings: Settings) -> None:
    # The tightest limits there are: one track write, one drawing, one sign-in at once.
    ctx = _context(
        settings,
        rate_limit_tracks_burst=1,
        rate_limit_picture_burst=1,
        rate_limit_sign_in_address_burst=1,
    )
    try:
        with TestClient(create_app(context=ctx)) as client:
            statuses = {client.get(path).status_code for path in ["/health", "/ready"] * 20}
    finally:
        ctx.close()
    assert statuses == {200}


def test_metrics_count_a_track_request_by_route_template_and_status(
    observed: tuple[TestClient, Api, AppContext],
) -> None:
    client, api, _ctx = observed
    media = "m-0123456789abcdef"
    for _ in range(2):
        response = api.request("GET", f"/api/v1/media_objects/{media}/media_tracks", api.admin)
        assert response.status_code == 404
    assert api.request("GET", "/api/v1/media_objects/x/media_tracks").status_code == 401
    found = scrape(client)
    requests = "mediaobjects_http_requests_total"
    labels_404 = (("method", "GET"), ("route", TRACKS_ROUTE), ("status", "404"))
    labels_401 = (("method", "GET"), ("route", TRACKS_ROUTE), ("status", "401"))
    assert found[(requests, labels_404)] == 2
    assert found[(requests, labels_401)] == 1
    # Latency histogram by template, never by the path a client made up.
    timing = (("method", "GET"), ("route", TRACKS_ROUTE))
    assert found[("mediaobjects_http_request_duration_seconds_count", timing)] == 3
    assert not any(media in str(labels) for _name, labels in found)
    # A path no route matches is counted under one label.
    client.get("/no/such/thing/here")
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert scrape(client)[(requests, unmatched)] == 1


def test_metrics_show_jobs_by_kind_and_outcome_and_the_queue_depth(
    observed: tuple[TestClient, Api, AppContext],
) -> None:
    client, _api, ctx = observed
    jobs = ctx.jobs
    assert jobs is not None

    def fails(_job: object) -> None:
        raise RuntimeError("no luck")

    jobs.register("test_observed_ok", lambda _job: None, tries=1)
    jobs.register("test_observed_fails", fails, tries=1)
    jobs.enqueue("test_observed_ok")
    jobs.enqueue("test_observed_ok")
    jobs.enqueue("test_observed_fails")
    depth = scrape(client)
    assert depth[("mediaobjects_queue_up", ())] == 1
    assert depth[("mediaobjects_queue_waiting", ())] == 3
    queued = (("kind", "test_observed_ok"), ("state", "queued"))
    assert depth[("mediaobjects_queue_jobs", queued)] == 2
    assert jobs.run_pending_now() == 3
    found = scrape(client)
    ok = (("kind", "test_observed_ok"), ("outcome", "succeeded"))
    failed = (("kind", "test_observed_fails"), ("outcome", "failed"))
    assert found[("mediaobjects_jobs_total", ok)] == 2
    assert found[("mediaobjects_jobs_total", failed)] == 1
    assert found[("mediaobjects_job_duration_seconds_count", ok)] == 2
    assert found[("mediaobjects_jobs_in_progress", (("kind", "test_observed_ok"),))] == 0
    assert found[("mediaobjects_queue_waiting", ())] == 0
    assert (
        "mediaobjects_queue_jobs",
        (("kind", "test_observed_fails"), ("state", "failed")),
    ) in found


def test_metrics_are_refused_without_the_token(
    observed: tuple[TestClient, Api, AppContext],
) -> None:
    client, _api, _ctx = observed
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "errors" in missing.json()
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-" + TOKEN})
    assert wrong.status_code == 401
    assert "mediaobjects_" not in wrong.text


def test_metrics_are_refused_from_an_address_not_allowed(settings: Settings) -> None:
    ctx = _context(settings, metrics_allowed_addresses="10.1.0.0/16")
    try:
        app = create_app(context=ctx)
        with TestClient(app, client=("10.2.0.7", 40000)) as outsider:
            refused = outsider.get("/metrics")
        with TestClient(app, client=("10.1.4.2", 40000)) as prometheus:
            allowed = prometheus.get("/metrics")
    finally:
        ctx.close()
    assert refused.status_code == 403
    assert "mediaobjects_" not in refused.text
    assert allowed.status_code == 200
    assert "mediaobjects_http_requests_total" in allowed.text


def test_token_and_addresses_together_need_both(settings: Settings) -> None:
    ctx = _context(settings, metrics_allowed_addresses="10.1.0.0/16", metrics_token=TOKEN)
    try:
        app = create_app(context=ctx)
        with TestClient(app, client=("10.1.4.2", 40000)) as inside:
            no_token = inside.get("/metrics")
            both = inside.get("/metrics", headers=SCRAPE)
        with TestClient(app, client=("192.0.2.9", 40000)) as outside:
            token_only = outside.get("/metrics", headers=SCRAPE)
    finally:
        ctx.close()
    assert (no_token.status_code, both.status_code, token_only.status_code) == (401, 200, 403)


def test_metrics_are_off_unless_configured(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 404
    assert "mediaobjects_" not in response.text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/api/v1/users/self").headers["x-request-id"]
    assert first != second
    assert len(first) == 32 and int(first, 16) >= 0
    # A client (not a trusted proxy) cannot choose the id written into the logs.
    sent = client.get("/health", headers={"X-Request-Id": "chosen-by-client-0001"})
    assert sent.headers["x-request-id"] != "chosen-by-client-0001"


def test_a_trusted_proxys_request_id_is_kept_if_well_formed(settings: Settings) -> None:
    ctx = _context(settings, trusted_proxies="127.0.0.1")
    try:
        with TestClient(create_app(context=ctx), client=("127.0.0.1", 40000)) as proxied:
            kept = proxied.get("/health", headers={"X-Request-Id": "4f1c2a9be0d34c1f9a7e"})
            forged = proxied.get("/health", headers={"X-Request-Id": 'x" level=error msg=owned'})
    finally:
        ctx.close()
    assert kept.headers["x-request-id"] == "4f1c2a9be0d34c1f9a7e"
    assert forged.headers["x-request-id"] != 'x" level=error msg=owned'
    assert " " not in forged.headers["x-request-id"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The service's log lines as ``--log-format json`` writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mediaobjects")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_job_an_upload_queued_logs_with_the_uploads_request_id(
    observed: tuple[TestClient, Api, AppContext], json_log: io.StringIO, tmp_path: Path
) -> None:
    client, api, ctx = observed
    course = api.course()
    content = make_video(tmp_path / "clip.mp4", seconds=1).read_bytes()
    step1 = api.start_upload(f"courses/{course}", api.admin, "clip.mp4", len(content))
    assert step1.status_code == 200, step1.text
    info = step1.json()
    step2 = client.post(
        info["upload_url"],
        data=info["upload_params"],
        files={"file": ("clip.mp4", content, "video/mp4")},
    )
    assert step2.status_code == 201, step2.text
    upload_id = step2.headers["x-request-id"]
    assert ctx.jobs is not None
    assert ctx.jobs.run_pending_now() >= 1
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    job_lines = [line for line in lines if line.get("job") == "process_media"]
    assert job_lines, lines
    assert {line["request_id"] for line in job_lines} == {upload_id}
    assert any("succeeded" in line["message"] for line in job_lines)
    assert all(line["job_id"] for line in job_lines)
    found = scrape(client)
    assert (
        found[("mediaobjects_jobs_total", (("kind", "process_media"), ("outcome", "succeeded")))]
        == 1
    )
    upload_route = (("method", "POST"), ("route", "/files_api/uploads/{nonce}"), ("status", "201"))
    assert found[("mediaobjects_http_requests_total", upload_route)] == 1
    assert found[("mediaobjects_uploads_in_progress", ())] == 0


def test_a_500_carries_the_request_id_logged_with_its_traceback(
    settings: Settings, json_log: io.StringIO
) -> None:
    ctx = _context(settings)
    app = create_app(context=ctx)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-broken", broken)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/test-broken")
    finally:
        ctx.close()
    assert response.status_code == 500
    assert response.json()["errors"][0]["error_code"] == "internal_server_error"
    request_id = response.headers["x-request-id"]
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    logged = [line for line in lines if line["message"] == "unhandled error"]
    assert len(logged) == 1
    assert logged[0]["request_id"] == request_id
    assert "RuntimeError: a bug" in logged[0]["exception"]


def test_an_upload_being_received_shows_as_in_flight(
    observed: tuple[TestClient, Api, AppContext],
) -> None:
    import httpx2

    from tests.support.live import live_server
    from tests.support.procs import wait_for

    _client, api, ctx = observed
    size = 2 * 65536
    step1 = api.start_upload("users/self", api.admin, "slow.bin", size)
    assert step1.status_code == 200, step1.text
    info = step1.json()
    halfway = threading.Event()
    finish = threading.Event()
    boundary = "slowupload0123"

    def body() -> Iterator[bytes]:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        yield head.encode() + b"x" * 65536
        halfway.set()
        finish.wait(30)
        yield b"x" * 65536 + f"\r\n--{boundary}--\r\n".encode()

    with live_server(create_app(context=ctx)) as base:
        results: list[int] = []
        url = info["upload_url"].replace("http://testserver", base)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        sender = threading.Thread(
            target=lambda: results.append(
                httpx2.post(url, content=body(), headers=headers, timeout=60).status_code
            )
        )
        sender.start()
        try:
            assert halfway.wait(30)

            def in_flight() -> float:
                text = httpx2.get(f"{base}/metrics", headers=SCRAPE).text
                return samples(text)[("mediaobjects_uploads_in_progress", ())]

            wait_for(lambda: in_flight() == 1, "the upload counted in flight", 30)
        finally:
            finish.set()
            sender.join(60)
        assert results == [201]
        assert in_flight() == 0
