"""The Rasa server and the action server on free loopback ports, for tests and benchmarks.

Each ``LoopbackServers`` has its own ports, endpoints, credentials and SQLite files under
a work folder, so several can run beside each other and beside ``make serve``. The
end-to-end tests (``tests/e2e/servers.py``) and ``make bench`` (``benchmarks/``) both
start the servers through it. It only launches processes: no Rasa import here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any, Dict, List, Optional

from dealcoach.serving.serve import credentials_text
from dealcoach.settings import ROOT, path

RASA = str(Path(sys.executable).parent / "rasa")
DEFAULT_MODEL = path("model")


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: Optional[dict] = None, timeout: float = 60) -> Any:
    """One JSON request; the decoded answer (None for an empty body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def rasa_env(**extra: str) -> Dict[str, str]:
    """The environment every Rasa process gets: quiet, no telemetry, loopback only."""
    return {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "SANIC_HOST": "127.0.0.1",
        **extra,
    }


def wait_until_answers(
    url: str, process: subprocess.Popen, timeout: float, need: str = "", where: str = ""
) -> None:
    """Poll ``url`` until it answers (a JSON object with the key ``need``, if given).

    Fails at once when the process exits, and after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {where}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read()
            if not need:
                return
            answer = json.loads(body or b"null")
            if isinstance(answer, dict) and answer.get(need):
                return
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def stop_process(process: Optional[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
    """Stop a server started in its own session, with everything it started."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def spawn(command: List[str], cwd: Path, env: Dict[str, str], log: Path) -> subprocess.Popen:
    """A server process in its own session (so it can be stopped with its children)."""
    out: IO[bytes] = open(log, "ab")  # the child has its own copy once started
    try:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    finally:
        out.close()


class LoopbackServers:
    """Action server + Rasa server with their own database files under ``workdir``.

    ``api_token``: Rasa's HTTP API on, guarded by this token (readiness is then checked
    on ``/status``); None leaves it off, as ``make serve`` does by default.
    ``spawned_at`` and ``ready_after`` record, per server, when it was started
    (``time.monotonic()``) and how many seconds it took to answer.
    """

    def __init__(
        self, workdir: Path, model: Path | str = DEFAULT_MODEL, api_token: str | None = None
    ) -> None:
        self.workdir = Path(workdir)
        self.model = Path(model)
        self.api_token: str | None = api_token
        self.db = self.workdir / "deals.db"
        self.tracker_db = self.workdir / "tracker.db"
        self.action_port = free_port()
        self.rasa_port = free_port()
        self.env = rasa_env(DEALCOACH_DB=str(self.db))
        self.endpoints = self.workdir / "endpoints.yml"
        self.endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {self.tracker_db}\n"
        )
        self.credentials = self.workdir / "credentials.yml"
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None
        self.spawned_at: Dict[str, float] = {}
        self.ready_after: Dict[str, float] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def credentials_text(self) -> str:
        """The channels Rasa listens on: the project's, without Slack."""
        return credentials_text(with_slack=False)

    def start_actions(self) -> None:
        self.spawned_at["actions"] = time.monotonic()
        self.actions = spawn(
            [RASA, "run", "actions", "--port", str(self.action_port), "--actions", "actions"],
            ROOT, self.env, self.log_path("actions"),
        )  # fmt: skip
        self._wait(f"http://127.0.0.1:{self.action_port}/health", self.actions, 120)
        self.ready_after["actions"] = time.monotonic() - self.spawned_at["actions"]

    def start_rasa(self) -> None:
        self.credentials.write_text(self.credentials_text())
        command = [
            RASA, "run", "--model", str(self.model), "--endpoints", str(self.endpoints),
            "--credentials", str(self.credentials), "--interface", "127.0.0.1",
            "--port", str(self.rasa_port),
        ]  # fmt: skip
        if self.api_token:
            command += ["--enable-api", "--auth-token", self.api_token]
        self.spawned_at["rasa"] = time.monotonic()
        self.rasa = spawn(command, ROOT, self.env, self.log_path("rasa"))
        if self.api_token:
            self._wait(f"{self.url}/status?token={self.api_token}", self.rasa, 300, "model_id")
        else:
            # Rasa loads the model before it accepts connections: once / answers, it is in.
            self._wait(f"{self.url}/", self.rasa, 300)
        self.ready_after["rasa"] = time.monotonic() - self.spawned_at["rasa"]

    def _wait(self, url: str, process: subprocess.Popen, timeout: float, need: str = "") -> None:
        wait_until_answers(url, process, timeout, need, where=str(self.workdir))

    @staticmethod
    def _stop(process: Optional[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
        stop_process(process, sig)

    def stop_rasa(self) -> None:
        self._stop(self.rasa)

    def stop_actions(self) -> None:
        self._stop(self.actions)

    def kill_actions(self) -> None:
        """SIGKILL: the action server dies at once, whatever it was writing."""
        self._stop(self.actions, signal.SIGKILL)

    def kill_rasa(self) -> None:
        self._stop(self.rasa, signal.SIGKILL)

    def restart_actions(self) -> None:
        """Stop (if running) and start again, on the same port, database and log."""
        self.stop_actions()
        self.start_actions()

    def restart_rasa(self) -> None:
        """Stop (if running) and start again, on the same port, tracker store and log."""
        self.stop_rasa()
        self.start_rasa()

    def stop(self) -> None:
        self._stop(self.rasa)
        self._stop(self.actions)

    def log_path(self, server: str) -> Path:
        """``rasa`` or ``actions``: where that server's output goes (across restarts)."""
        return self.workdir / f"{server}.log"

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        """One message over the REST webhook; the bot's replies."""
        return http(
            "POST", f"{self.url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )

    def say(self, sender: str, text: str) -> str:
        """The bot's replies to one message, as one text (buttons shown as [title])."""
        parts = []
        for reply in self.send(sender, text):
            parts.append(reply.get("text") or "")
            parts += [f"[{b['title']}]" for b in reply.get("buttons") or []]
        return "\n".join(p for p in parts if p)

    def export(self, sender: Optional[str] = None, channel: str = "rest") -> List[Dict[str, Any]]:
        """Every deal, or those of one sender of a channel, as `dealcoach export` prints them."""
        script = Path(sys.executable).parent / "dealcoach"
        owner = ["--owner", f"{channel}:{sender}"] if sender else []
        args = [str(script), "export", "--format", "json"] + owner
        out = subprocess.run(args, env=self.env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
