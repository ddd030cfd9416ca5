"""The ``mediaobjects`` command as operators' scripts use it: create-admin-token prints a
working token and nothing else (migrating a fresh data dir first), db upgrade and db check."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from mediaobjects.app import create_app
from mediaobjects.settings import Settings


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def fresh_env(tmp_path: Path, db_kind: str, database_url: str) -> dict[str, str]:
    env = {"MEDIAOBJECTS_DATA_DIR": str(tmp_path / "fresh")}
    if db_kind == "postgresql":
        env["MEDIAOBJECTS_DATABASE_URL"] = database_url
    return env


def test_create_admin_token_on_a_fresh_data_dir(fresh_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("create-admin-token", env=fresh_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("1~") and len(token) > 40
    second = run_cli("create-admin-token", env=fresh_env).stdout.strip()
    assert second != token
    settings = Settings(
        data_dir=Path(fresh_env["MEDIAOBJECTS_DATA_DIR"]),
        database_url=fresh_env.get("MEDIAOBJECTS_DATABASE_URL"),
    )
    with TestClient(create_app(settings)) as client:
        for raw in (token, second):
            me = client.get("/api/v1/users/self", headers={"Authorization": f"Bearer {raw}"})
            assert me.status_code == 200
            assert me.json()["login_id"] == "admin"
        made = client.post(
            "/api/v1/accounts/self/courses",
            headers={"Authorization": f"Bearer {token}"},
            data={"course[name]": "From the CLI"},
        )
        assert made.status_code == 200


def test_secret_key_is_generated_once_and_kept(fresh_env: dict[str, str]) -> None:
    run_cli("db", "upgrade", env=fresh_env)
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    key_file = Path(fresh_env["MEDIAOBJECTS_DATA_DIR"]) / "secret_key"
    first = key_file.read_text()
    assert len(first.strip()) >= 32
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_db_upgrade_then_check(fresh_env: dict[str, str]) -> None:
    upgraded = run_cli("db", "upgrade", env=fresh_env)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = run_cli("db", "check", env=fresh_env)
    assert checked.returncode == 0, checked.stderr
    assert "up to date" in checked.stderr


@pytest.fixture
def empty_env(tmp_path: Path, db_kind: str, database_url: str) -> Iterator[dict[str, str]]:
    """Settings naming a database that was never migrated: SQLite's default file in a new data
    dir, or a new database on the session's PostgreSQL server."""
    env = {"MEDIAOBJECTS_DATA_DIR": str(tmp_path / "empty")}
    if db_kind != "postgresql":
        yield env
        return
    name = f"empty_{uuid.uuid4().hex[:12]}"
    server = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database_url).set(database=name)
        yield {**env, "MEDIAOBJECTS_DATABASE_URL": url.render_as_string(hide_password=False)}
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        server.dispose()


def test_db_check_fails_on_an_unmigrated_database(empty_env: dict[str, str]) -> None:
    checked = run_cli("db", "check", env=empty_env)
    assert checked.returncode == 1
    assert "db upgrade" in checked.stderr


def test_invalid_setting_is_reported(tmp_path: Path) -> None:
    env = {"MEDIAOBJECTS_DATA_DIR": str(tmp_path), "MEDIAOBJECTS_MAX_UPLOAD_BYTES": "lots"}
    result = run_cli("db", "check", env=env)
    assert result.returncode == 2
    assert "MAX_UPLOAD_BYTES".lower() in result.stderr.lower()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_s3_storage_needs_the_secret_key_given(tmp_path: Path, command: str) -> None:
    data = tmp_path / "node"
    env = {
        "MEDIAOBJECTS_DATA_DIR": str(data),
        "MEDIAOBJECTS_STORAGE_BACKEND": "s3",
        "MEDIAOBJECTS_S3_BUCKET": "media",
        "MEDIAOBJECTS_SECRET_KEY": "",
    }
    result = run_cli(command, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("mediaobjects: invalid settings: MEDIAOBJECTS_SECRET_KEY")
    assert "same value for every server" in result.stderr
    assert not data.exists()  # refused before migrating or making a key


def test_help_lists_the_commands_operators_use() -> None:
    result = run_cli("--help", env={})
    assert result.returncode == 0
    for name in ("serve", "worker", "create-admin-token", "reprocess", "db"):
        assert name in result.stdout
    serve_help = run_cli("serve", "--help", env={}).stdout
    assert "--host" in serve_help and "--port" in serve_help and "--workers" in serve_help


def test_reprocess_on_an_empty_install_queues_nothing(fresh_env: dict[str, str]) -> None:
    result = run_cli("reprocess", "--unfinished", env=fresh_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "0 media queued; mediaobjects serve processes them" in result.stderr


def test_reprocess_speech_only_queues_the_analysis_alone(fresh_env: dict[str, str]) -> None:
    result = run_cli("reprocess", "--speech-only", env=fresh_env)
    assert result.returncode == 0, result.stderr
    assert "0 media queued for speech analysis" in result.stderr
    both = run_cli("reprocess", "--speech-only", "--unfinished", env=fresh_env)
    assert both.returncode == 2
    assert "--speech-only and --unfinished exclude each other" in both.stderr


def test_serve_migrates_and_answers(fresh_env: dict[str, str]) -> None:
    import time

    import httpx2

    from tests.support.postgres import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaobjects.cli", "serve", "--port", str(port)],
        env={**os.environ, **fresh_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx2.get(f"http://127.0.0.1:{port}/api/v1/users/self", timeout=2)
                break
            except httpx2.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.status_code == 401
        token = run_cli("create-admin-token", env=fresh_env).stdout.strip()
        me = httpx2.get(
            f"http://127.0.0.1:{port}/api/v1/users/self",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert me.status_code == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "create-admin-token" in err


def test_serve_processes_uploads_by_itself(fresh_env: dict[str, str], tmp_path: Path) -> None:
    """The default install: `mediaobjects serve` consumes its own SQLite job queue."""
    import time

    import httpx2

    from tests.support.clips import make_video
    from tests.support.postgres import free_port
    from tests.support.procs import upload_clip

    clip = make_video(tmp_path / "clip.mp4", seconds=1, size="320x240")
    token = run_cli("create-admin-token", env=fresh_env).stdout.strip()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaobjects.cli", "serve", "--port", str(port)],
        env={**os.environ, **fresh_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(f"{base}/api/v1/users/self", timeout=2)
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        media_id = upload_clip(base, token, clip)
        deadline = time.monotonic() + 90
        while True:
            info = httpx2.get(f"{base}/media_objects/{media_id}/info", headers=auth).json()
            if info["processing_state"] in ("ready", "failed"):
                break
            assert time.monotonic() < deadline, info
            time.sleep(0.3)
        assert info["processing_state"] == "ready", info["processing_error"]
        assert [s["isOriginal"] for s in info["media_sources"]][-1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_processes_starting_at_once_agree_on_one_complete_key(tmp_path: Path) -> None:
    """Twelve processes make the key of a fresh data dir at the same moment: every one reads
    the same, complete key (no empty or half-written file is ever seen)."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mediaobjects.settings import stored_secret_key\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "print(stored_secret_key(Path(sys.argv[1])))\n"
    )
    for round_ in range(3):
        path = tmp_path / f"round{round_}" / "secret_key"
        import time

        start = time.time() + 1.0
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(12)
        ]
        keys = set()
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            keys.add(out.strip())
        assert len(keys) == 1 and len(keys.pop()) >= 48
        assert path.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_an_empty_key_file_is_a_clear_error(tmp_path: Path) -> None:
    from mediaobjects.settings import stored_secret_key

    path = tmp_path / "secret_key"
    path.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        stored_secret_key(path)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEDIAOBJECTS_QUEUE_URL", "postgresql+asyncpg://app:hunter2secret@db/queue"),
        ("MEDIAOBJECTS_QUEUE_URL", "mysql://app:hunter2secret@db/queue"),
        ("MEDIAOBJECTS_PUBLIC_URL", "https://app:hunter2secret@media.example.edu"),
        ("MEDIAOBJECTS_MAX_UPLOAD_BYTES", "hunter2secret"),
    ],
)
def test_a_bad_setting_is_named_but_its_value_never_printed(
    fresh_env: dict[str, str], name: str, value: str
) -> None:
    result = run_cli("reprocess", env={**fresh_env, name: value})
    assert result.returncode == 2
    assert result.stderr.startswith("mediaobjects: invalid settings:")
    assert name in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_a_speech_model_directory_without_a_model_stops_every_command(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    empty = tmp_path / "whisper-small"
    empty.mkdir()
    result = run_cli("reprocess", env={**fresh_env, "MEDIAOBJECTS_ASR_MODEL_DIR": str(empty)})
    assert result.returncode == 2
    assert result.stderr.startswith("mediaobjects: invalid settings: MEDIAOBJECTS_ASR_MODEL_DIR")
    assert "model.bin, config.json, tokenizer.json missing" in result.stderr
    unknown = run_cli("reprocess", env={**fresh_env, "MEDIAOBJECTS_ASR_ENGINE": "whisper"})
    assert unknown.returncode == 2
    assert "MEDIAOBJECTS_ASR_ENGINE" in unknown.stderr


def test_set_password_from_stdin_lets_the_user_sign_in(fresh_env: dict[str, str]) -> None:
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    password = "a long admin passphrase"
    result = subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", "set-password", "ADMIN", "--stdin"],
        env={**os.environ, **fresh_env},
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr
    settings = Settings(
        data_dir=Path(fresh_env["MEDIAOBJECTS_DATA_DIR"]),
        database_url=fresh_env.get("MEDIAOBJECTS_DATABASE_URL"),
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed_in = client.post("/login", data={"unique_id": "admin", "password": password})
        assert signed_in.status_code == 303
        assert client.get("/api/v1/users/self").json()["login_id"] == "admin"


def typed(args: list[str], env: dict[str, str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Runs the installed ``mediaobjects`` command on a terminal (a pty, so getpass asks there
    and turns echo off as for a person) and types each answer once its prompt has appeared
    after the previous one; fails unless every prompt came. The exit code and all the
    terminal showed."""
    command = Path(sys.executable).parent / "mediaobjects"
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [str(command), *args],
        env={**os.environ, **env},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        # No controlling terminal of the test run's own: getpass uses the pty on stdin.
        start_new_session=True,
    )
    os.close(slave)
    shown = b""
    seen = 0  # where the next prompt is looked for
    pending = list(answers)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if pending:
                at = shown.find(pending[0][0].encode(), seen)
                if at >= 0:
                    prompt, answer = pending.pop(0)
                    seen = at + len(prompt)
                    os.write(master, answer.encode() + b"\n")
                    continue
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the command ended and closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = shown.decode(errors="replace")
    assert not pending, f"never asked {pending[0][0]!r}; the terminal showed:\n{text}"
    return code, text


def test_set_password_typed_twice_without_echo_lets_the_user_sign_in(
    fresh_env: dict[str, str],
) -> None:
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    password = "typed at the terminal"
    code, shown = typed(
        ["set-password", "admin"],
        fresh_env,
        [("New password: ", password), ("Again: ", password)],
    )
    assert code == 0, shown
    # Asked twice (typed() checks), and what was typed never appeared on the terminal.
    assert password not in shown
    assert "Password set for admin" in shown
    settings = Settings(
        data_dir=Path(fresh_env["MEDIAOBJECTS_DATA_DIR"]),
        database_url=fresh_env.get("MEDIAOBJECTS_DATABASE_URL"),
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed_in = client.post("/login", data={"unique_id": "admin", "password": password})
        assert signed_in.status_code == 303


def test_set_password_typed_differently_twice_changes_nothing(
    fresh_env: dict[str, str],
) -> None:
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    old = "the admin's old password"
    stdin = subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", "set-password", "admin", "--stdin"],
        env={**os.environ, **fresh_env},
        input=old + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stdin.returncode == 0, stdin.stderr
    code, shown = typed(
        ["set-password", "admin"],
        fresh_env,
        [("New password: ", "first new password"), ("Again: ", "second new password")],
    )
    assert code == 1
    assert "the passwords differ; nothing changed" in shown
    assert "first new password" not in shown and "second new password" not in shown
    settings = Settings(
        data_dir=Path(fresh_env["MEDIAOBJECTS_DATA_DIR"]),
        database_url=fresh_env.get("MEDIAOBJECTS_DATABASE_URL"),
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for password in ("first new password", "second new password"):
            refused = client.post("/login", data={"unique_id": "admin", "password": password})
            assert refused.status_code != 303, password
        kept = client.post("/login", data={"unique_id": "admin", "password": old})
        assert kept.status_code == 303


def test_set_password_refuses_unknown_logins_and_short_passwords(
    fresh_env: dict[str, str],
) -> None:
    assert run_cli("create-admin-token", env=fresh_env).returncode == 0
    for login, password, expected in (
        ("nobody", "a long enough password", "no user with login 'nobody'"),
        ("admin", "short", "at least 8 characters"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mediaobjects.cli", "set-password", login, "--stdin"],
            env={**os.environ, **fresh_env},
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1
        assert expected in result.stderr
