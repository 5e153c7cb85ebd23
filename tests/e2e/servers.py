"""The real Rasa server and action server, started on loopback for end-to-end tests.

The launching lives in ``testkit.loopback`` (``make bench`` uses it too); this adds
what the tests need: Rasa's HTTP API with a token, the Slack channel with a known
signing secret and the fake Slack API's address, INFO logs and ways to read them, and
the deals of a sender read directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from dealcoach.serving.cli import deal_record
from dealcoach.storage import open_store, owner_id
from testkit.loopback import LoopbackServers, free_port, http  # noqa: F401 (the tests' API)
from tests.conftest import MODEL, ROOT

API_TOKEN = "e2e-test-token"
SLACK_SECRET = "e2e-slack-signing-secret"


class Servers(LoopbackServers):
    """Action server + Rasa server with their own database files under ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, model=MODEL, api_token=API_TOKEN)
        # Both servers' default, said explicitly: the log tests read INFO output.
        self.env["LOG_LEVEL"] = "INFO"
        self.slack_api_url = ""

    def credentials_text(self) -> str:
        # The project's channels, with Slack's secret and API address set for the test.
        return (ROOT / "credentials.yml").read_text() + f'  slack_api_url: "{self.slack_api_url}"\n'

    def start_rasa(self) -> None:
        self.env.update(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SLACK_SECRET)
        super().start_rasa()

    # --- logs -------------------------------------------------------------------------

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

    def deals(self, sender: str, channel: str = "rest") -> List[Dict[str, Any]]:
        """One sender's deals as `dealcoach export` prints them, read in this process
        (the export's own code, without starting a program: for checks made often)."""
        store = open_store(self.db)
        try:
            return [deal_record(d) for d in store.deals.list_for(owner_id(channel, sender))]
        finally:
            store.close()
