"""The processes of the terminal chat (``make chat``): started on loopback, never left behind.

``make chat`` is what a newcomer runs first, and closes the way they close any
terminal program: Ctrl-C, Ctrl-D, closing the window (SIGHUP), or killing whatever
started it. Each of these must stop everything it started, or the next ``make chat``
finds its port taken. So:

* the action server runs in its own session (the terminal's Ctrl-C and hang-up do not
  reach it directly; the chat stops it and waits for it) and is told by the kernel to
  stop when the chat dies, however it dies (``PR_SET_PDEATHSIG``);
* the chat itself stops when its parent (``make``) goes away: the same kernel signal,
  plus a watchdog thread for the case the parent died before the signal was armed;
* a port already taken gets one sentence saying which and what to do, before anything
  is started.

No Rasa import here: this only launches processes (like ``dealcoach.serving.serve``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, Optional

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def port_taken(port: int, host: str = LOOPBACK) -> bool:
    """Whether something listens on ``host:port`` already (binding it fails)."""
    with socket.socket() as probe:
        # As servers bind: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def port_taken_sentence(port: int) -> str:
    """The one sentence a newcomer gets when the action server's port is held."""
    return (
        f"dealcoach cannot start: port {port} on {LOOPBACK} (its action server) is already "
        f"in use, probably by another `make chat` or `make serve`; stop that one, or pick "
        f"another port with `make chat ACTION_PORT={port + 1}`."
    )


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux).

    False where that is not available (then only the watchdog helps)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent_pid: int, on_orphaned: Callable[[], None], every: float = 1.0) -> None:
    """Call ``on_orphaned`` once this process's parent is no longer ``parent_pid``.

    A daemon thread: covers a parent that died before ``die_with_parent`` was armed."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every)
        on_orphaned()

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _child_setup() -> None:
    # Runs in the child between fork and exec: the kernel stops the action server
    # when the chat dies, even by SIGKILL. The setting survives exec.
    die_with_parent(signal.SIGTERM)


class ActionServer:
    """``rasa run actions`` on 127.0.0.1:``port``, its output in ``log``."""

    def __init__(self, port: int, log: Path, cwd: Path, env: Dict[str, str]) -> None:
        self.port = port
        self.log = log
        self.cwd = cwd
        self.env = {**env, "SANIC_HOST": LOOPBACK}
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        rasa = str(Path(sys.executable).parent / "rasa")
        command = [rasa, "run", "actions", "--port", str(self.port), "--actions", "actions"]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_child_setup,
            )  # fmt: skip

    def ready(self) -> bool:
        """Whether it answers its health check now (False while it starts)."""
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{self.port}/health", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            return False

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to its process group, then SIGKILL if it is still there."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        process.poll()
