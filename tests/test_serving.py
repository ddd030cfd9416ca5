"""``mediaobjects serve --workers N``: N server processes answer on one port, media jobs run once
(in the serve process), a signature made by one process opens the door in another, a server
process that dies is replaced, and nothing outlives ``serve`` (SIGTERM or kill -9)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.clips import make_video
from tests.support.postgres import free_port
from tests.support.procs import (
    ROOT,
    Service,
    all_children,
    is_gone,
    listening,
    listening_sockets,
    served_socket_option,
    serving_connection,
    still_listening,
    upload_clip,
    wait_for,
)


@pytest.fixture
def env(tmp_path: Path, db_kind: str, database_url: str) -> dict[str, str]:
    """A fresh data dir with no secret key: the server processes must agree on the one
    stored there."""
    values = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MEDIAOBJECTS_DATA_DIR": str(tmp_path / "fresh"),
        "MEDIAOBJECTS_WORKERS": "1",
        "MEDIAOBJECTS_SECRET_KEY": "",
    }
    if db_kind == "postgresql":
        values["MEDIAOBJECTS_DATABASE_URL"] = database_url
    else:
        values.pop("MEDIAOBJECTS_DATABASE_URL", None)
    return values


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Server:
    """``mediaobjects serve`` on a free port, with the processes it started."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.service = Service(["serve", "--port", str(self.port), *args], env, log)

    @property
    def pid(self) -> int:
        return self.service.pid

    def server_processes(self) -> list[int]:
        """The children of ``serve`` answering on its port."""
        return listening(all_children(self.pid), self.port)

    def answers(self) -> bool:
        assert self.service.process.poll() is None, self.service.output()
        try:
            return self.request("GET", "/api/v1/users/self")[0] == 401
        except OSError:
            return False

    def wait_until_serving(self, processes: int) -> None:
        wait_for(self.answers, "serve answering", 30)
        wait_for(
            lambda: len(self.server_processes()) == processes,
            f"{processes} server processes listening",
            30,
        )

    def request(
        self, method: str, path: str, token: str | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        with self.connection() as conn:
            return send(conn, method, path, token)

    @contextmanager
    def connection(self) -> Iterator[http.client.HTTPConnection]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            yield conn
        finally:
            conn.close()

    def connection_served_by(self, pid: int) -> http.client.HTTPConnection:
        """A kept-alive connection that process ``pid`` accepted (the kernel hands each new
        connection to whichever server process takes it first, so keep opening them)."""

        def attempt() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            send(conn, "GET", "/api/v1/users/self")
            client_port = conn.sock.getsockname()[1]
            if serving_connection([pid], self.port, client_port):
                found.append(conn)
                return True
            conn.close()
            return False

        found: list[http.client.HTTPConnection] = []
        wait_for(attempt, f"a connection served by process {pid}", 20)
        return found[0]


def send(
    conn: http.client.HTTPConnection, method: str, path: str, token: str | None = None
) -> tuple[int, dict[str, Any] | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    kind = response.getheader("content-type") or ""
    return response.status, json.loads(body) if kind.startswith("application/json") else None


def test_two_processes_serve_one_port_and_run_each_job_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1, size="320x240")
    made = cli("create-admin-token", env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    server = Server(env, tmp_path / "serve.log", "--workers", "2")
    try:
        server.wait_until_serving(2)
        first, second = server.server_processes()
        started = set(all_children(server.pid))
        assert "with 2 processes" in server.service.output()

        media_id = upload_clip(f"http://127.0.0.1:{server.port}", token, clip)

        def finished() -> bool:
            info = server.request("GET", f"/media_objects/{media_id}/info", token)[1]
            assert info is not None
            return info["processing_state"] in ("ready", "failed")

        wait_for(finished, "the media being processed", 60)
        status, info = server.request("GET", f"/media_objects/{media_id}/info", token)
        assert status == 200 and info is not None
        assert info["processing_state"] == "ready", info["processing_error"]
        names = [source["url"].split("?")[0] for source in info["media_sources"]]
        assert len(names) == len(set(names)) >= 2
        # One consumer in the whole process tree, so the job was taken once.
        assert server.service.output().count("consuming with 1 thread(s)") == 1

        # A URL signed by either process opens in the other: one key for all of them.
        for signer, checker in ((first, second), (second, first)):
            with closing(server.connection_served_by(signer)) as signing:
                got = send(signing, "GET", f"/media_objects/{media_id}/info", token)[1]
            assert got is not None
            source = urlsplit(got["media_sources"][0]["url"])
            assert "verifier=" in source.query
            with closing(server.connection_served_by(checker)) as checking:
                checking.request(
                    "GET", f"{source.path}?{source.query}", headers={"Range": "bytes=0-3"}
                )
                opened = checking.getresponse()
                assert opened.status == 206 and len(opened.read()) == 4
        # Signed with the key made in the data dir on first start (none is configured).
        assert (Path(env["MEDIAOBJECTS_DATA_DIR"]) / "secret_key").read_text().strip()

        # Nagle off on every connection, as with one process: otherwise each keep-alive
        # response after the first waits ~40 ms for the client's delayed ACK.
        for pid in (first, second):
            with closing(server.connection_served_by(pid)) as conn:
                client_port = conn.sock.getsockname()[1]
                assert send(conn, "GET", "/api/v1/users/self")[0] == 401
                nodelay = served_socket_option(
                    pid, server.port, client_port, socket.IPPROTO_TCP, socket.TCP_NODELAY
                )
                assert nodelay != 0

        server.service.process.send_signal(signal.SIGTERM)
        assert server.service.process.wait(timeout=30) == 0
        wait_for(lambda: all(is_gone(pid) for pid in started), "every process exiting", 15)
        assert "stopped consuming" in server.service.output()
    finally:
        server.service.stop()


def test_a_server_process_that_dies_is_replaced(env: dict[str, str], tmp_path: Path) -> None:
    server = Server(env, tmp_path / "serve.log", "--workers", "2")
    try:
        server.wait_until_serving(2)
        victim, survivor = server.server_processes()
        victim_sockets = listening_sockets(victim, server.port)
        assert victim_sockets
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: is_gone(victim), "the server process dying", 10)
        # A killed process shows as a zombie while its other threads are still exiting and
        # its listening socket still takes connections (which the kernel then resets): the
        # survivor has the port once that socket is closed.
        wait_for(
            lambda: not still_listening(victim_sockets, server.port),
            "the dead process's listening socket closing",
            10,
        )
        # The listening socket is shared: the survivor answers meanwhile.
        for _ in range(20):
            assert server.answers()
        wait_for(
            lambda: len(set(server.server_processes()) - {victim}) == 2,
            "a new server process beside the survivor",
            20,
        )
        assert survivor in server.server_processes()
        assert server.answers()
    finally:
        server.service.stop()


def test_connections_opened_at_once_are_shared_by_the_server_processes(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Twenty keep-alive connections opened together (a proxy's upstream pool, a load
    generator) land on both processes, not all on the first to wake up: each process has
    its own listening socket on the port and the kernel spreads connections over them. The
    chance that a fair split leaves one process with fewer than 2 of 20 is 4 in 10,000."""
    server = Server(env, tmp_path / "serve.log", "--workers", "2")
    try:
        server.wait_until_serving(2)
        pids = server.server_processes()
        conns = [
            http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(20)
        ]
        try:
            for conn in conns:
                conn.connect()
            for conn in conns:
                assert send(conn, "GET", "/api/v1/users/self")[0] == 401
            held = {pid: 0 for pid in pids}
            for conn in conns:
                client_port = conn.sock.getsockname()[1]
                (holder,) = serving_connection(pids, server.port, client_port)
                held[holder] += 1
        finally:
            for conn in conns:
                conn.close()
        assert min(held.values()) >= 2, held
    finally:
        server.service.stop()


def test_a_second_serve_on_the_same_port_stops_at_once(env: dict[str, str], tmp_path: Path) -> None:
    """The server processes share the port with SO_REUSEPORT; another ``serve`` must not
    join them and silently take half of the connections."""
    server = Server(env, tmp_path / "serve.log", "--workers", "2")
    try:
        server.wait_until_serving(2)
        second = cli("serve", "--port", str(server.port), "--workers", "2", env=env)
        assert second.returncode != 0
        assert f"cannot listen on 127.0.0.1:{server.port}: Address already in use" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        assert len(server.server_processes()) == 2
    finally:
        server.service.stop()


def test_kill_9_of_serve_leaves_no_server_process(env: dict[str, str], tmp_path: Path) -> None:
    """Nobody would stop server processes that outlived their supervisor: they exit too, and
    the port is free for the next ``serve``."""
    server = Server(env, tmp_path / "serve.log", "--workers", "2")
    try:
        server.wait_until_serving(2)
        started = all_children(server.pid)
        server.service.kill_9()
        wait_for(lambda: all(is_gone(pid) for pid in started), "every process exiting", 15)
    finally:
        server.service.stop()
    again = Service(
        ["serve", "--port", str(server.port), "--workers", "2"], env, tmp_path / "again.log"
    )
    server.service = again
    try:
        server.wait_until_serving(2)
    finally:
        again.stop()


def test_one_cpu_serves_in_one_process_that_runs_the_jobs(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Without --workers, one server process per CPU that serve may use: one here, which
    runs the media jobs itself."""
    cpu = min(os.sched_getaffinity(0))
    log = tmp_path / "serve.log"
    port = free_port()
    command = [sys.executable, "-m", "mediaobjects.cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["taskset", "-c", str(cpu), *command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "consuming with 1 thread(s)" in log.read_text(), "serve starting", 30)
        assert "with 1 process " in log.read_text()
        wait_for(lambda: listening([process.pid], port) == [process.pid], "serve listening", 30)
        assert listening(all_children(process.pid), port) == []
    finally:
        process.terminate()
        # One uvicorn server re-raises SIGTERM once it has shut down gracefully.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "stopped consuming" in log.read_text()


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_workers_must_be_a_positive_number(value: str, env: dict[str, str]) -> None:
    result = cli("serve", "--workers", value, env=env)
    assert result.returncode == 2
    assert "argument --workers:" in result.stderr
    assert ("at least 1" in result.stderr) or ("whole number" in result.stderr)
    assert not Path(env["MEDIAOBJECTS_DATA_DIR"]).exists()
