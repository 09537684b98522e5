"""Run a real Celery worker and beat as subprocesses against real Redis and PostgreSQL.

Integration tests use a private `redis-server` on a free port (never the shared one: these
tests kill and restart it) and the test database, which the subprocesses reach through
DATABASE_URL. Ports are picked by binding port 0.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "leadresponse"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.1) -> None:
    """Poll `condition` until it is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def database_url_of_this_test() -> str:
    """DATABASE_URL of the database this test runs against (pytest-django's test copy)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


class RedisServer:
    """A throwaway redis-server without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart_empty(self) -> None:
        """SIGKILL the server and start a new one on the same port: every queue is lost."""
        self.kill()
        self.start()


class Cluster:
    """Workers and beats of one test; every process gets its own session for killpg."""

    def __init__(self, redis: RedisServer, workdir: Path, env: dict[str, str]) -> None:
        self.redis = redis
        self.workdir = workdir
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            CELERY + args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def start_worker(self, name: str = "worker1", concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self._spawn(
            name,
            ["worker", "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO",
             f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
        )  # fmt: skip

    def start_beat(self, name: str = "beat1") -> subprocess.Popen[bytes]:
        return self._spawn(
            name,
            ["beat", "--loglevel=INFO", f"--schedule={self.workdir / (name + '-schedule')}",
             f"--pidfile={self.workdir / (name + '.pid')}"],
        )  # fmt: skip

    def respawn_exited_workers(self) -> bool:
        """What a process supervisor does (systemd Restart=always): start exited workers.

        Returns True so it can sit in a `wait_for` condition.
        """
        for name, process in list(self.processes.items()):
            if name.startswith("worker") and process.poll() is not None:
                self.processes.pop(name)
                self.start_worker(name)
        return True

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and all its children (a prefork worker's pool included)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(20)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name.startswith("beat") else signal.SIGKILL)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")


def cluster_env(redis: RedisServer, **overrides: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url_of_this_test(),
        CELERY_BROKER_URL=redis.url,
        # Second-scale ladder; the tests create leads with the same settings.
        LEADS_SWEEP_INTERVAL_SECONDS="0.5",
        LEADS_DELIVERY_INTERVAL_SECONDS="1",
        CONN_MAX_AGE="60",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@contextlib.contextmanager
def running_cluster(**overrides: str) -> Iterator[Cluster]:
    """A private Redis plus an empty cluster; the test starts the workers and beats."""
    redis = RedisServer()
    redis.start()
    workdir = Path(tempfile.mkdtemp(prefix="lr-cluster-"))
    cluster = Cluster(redis, workdir, cluster_env(redis, **overrides))
    try:
        yield cluster
    finally:
        cluster.stop()
        redis.kill()
        if not os.environ.get("LR_KEEP_CLUSTER_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)
