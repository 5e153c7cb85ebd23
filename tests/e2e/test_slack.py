"""Slack against the running server: signed Events API requests, a fake Slack Web API."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import yaml

from dealcoach.knowledge_base.loader import load_knowledge, load_web_texts
from tests.conftest import ROOT
from tests.e2e.servers import SLACK_SECRET


def signed_post(servers, body: bytes, content_type: str, timestamp=None, secret=SLACK_SECRET,
                sign=True, retry=None):  # fmt: skip
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp)}
    if sign:
        base = f"v0:{timestamp}:".encode() + body
        headers["X-Slack-Signature"] = (
            "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        )
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"})
    request = urllib.request.Request(
        f"{servers.url}/webhooks/slack/webhook", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def event(text, user="U1", team="T1", channel="D1", event_id=None):
    return {
        "token": "unused",
        "team_id": team,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
        "event_time": int(time.time()),
        "authorizations": [{"user_id": "UBOT"}],
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "channel": channel,
            "ts": f"{time.time():.6f}",
        },
    }


def send(servers, payload, **kwargs):
    return signed_post(servers, json.dumps(payload).encode(), "application/json", **kwargs)


def posts_to(servers, channel, contains, timeout=30):
    def match(post):
        blob = json.dumps(post)
        return post.get("channel") == channel and contains in blob

    return servers.fake_slack.wait_for(match, timeout)


def test_credentials_take_slack_secrets_from_the_environment(monkeypatch):
    from channels.slack import DealcoachSlackInput

    # The file names the channel and holds no secret (nor a ${...} Rasa would insist on).
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert credentials["channels.slack.DealcoachSlackInput"] is None
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-from-env")
    channel = DealcoachSlackInput.from_credentials(None)
    assert (channel.slack_token, channel.slack_signing_secret, channel.switched_on) == (
        "xoxb-from-env",
        "secret-from-env",
        True,
    )
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    assert not DealcoachSlackInput.from_credentials(None).switched_on


def test_a_signed_event_is_processed_and_answered_in_slack(servers):
    assert send(servers, event("new deal: Nordstahl", channel="D-ok")) == 200
    (post,) = posts_to(servers, "D-ok", "New deal: Nordstahl")[:1]
    assert post["_auth"] == "Bearer xoxb-test-token"
    assert [d["company"] for d in servers.export("T1:U1", channel="slack")] == ["Nordstahl"]
    # The next question comes with buttons as a Block Kit actions block.
    (question,) = posts_to(servers, "D-ok", "Which sector")[:1]
    blocks = (
        json.loads(question["blocks"])
        if isinstance(question["blocks"], str)
        else question["blocks"]
    )
    actions = [b for b in blocks if b["type"] == "actions"][0]
    assert len(actions["elements"]) == 9  # more than Rasa's own limit of 5


@pytest.mark.parametrize(
    "how",
    ["missing signature", "wrong secret", "timestamp too old"],
)
def test_unsigned_or_stale_requests_are_refused_and_store_nothing(servers, how):
    company = f"Forged{how.split()[0].title()}"
    payload = event(f"new deal: {company}", user="U-forged", channel="D-forged")
    kwargs = {
        "missing signature": {"sign": False},
        "wrong secret": {"secret": "not-the-secret"},
        "timestamp too old": {"timestamp": int(time.time()) - 6 * 60},
    }[how]
    assert send(servers, payload, **kwargs) == 400
    time.sleep(1)
    assert servers.export("T1:U-forged", channel="slack") == []
    assert not [p for p in servers.fake_slack.posts if p.get("channel") == "D-forged"]


def test_a_retry_of_the_same_event_is_not_processed_twice(servers):
    payload = event("new deal: Retryco", user="U-retry", channel="D-retry", event_id="EvRetry1")
    assert send(servers, payload) == 200
    assert send(servers, payload, retry=1) == 200
    posts_to(servers, "D-retry", "New deal: Retryco")
    # A later message of the same user is answered after anything the retry could have
    # caused (Rasa handles one conversation's messages in turn): once its answer is
    # there, a processed retry would have answered too, with "Back to Retryco".
    assert send(servers, event("my deals", user="U-retry", channel="D-retry")) == 200
    assert posts_to(servers, "D-retry", "Your deals (1)")
    welcomes = posts_to(servers, "D-retry", "New deal: Retryco")
    assert len(welcomes) == 1
    answers = [p for p in servers.fake_slack.posts if p.get("channel") == "D-retry"]
    assert not [p for p in answers if "Back to Retryco" in json.dumps(p)], answers


def test_brief_uses_block_kit_and_workspaces_do_not_share_deals(servers):
    send(servers, event("new deal: Blockco", user="U7", team="T7", channel="D-blocks"))
    posts_to(servers, "D-blocks", "New deal: Blockco")
    send(servers, event("it's a steel company with 300 staff", user="U7", team="T7",
                        channel="D-blocks"))  # fmt: skip
    posts_to(servers, "D-blocks", "steel")
    send(servers, event("brief me on Blockco", user="U7", team="T7", channel="D-blocks"))
    (brief,) = posts_to(servers, "D-blocks", "Brief: Blockco")[:1]
    blocks = brief["blocks"] if isinstance(brief["blocks"], list) else json.loads(brief["blocks"])
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Brief: Blockco"}}
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Sector*\nsteel & metals" in fields
    # The buying centre as a map: a field per role, nobody known yet, so empty seats.
    seats = [f for f in fields if load_web_texts().panel["empty_seat"] in f]
    assert seats and seats[0].startswith("*") and ":warning:" in seats[0]
    assert any(b["type"] == "actions" for b in blocks)
    assert brief["text"].startswith("Brief: Blockco")  # plain-text fallback for notifications
    # The same user id in another workspace is another salesperson.
    send(servers, event("brief me on Blockco", user="U7", team="T8", channel="D-other"))
    (other,) = posts_to(servers, "D-other", "Blockco")[:1]
    assert "no deal called Blockco" in json.dumps(other) and "steel" not in json.dumps(other)


def test_a_button_click_is_processed_as_its_payload(servers):
    send(servers, event("new deal: Clickco", user="U9", team="T9", channel="D-click"))
    posts_to(servers, "D-click", "Which sector")
    payload = {
        "type": "block_actions",
        "team": {"id": "T9"},
        "user": {"id": "U9"},
        "channel": {"id": "D-click"},
        "message": {"ts": "1.0"},
        "actions": [
            {"type": "button", "value": '/give_facts{"sector": "robotics"}', "action_id": "a"}
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert signed_post(servers, body, "application/x-www-form-urlencoded") == 200
    posts_to(servers, "D-click", "robotics")
    (deal,) = servers.export("T9:U9", channel="slack")
    assert deal["sector"] == "robotics"


def test_a_dutch_review_over_signed_slack_requests(servers):
    nl = load_knowledge().in_language("nl")

    def say(text, expect):
        assert send(servers, event(text, user="U-nl", team="T-nl", channel="D-nl")) == 200
        return posts_to(servers, "D-nl", expect)[-1]

    say("kan het in het Nederlands?", "Vanaf nu antwoord ik in het Nederlands.")
    say("let's review the Nordstahl deal", "Nieuwe deal: Nordstahl")
    say("they're still writing the spec and it's a strategic purchase for them", "specificatie")
    say("the CFO makes the final call, it's a new purchase for a 2000-person steel company",
        "2000 medewerkers")  # fmt: skip
    say("Petra Lang is the CFO", "Petra Lang")
    brief = say("brief me on Nordstahl", "Briefing: Nordstahl")
    blocks = brief["blocks"] if isinstance(brief["blocks"], list) else json.loads(brief["blocks"])
    assert blocks[0]["text"]["text"] == "Briefing: Nordstahl"
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert f"*{nl.phrase('brief_sector')}*\n{nl.label('sector', 'steel_metals')}" in fields
    # The map in Dutch: the roles' Dutch names, Petra's card, empty seats in Dutch.
    decider = [f for f in fields if f.startswith(f"*{nl.label('role', 'decider')}*")]
    assert decider and "Petra Lang" in decider[0]
    assert any(nl.web.panel["empty_seat"] in f for f in fields)
    texts = json.dumps(blocks, ensure_ascii=False)
    assert nl.web.panel["map"] in texts and load_web_texts().panel["empty_seat"] not in texts
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert nl.phrase("slack_my_deals") in buttons
    # Stored in canonical values, whatever the language of the conversation.
    (deal,) = servers.export("T-nl:U-nl", channel="slack")
    assert (deal["sector"], deal["purchase_situation"]) == ("steel_metals", "new_task")
    assert (deal["buying_stage"], deal["employees"]) == ("specification", 2000)
