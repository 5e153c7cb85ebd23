"""A salesperson never reads, changes or deletes another's deal, whatever they type and
whichever identity they come with: REST sender ids, socket.io sessions, Slack users.

Every attempt is made twice: typed, and as the button payload that hands the action
the deal's exact name (so the test does not depend on the NLU finding the name)."""

import json
import re
import threading
import time
import uuid

import pytest
import socketio

from tests.e2e.checks import report
from tests.e2e.test_slack import event, posts_to, send

OWNER = "rep-iso-owner"
COMPANY = "Vexmoor"
#: What only the owner's deal holds; no answer to anyone else may contain any of it.
SECRETS = ("Wilhelmina", "Quist", "4321")
#: The owner's sector and stage, as replies word them: common words, so matched as whole
#: words in the replies to others (none of which has a reason to name them).
FACT_WORDS = ("pharma", "negotiation")

ATTEMPTS = [
    ("brief me on Vexmoor", f'/deal_brief{{"company": "{COMPANY}"}}'),
    ("prep me for my meeting with Vexmoor", f'/deal_brief{{"company": "{COMPANY}"}}'),
    (
        "what does that mean for my Vexmoor deal?",
        f'/apply_concept{{"company": "{COMPANY}", "concept": "buying_centre"}}',
    ),
    (
        "update Vexmoor: they're now in supplier search",
        f'/update_deal{{"company": "{COMPANY}", "buying_stage": "supplier_search"}}',
    ),
    (None, f'/update_deal{{"company": "{COMPANY}", "buying_stage": "supplier_search"}}'),
    ("rename Vexmoor to Stolen Ltd", f'/rename_deal{{"company": ["{COMPANY}", "Stolen Ltd"]}}'),
    ("delete the Vexmoor deal", f'/delete_deal{{"company": "{COMPANY}"}}'),
    ("yes", "/affirm"),
    ("my deals", "/list_deals"),
]
TRIED = {"attempts": 0}


def leaks(reply):
    found = [secret for secret in SECRETS if secret.lower() in reply.lower()]
    return found + [w for w in FACT_WORDS if re.search(rf"\b{w}\b", reply, re.IGNORECASE)]


def payload(intent, **entities):
    return f"/{intent}{json.dumps(entities)}"


@pytest.fixture(scope="module")
def owners_deal(servers):
    """The owner's deal over REST, given with payloads so every fact is certain."""
    servers.say(OWNER, payload("start_review", company=COMPANY))
    servers.say(OWNER, payload("give_facts", sector="pharma", employees=4321))
    servers.say(OWNER, payload("give_facts", person="Wilhelmina Quist", role="decider"))
    servers.say(OWNER, payload("give_facts", buying_stage="negotiation"))
    (deal,) = servers.deals(OWNER)
    assert (deal["sector"], deal["employees"], deal["buying_stage"]) == (
        "pharma",
        4321,
        "negotiation",
    )
    yield deal
    report("isolation", f"{TRIED['attempts']} attempts on another's deal, none got through")


def attempt(say, intruder):
    """Every attempt, typed and as a payload; the answers that leaked something."""
    leaked = []
    for typed, button in ATTEMPTS:
        for text in (typed, button):
            if text is None:
                continue
            reply = say(intruder, text)
            TRIED["attempts"] += 1
            if leaks(reply):
                leaked.append((intruder, text, reply))
    return leaked


def assert_untouched(servers, before):
    (after,) = servers.deals(OWNER)
    assert after == before


@pytest.mark.parametrize(
    "intruder",
    [
        "rep-iso-intruder",
        f"{OWNER} ",  # looks like the owner: trailing space
        OWNER.upper(),
        f"rest:{OWNER}",  # the owner's full owner id, as a sender id
        f"{OWNER}\u200b",  # a zero-width space
    ],
)
def test_rest_senders_cannot_reach_anothers_deal(servers, owners_deal, intruder):
    assert attempt(servers.say, intruder) == []
    assert_untouched(servers, owners_deal)
    # Whatever deals the attempts made for the intruder (a "Vexmoor" of their own, say)
    # hold nothing of the owner's.
    assert not leaks(json.dumps(servers.deals(intruder)))


def test_starting_a_deal_of_the_same_name_makes_a_new_one(servers, owners_deal):
    intruder = "rep-iso-namesake"
    assert "New deal: Vexmoor" in servers.say(intruder, payload("start_review", company=COMPANY))
    brief = servers.say(intruder, "brief me on Vexmoor")
    assert brief.startswith("Brief: Vexmoor") and not leaks(brief)
    servers.say(intruder, payload("give_facts", sector="robotics"))
    assert_untouched(servers, owners_deal)
    (theirs,) = servers.deals(intruder)
    assert theirs["sector"] == "robotics" and theirs["stakeholders"] == []


class SocketChat:
    """A socket.io client of the chat page's kind: one session id, the bot's replies."""

    def __init__(self, url, session_id):
        self.session_id = session_id
        self.replies = []
        self.confirmed = threading.Event()
        self.client = socketio.Client()
        self.client.on("session_confirm", lambda _: self.confirmed.set())
        self.client.on("bot_uttered", self.replies.append)
        self.client.connect(url, transports=["polling"])
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.wait(30), "no session_confirm"

    def say(self, text, quiet=0.8, timeout=60):
        seen = len(self.replies)
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        deadline = time.monotonic() + timeout
        while len(self.replies) == seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.replies) > seen, f"no answer to {text!r}"
        while True:  # the turn's last message: nothing more for a moment
            count = len(self.replies)
            time.sleep(quiet)
            if len(self.replies) == count:
                break
        return "\n".join(r.get("text") or "" for r in self.replies[seen:])

    def close(self):
        self.client.disconnect()


@pytest.fixture
def socket_chat(servers):
    chats = []

    def open_chat(session_id):
        chat = SocketChat(servers.url, session_id)
        chats.append(chat)
        return chat

    yield open_chat
    for chat in chats:
        chat.close()


def test_socketio_sessions_are_separate_salespeople(servers, owners_deal, socket_chat):
    # A session named like the REST owner is not the REST owner.
    lookalike = socket_chat(OWNER)
    assert attempt(lambda _, text: lookalike.say(text), OWNER) == []
    assert_untouched(servers, owners_deal)
    # A socket.io salesperson's deal is theirs: not another session's, not REST's.
    session = uuid.uuid4().hex
    mine = socket_chat(session)
    assert "New deal: Sockmoor" in mine.say(payload("start_review", company="Sockmoor"))
    mine.say(payload("give_facts", sector="pharma", employees=4321))
    before = servers.deals(session, channel="socketio")
    other = socket_chat(uuid.uuid4().hex)
    for say in (lambda text: other.say(text), lambda text: servers.say(session, text)):
        for text in ("brief me on Sockmoor", payload("deal_brief", company="Sockmoor")):
            reply = say(text)
            TRIED["attempts"] += 1
            assert "no deal called Sockmoor" in reply and not leaks(reply)
        say(payload("delete_deal", company="Sockmoor"))
        say("/affirm")
        TRIED["attempts"] += 2
    assert servers.deals(session, channel="socketio") == before
    # The deal panel comes on the same session: the owner's, never anyone else's.
    assert any("Sockmoor" in panel and "4321" in panel for panel in panels_of(mine))
    for someone_else in (lookalike, other):
        for panel in panels_of(someone_else):
            assert not leaks(panel) and "Sockmoor" not in panel, panel


def panels_of(chat):
    """The deal panels a socket.io session was sent, as JSON text."""
    return [json.dumps(r["dealcoach_panel"]) for r in chat.replies if "dealcoach_panel" in r]


SLACK_ATTEMPTS = [
    "brief me on Slackmoor",
    payload("deal_brief", company="Slackmoor"),
    payload("delete_deal", company="Slackmoor"),
    "/affirm",
    payload("update_deal", company="Slackmoor", buying_stage="decision"),
]


def slack_turn(servers, channel, payload_, quiet=0.8, timeout=30):
    """Send one signed event; the bot's posts to ``channel`` in answer to it."""

    def posted():
        return [p for p in list(servers.fake_slack.posts) if p.get("channel") == channel]

    seen = len(posted())
    assert send(servers, payload_) == 200
    deadline = time.monotonic() + timeout
    while len(posted()) == seen and time.monotonic() < deadline:
        time.sleep(0.1)
    while True:
        count = len(posted())
        time.sleep(quiet)
        if len(posted()) == count:
            return posted()[seen:]


def test_slack_users_cannot_reach_each_others_deals(servers):
    owner = {"user": "U-iso-own", "team": "T-iso"}
    send(servers, event(payload("start_review", company="Slackmoor"), channel="D-iso", **owner))
    posts_to(servers, "D-iso", "New deal: Slackmoor")
    send(servers, event(payload("give_facts", sector="pharma", employees=4321), channel="D-iso",
                        **owner))  # fmt: skip
    posts_to(servers, "D-iso", "4321 employees")
    before = servers.deals("T-iso:U-iso-own", channel="slack")
    assert before[0]["sector"] == "pharma"
    # Another user of the same workspace, and the same user id in another workspace.
    for n, who in enumerate([{"user": "U-iso-other", "team": "T-iso"},
                             {"user": "U-iso-own", "team": "T-elsewhere"}]):  # fmt: skip
        channel = f"D-iso-{n}"
        for text in SLACK_ATTEMPTS:
            answers = slack_turn(servers, channel, event(text, channel=channel, **who))
            TRIED["attempts"] += 1
            assert answers, f"no answer to {text!r}"
            assert not leaks(json.dumps(answers)), answers
    # A REST client sending the Slack user's id is a REST salesperson.
    reply = servers.say("T-iso:U-iso-own", payload("deal_brief", company="Slackmoor"))
    TRIED["attempts"] += 1
    assert "no deal called Slackmoor" in reply
    assert servers.deals("T-iso:U-iso-own", channel="slack") == before
