"""The real Rasa server and action server, started on loopback for end-to-end tests."""

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
from typing import Any, Dict, List, Optional

from dealcoach.cli import deal_record
from dealcoach.store import SQLiteDealStore, owner_id
from tests.conftest import MODEL, ROOT

RASA = str(Path(sys.executable).parent / "rasa")
API_TOKEN = "e2e-test-token"
SLACK_SECRET = "e2e-slack-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: Optional[dict] = None, timeout: float = 60) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Servers:
    """Action server + Rasa server with their own database files under ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db = workdir / "deals.db"
        self.tracker_db = workdir / "tracker.db"
        self.action_port = free_port()
        self.rasa_port = free_port()
        self.env = {
            **os.environ,
            "DEALCOACH_DB": str(self.db),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "SANIC_HOST": "127.0.0.1",
            # Both servers' default, said explicitly: the log tests read INFO output.
            "LOG_LEVEL": "INFO",
        }
        self.endpoints = workdir / "endpoints.yml"
        self.endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {self.tracker_db}\n"
        )
        self.slack_api_url = ""
        self.credentials = workdir / "credentials.yml"
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start_actions(self) -> None:
        log = open(self.log_path("actions"), "ab")
        self.actions = subprocess.Popen(
            [RASA, "run", "actions", "--port", str(self.action_port), "--actions", "actions"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._wait(f"http://127.0.0.1:{self.action_port}/health", self.actions, 120)

    def start_rasa(self) -> None:
        # The project's channels, with Slack's secret and API address set for the test.
        self.credentials.write_text(
            (ROOT / "credentials.yml").read_text() + f'  slack_api_url: "{self.slack_api_url}"\n'
        )
        self.env.update(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SLACK_SECRET)
        log = open(self.log_path("rasa"), "ab")
        self.rasa = subprocess.Popen(
            [RASA, "run", "--model", str(MODEL), "--endpoints", str(self.endpoints),
             "--credentials", str(self.credentials), "--interface", "127.0.0.1",
             "--port", str(self.rasa_port), "--enable-api", "--auth-token", API_TOKEN],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._wait(f"{self.url}/status?token={API_TOKEN}", self.rasa, 300, need="model_id")

    def _wait(self, url: str, process: subprocess.Popen, timeout: float, need: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}; see {self.workdir}")
            try:
                answer = http("GET", url, timeout=5)
                if not need or (isinstance(answer, dict) and answer.get(need)):
                    return
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{url} not ready after {timeout}s")

    @staticmethod
    def _stop(process: Optional[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

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

    # --- logs -------------------------------------------------------------------------

    def log_path(self, server: str) -> Path:
        """``rasa`` or ``actions``: where that server's output goes (across restarts)."""
        return self.workdir / f"{server}.log"

    def log_marks(self) -> Dict[str, int]:
        """Where both logs end now; ``logs_since`` reads what was written after."""
        return {s: self._size(s) for s in ("rasa", "actions")}

    def logs_since(self, marks: Optional[Dict[str, int]] = None) -> Dict[str, str]:
        """Each server's log text written since ``marks`` (everything without marks)."""
        texts = {}
        for server in ("rasa", "actions"):
            path = self.log_path(server)
            if not path.exists():
                texts[server] = ""
                continue
            with open(path, "rb") as log:
                log.seek((marks or {}).get(server, 0))
                texts[server] = log.read().decode("utf-8", "replace")
        return texts

    def _size(self, server: str) -> int:
        path = self.log_path(server)
        return path.stat().st_size if path.exists() else 0

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

    def deals(self, sender: str, channel: str = "rest") -> List[Dict[str, Any]]:
        """One sender's deals as `dealcoach export` prints them, read in this process
        (the export's own code, without starting a program: for checks made often)."""
        store = SQLiteDealStore(self.db)
        try:
            return [deal_record(d) for d in store.list_deals(owner_id(channel, sender))]
        finally:
            store.close()

    def export(self, sender: Optional[str] = None, channel: str = "rest") -> List[Dict[str, Any]]:
        """Every deal, or those of one sender of a channel, as `dealcoach export` prints them."""
        script = Path(sys.executable).parent / "dealcoach"
        owner = ["--owner", f"{channel}:{sender}"] if sender else []
        args = [str(script), "export", "--format", "json"] + owner
        out = subprocess.run(args, env=self.env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
