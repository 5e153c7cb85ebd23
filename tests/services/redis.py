"""A throwaway redis-server on a free loopback port, for tests.

Debian's ``redis-server`` (``make test`` installs it when root). Nothing is saved to
disk (no RDB snapshots, no append-only file); the server listens on 127.0.0.1 only
and is stopped, by its own process id, when the test session ends.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

import redis

from testkit.loopback import free_port

MISSING = (
    "redis-server is not installed: run `make test` as root (it installs Debian's "
    "redis-server) or `sudo apt-get install redis-server`"
)


class RedisServer:
    """One redis-server process; ``start()`` returns once it answers PING."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.process: Optional[subprocess.Popen] = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self, startup_timeout: float = 20) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError(MISSING)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        return self.start_server(startup_timeout)

    def start_server(self, startup_timeout: float = 20) -> RedisServer:
        """Start redis-server on ``port`` (kept from ``start``) and wait for its PING:
        fault tests start it again after ``stop_server``, where the clients expect it."""
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError(MISSING)
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
            + ["--logfile", str(self.workdir / "redis.log")],
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                self.client().ping()
                return self
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.workdir / "redis.log").read_text(errors="replace")
                    self.stop()
                    raise RuntimeError(f"redis-server did not start:\n{log}") from None
                time.sleep(0.05)

    def client(self, db: int = 0) -> redis.Redis:
        """A new client of its own (a connection pool of its own)."""
        return redis.Redis(host=self.host, port=self.port, db=db, socket_timeout=10)

    def stop_server(self) -> None:
        """Stop the server, keeping its port (nothing was saved: it comes back empty)."""
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
