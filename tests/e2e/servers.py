"""The real Rasa server and action server, started on loopback for end-to-end tests.

The launching lives in ``dealcoach.loopback`` (``make bench`` uses it too); this adds
what the tests need: Rasa's HTTP API with a token, and the Slack channel with a known
signing secret and the fake Slack API's address.
"""

from __future__ import annotations

from pathlib import Path

from dealcoach.loopback import LoopbackServers, free_port, http  # noqa: F401 (the tests' API)
from tests.conftest import MODEL, ROOT

API_TOKEN = "e2e-test-token"
SLACK_SECRET = "e2e-slack-signing-secret"


class Servers(LoopbackServers):
    """Action server + Rasa server with their own database files under ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, model=MODEL, api_token=API_TOKEN)
        self.slack_api_url = ""

    def credentials_text(self) -> str:
        # The project's channels, with Slack's secret and API address set for the test.
        return (ROOT / "credentials.yml").read_text() + f'  slack_api_url: "{self.slack_api_url}"\n'

    def start_rasa(self) -> None:
        self.env.update(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SLACK_SECRET)
        super().start_rasa()
