"""The chat page's signed-in mode over the real socket.io channel: real Rasa and action
servers on loopback, started with ``DEALCOACH_WEB_JWT_PUBLIC_KEY`` (RS256, as an identity
provider signs) and ``DEALCOACH_WEB_JWT_AUDIENCE``, and real tokens.

No message may act for anyone but its token's subject: not with a missing, forged,
expired or wrong-audience token, not by naming another salesperson's session id."""

import json
import sqlite3
import threading
import time
import uuid

import jwt
import pytest
import socketio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels.web import EXPIRED, SIGN_IN_AGAIN
from tests.conftest import MODEL
from tests.e2e.servers import Servers

AUDIENCE = "dealcoach-e2e"


def payload(intent, **entities):
    return f"/{intent}{json.dumps(entities)}"


class Keys:
    """The identity provider's key pair (the servers know only the public half) and an
    impostor's."""

    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def token(self, sub, lifetime=3600, audience=AUDIENCE, key=None):
        claims = {"sub": sub, "exp": int(time.time()) + lifetime, "aud": audience}
        return jwt.encode(claims, key or self.private, algorithm="RS256")


@pytest.fixture(scope="module")
def keys():
    return Keys()


@pytest.fixture(scope="module")
def signed_in_servers(tmp_path_factory, keys):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    running = Servers(tmp_path_factory.mktemp("signed-in"))
    running.env.update(
        DEALCOACH_WEB_JWT_PUBLIC_KEY=keys.public_pem, DEALCOACH_WEB_JWT_AUDIENCE=AUDIENCE
    )
    running.env.pop("DEALCOACH_WEB_JWT_SECRET", None)
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop()


class SignedInChat:
    """A socket.io client as the chat page connects: its token in the connect auth."""

    def __init__(self, url, token, session_id=None, http_session=None):
        self.session_id = session_id
        self.replies = []
        self.refusal = None
        self.ended = None
        self.confirmed_as = None
        self.confirmed = threading.Event()
        self.disconnected = threading.Event()
        # http_session: the browser's cookie jar (the team tests pin a replica with it).
        self.client = socketio.Client(reconnection=False, http_session=http_session)
        self.client.on("session_confirm", self._confirm)
        self.client.on("bot_uttered", self.replies.append)
        self.client.on("connect_error", self._refused)
        self.client.on("sign_in_required", self._ended)
        self.client.on("disconnect", self.disconnected.set)
        auth = {"token": token} if token is not None else None
        try:
            self.client.connect(url, transports=["polling"], auth=auth, wait_timeout=30)
        except socketio.exceptions.ConnectionError:
            return
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.wait(30), "no session_confirm"

    def _confirm(self, data):
        self.confirmed_as = data
        self.confirmed.set()

    def _refused(self, data):
        self.refusal = data

    def _ended(self, data):
        self.ended = data

    def say(self, text, quiet=0.8, timeout=60):
        seen = len(self.replies)
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        deadline = time.monotonic() + timeout
        while len(self.replies) == seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.replies) > seen, f"no answer to {text!r}"
        return self.rest_of_turn(seen, quiet)

    def rest_of_turn(self, seen, quiet=0.8):
        while True:  # the turn's last message: nothing more for a moment
            count = len(self.replies)
            time.sleep(quiet)
            if len(self.replies) == count:
                break
        return "\n".join(r.get("text") or "" for r in self.replies[seen:])

    def close(self):
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def chat(signed_in_servers):
    chats = []

    def open_chat(token, session_id=None):
        opened = SignedInChat(signed_in_servers.url, token, session_id)
        chats.append(opened)
        return opened

    yield open_chat
    for opened in chats:
        opened.close()


def stored_events(servers):
    """Every conversation event Rasa has stored, per sender id."""
    if not servers.tracker_db.exists():
        return {}
    with sqlite3.connect(servers.tracker_db) as db:
        return dict(db.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"))


def test_bad_tokens_are_refused_with_one_sentence_and_nothing_is_stored(
    signed_in_servers, keys, chat
):
    events_before = stored_events(signed_in_servers)
    bad = [
        ("no token", None),
        ("no token", ""),
        ("invalid", keys.token("alice", key=keys.impostor)),
        ("invalid", "alice"),
        ("expired", keys.token("alice", lifetime=-30)),
        ("wrong audience", keys.token("alice", audience="another-app")),
    ]
    for reason, token in bad:
        refused = chat(token, session_id="alice")
        assert not refused.client.connected, reason
        assert refused.refusal == {"message": SIGN_IN_AGAIN, "data": {"reason": reason}}
        assert refused.replies == [] and refused.confirmed_as is None, reason
    assert stored_events(signed_in_servers) == events_before
    assert signed_in_servers.deals("alice", channel="web") == []


def test_a_token_for_bob_naming_alices_session_gets_bobs_deals_only(signed_in_servers, keys, chat):
    alice = chat(keys.token("alice"), session_id="alice")
    assert alice.confirmed_as == "alice"
    assert "New deal: Alicorp" in alice.say(payload("start_review", company="Alicorp"))
    alice.say(payload("give_facts", sector="pharma", employees=4321))
    alices_deals = signed_in_servers.deals("alice", channel="web")
    assert [d["company"] for d in alices_deals] == ["Alicorp"]

    # Bob asks for Alice's session and names it in every message.
    bob = chat(keys.token("bob"), session_id="alice")
    assert bob.confirmed_as == "bob"
    for text in ("brief me on Alicorp", payload("deal_brief", company="Alicorp"), "my deals"):
        reply = bob.say(text)
        assert "4321" not in reply and "pharma" not in reply.lower(), (text, reply)
    assert "New deal: Bobworks" in bob.say(payload("start_review", company="Bobworks"))
    bob.say(payload("update_deal", company="Alicorp", buying_stage="negotiation"))
    bob.say(payload("delete_deal", company="Alicorp"))
    bob.say("/affirm")

    assert [d["company"] for d in signed_in_servers.deals("bob", channel="web")] == ["Bobworks"]
    assert signed_in_servers.deals("alice", channel="web") == alices_deals
    # Nothing under the ids the client named or Rasa's default channel name.
    assert signed_in_servers.deals("alice", channel="socketio") == []
    # Alice did not hear Bob's conversation.
    assert not any("Bobworks" in (r.get("text") or "") for r in alice.replies)
    # The deal panels on each socket are its salesperson's only.
    panels = {
        who: [json.dumps(r["dealcoach_panel"]) for r in chat.replies if "dealcoach_panel" in r]
        for who, chat in (("alice", alice), ("bob", bob))
    }
    assert any("Alicorp" in p and "4321" in p for p in panels["alice"])
    assert any("Bobworks" in p for p in panels["bob"])
    assert not any("Alicorp" in p or "4321" in p for p in panels["bob"])
    assert not any("Bobworks" in p for p in panels["alice"])


def test_two_devices_of_one_person_share_deals_and_the_review(signed_in_servers, keys, chat):
    person = f"carol-{uuid.uuid4().hex[:8]}"
    laptop = chat(keys.token(person), session_id=uuid.uuid4().hex)
    phone = chat(keys.token(person), session_id=uuid.uuid4().hex)
    assert laptop.confirmed_as == phone.confirmed_as == person

    seen_on_phone = len(phone.replies)
    assert "New deal: Twinco" in laptop.say(payload("start_review", company="Twinco"))
    # The phone shows the conversation too: the answers go to every device of the person.
    assert "New deal: Twinco" in phone.rest_of_turn(seen_on_phone)

    # The review in progress continues on the phone.
    phone.say(payload("give_facts", sector="pharma", employees=777))
    deals = signed_in_servers.deals(person, channel="web")
    assert [(d["company"], d["sector"], d["employees"]) for d in deals] == [
        ("Twinco", "pharma", 777)
    ]
    assert "Twinco" in laptop.say("my deals")


def test_a_token_that_expires_ends_the_conversation(signed_in_servers, keys, chat):
    short = keys.token("dave", lifetime=8)
    dave = chat(short)
    assert dave.confirmed_as == "dave"
    # The server ends it when the token runs out; the page is told why.
    assert dave.disconnected.wait(60), "still connected after the token expired"
    assert dave.ended == {"message": EXPIRED, "reason": "expired"}
    # The same token does not get back in.
    again = chat(short)
    assert not again.client.connected and again.refusal["message"] == SIGN_IN_AGAIN
