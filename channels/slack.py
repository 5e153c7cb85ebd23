"""Slack for dealcoach: Rasa's Slack channel, with who-is-who and retries made safe.

* The sender id is ``<team id>:<user id>``: a salesperson is a user *of a workspace*,
  so deals never leak between users or workspaces (actions prefix it with "slack:").
* A Slack retry of an event already received (same ``event_id``, an
  ``X-Slack-Retry-Num`` header) is acknowledged and not processed again.
* ``slack_api_url`` (credentials) points the Web API client elsewhere; the tests
  use it to talk to a fake Slack on loopback.
* Up to 25 buttons per message (Slack's limit for an actions block), not Rasa's 5.

* The bot token and signing secret come from ``SLACK_BOT_TOKEN`` and
  ``SLACK_SIGNING_SECRET`` when the credentials do not give them. Without both, the
  channel registers no route and says so in one log line: a fresh checkout's
  ``rasa run`` (with the repository's credentials.yml) starts without Slack instead of
  stopping, as it would with ``${SLACK_BOT_TOKEN}`` in the credentials and no value.

Requests are still verified against the signing secret by Rasa's Slack channel
(HMAC-SHA256, timestamps older than five minutes refused); the secret is required.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

SLACK_BUTTON_LIMIT = 25
_SEEN_EVENTS = 1000
#: Where the secrets come from when the credentials file does not hold them.
TOKEN_VARIABLE, SECRET_VARIABLE = "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"

logger = logging.getLogger(__name__)


class DealcoachSlackBot(SlackBot):
    def __init__(
        self,
        token: str,
        slack_channel: Optional[str] = None,
        thread_id: Optional[str] = None,
        proxy: Optional[str] = None,
        api_url: Optional[str] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, proxy=proxy, base_url=api_url)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": b["title"][:75]},
                "value": b["payload"],
            }
            for b in buttons[:SLACK_BUTTON_LIMIT]
        ]
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": elements},
        ]
        await self._post_message(
            channel=self.slack_channel or recipient_id, as_user=True, text=text, blocks=blocks
        )


class DealcoachSlackInput(SlackInput):
    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        given = dict(credentials or {})
        given["slack_token"] = given.get("slack_token") or os.environ.get(TOKEN_VARIABLE, "")
        given["slack_signing_secret"] = given.get("slack_signing_secret") or os.environ.get(
            SECRET_VARIABLE, ""
        )
        channel = super().from_credentials(given)
        channel.api_url = given.get("slack_api_url") or None  # type: ignore
        return channel

    @property
    def switched_on(self) -> bool:
        return bool(self.slack_token and self.slack_signing_secret)

    def _validate_credentials(self) -> None:
        # Without its secrets the channel is off (no route), not an error.
        if self.switched_on:
            super()._validate_credentials()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.switched_on:
            logger.info(
                "Slack channel off: set %s and %s to turn it on.", TOKEN_VARIABLE, SECRET_VARIABLE
            )
            return Blueprint("slack_switched_off", __name__)
        return super().blueprint(on_new_message)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url: Optional[str] = None
        self._seen: OrderedDict[str, None] = OrderedDict()

    def get_output_channel(
        self, channel: Optional[str] = None, thread_id: Optional[str] = None
    ) -> OutputChannel:
        return DealcoachSlackBot(
            self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url
        )

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: Optional[str],
        metadata: Optional[Dict],
    ) -> Any:
        team, event_id = _team_and_event(request)
        if event_id and event_id in self._seen:
            # Slack retries when we answer slowly; the first delivery is being handled.
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        if event_id:
            self._seen[event_id] = None
            while len(self._seen) > _SEEN_EVENTS:
                self._seen.popitem(last=False)
        owner = f"{team}:{sender_id}" if team and sender_id else sender_id
        return await super().process_message(request, on_new_message, text, owner, metadata)


def _team_and_event(request: Request) -> tuple[Optional[str], Optional[str]]:
    """The workspace (team id) and event id of an Events API or interactive request."""
    try:
        if request.headers.get("content-type") == "application/json":
            body = request.json or {}
            return body.get("team_id") or body.get("event", {}).get("team"), body.get("event_id")
        payload = json.loads(request.form["payload"][0])
        return (payload.get("team") or {}).get("id"), None
    except (KeyError, ValueError, TypeError, AttributeError):
        return None, None
