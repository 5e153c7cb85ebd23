"""No reply shows a raw placeholder: every response path, through the real Rasa and action
servers, answers with its values filled in and never a ``{`` or ``}``.

The paths: each deal command naming a deal the salesperson does not have (typed, and as
the button payload that hands the action the name whatever the NLU makes of it), for a
new salesperson and for one in the middle of another deal's review; every intent of the
domain as a bare payload, with and without a deal; and a review taken through every
response that carries a value (started, resumed, deferred, left open, a "no" to a
check, update not understood, delete confirmation, paused, complete). The last test
reads the conversations back from Rasa and checks that each of those responses was
really said, so a path that stops being reached fails here rather than going untested.
"""

import json
import re

import pytest
import yaml

from dealcoach.knowledge_base.placeholders import RESPONSE_VALUES
from testkit.loopback import http
from tests.conftest import ROOT
from tests.e2e.servers import API_TOKEN

UNKNOWN = "Zyxco"
BRACE = re.compile(r"[{}]")
#: Each deal command naming a deal nobody has: typed, and as its button payload.
UNKNOWN_DEAL_COMMANDS = {
    "advice": ("what should I do next on Zyxco?", {"ask_advice": {"company": UNKNOWN}}),
    "brief": ("brief me on Zyxco", {"deal_brief": {"company": UNKNOWN}}),
    "update": (
        "update Zyxco: they're now negotiating",
        {"update_deal": {"company": UNKNOWN, "buying_stage": "negotiation"}},
    ),
    "rename": ("rename Zyxco to Zyxco Corp", {"rename_deal": {"company": [UNKNOWN, "Zyxco Corp"]}}),
    "delete": ("delete the Zyxco deal", {"delete_deal": {"company": UNKNOWN}}),
    "apply a concept": (
        "what does a buying centre mean for my Zyxco deal?",
        {"apply_concept": {"company": UNKNOWN, "concept": "buying_centre"}},
    ),
}
SENDERS = []  # every sender of this module, for the coverage check at the end


def payload(intent, entities=None):
    return f"/{intent}" + (json.dumps(entities) if entities else "")


def shown(replies):
    """What the salesperson sees of the replies: texts and button titles (a button's
    payload is sent back, never shown)."""
    parts = []
    for reply in replies:
        parts.append(reply.get("text") or "")
        parts += [button.get("title") or "" for button in reply.get("buttons") or []]
        if reply.get("custom"):  # Block Kit on Slack; on REST, never expected
            parts.append(json.dumps(reply["custom"]))
    return "\n".join(p for p in parts if p)


def say(servers, sender, text):
    """One message; what is shown of the answer, which must hold no raw brace."""
    if sender not in SENDERS:
        SENDERS.append(sender)
    replies = servers.send(sender, text)
    seen = shown(replies)
    assert seen, f"no answer to {text!r}"
    assert not BRACE.search(seen), f"{text!r} was answered with a raw brace: {seen!r}"
    return seen


def start_review(servers, sender, company):
    return say(servers, sender, payload("start_review", {"company": company}))


@pytest.mark.parametrize("situation", ["new salesperson", "during another deal's review"])
@pytest.mark.parametrize("command", list(UNKNOWN_DEAL_COMMANDS))
def test_a_deal_command_on_an_unknown_deal_names_it(servers, command, situation):
    typed, button = UNKNOWN_DEAL_COMMANDS[command]
    ((intent, entities),) = button.items()
    sender = f"rep-raw-{command.replace(' ', '-')}-{situation.split()[0]}"
    if situation != "new salesperson":
        start_review(servers, sender, "Ostrava Steel")
    for text in (typed, payload(intent, entities)):
        reply = say(servers, sender, text)
        assert f"You have no deal called {UNKNOWN}." in reply, (text, reply)
        assert f'"new deal: {UNKNOWN}" starts one' in reply, (text, reply)


def test_starting_a_review_of_an_unknown_deal_names_it(servers):
    assert f"New deal: {UNKNOWN}." in say(servers, "rep-raw-start", f"new deal: {UNKNOWN}")
    other = say(servers, "rep-raw-start-2", payload("start_review", {"company": UNKNOWN}))
    assert f"New deal: {UNKNOWN}." in other
    assert f"Back to {UNKNOWN}." in say(servers, "rep-raw-start", f"back to {UNKNOWN}")


def intents():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return [name for name in domain["intents"] if name != "nlu_fallback"]


@pytest.mark.parametrize("with_deal", [False, True], ids=["no deal", "a deal under review"])
def test_every_intent_as_a_bare_payload(servers, with_deal):
    sender = f"rep-raw-intents-{with_deal}"
    if with_deal:
        start_review(servers, sender, "Brnoco")
    for intent in intents():
        say(servers, sender, payload(intent))


def test_typed_messages_of_every_kind(servers):
    sender = "rep-raw-typed"
    for text in [
        "hi",
        "help",
        "are you a bot?",
        "what's the weather like?",
        "my deals",
        "how am I doing?",
        "what should I do next?",
        "stop",
        "rename it",
        "delete a deal",
        "what is a buying centre?",
        "give me an example",
        "quiz me",
        "b",
        "stop",
        "what does it mean for my deal?",
        "thanks",
        "bye",
    ]:
        say(servers, sender, text)


def test_a_review_through_every_response_with_a_value(servers):
    me = "rep-raw-review"
    assert "New deal: Kladno Works." in start_review(servers, me, "Kladno Works")
    # The first question missed twice (an answer with no fact in it): put off until the
    # end ("Let's leave ... for later").
    say(servers, me, "/give_facts")
    assert "for later" in say(servers, me, "/give_facts")
    # A "no" to the coach's reading (set as the coach leaves it: no message can be
    # relied on to make it unsure).
    http(
        "POST",
        f"{servers.url}/conversations/{me}/tracker/events?token={API_TOKEN}",
        [{"event": "slot", "name": "pending_check", "value": {"buying_stage": "negotiation"}}],
    )
    assert "OK, not negotiation." in say(servers, me, "no")
    assert "I didn't catch what changed at Kladno Works." in say(
        servers, me, payload("update_deal", {"company": "Kladno Works"})
    )
    assert "Delete Kladno Works and everything" in say(
        servers, me, payload("delete_deal", {"company": "Kladno Works"})
    )
    assert "Kladno Works stays" in say(servers, me, "/deny")
    assert "Paused Kladno Works;" in say(servers, me, "/pause")
    assert "Back to Kladno Works." in start_review(servers, me, "Kladno Works")
    # Every other question answered with its button's values, the put-off one missed
    # twice again (then left open), until the review is done.
    facts = [
        {"company_size": "large", "employees": 900},
        {"purchase_situation": "new_task"},
        {"buying_stage": "specification"},
        {"perceived_risk": "high"},
        {"supplier_position": "challenger"},
        {"person": "Petra Lang", "role": "decider"},
        {"person": "Jan Novak", "role": "prescriber"},
        {"person": "Eva Dvorak", "role": "buyer"},
        {"person": "Petra Lang", "stance": "champion"},
        {"person": "Petra Lang", "met": "met"},
        {"person": "Jan Novak", "stance": "neutral"},
        {"person": "Jan Novak", "met": "not_met"},
        {"person": "Eva Dvorak", "stance": "supporter"},
        {"person": "Eva Dvorak", "met": "met"},
    ]
    said = [say(servers, me, payload("give_facts", f)) for f in facts]
    for _ in range(6):
        if "review of Kladno Works done" in "\n".join(said):
            break
        said.append(say(servers, me, "/give_facts"))
    assert "That's the review of Kladno Works done." in "\n".join(said), said[-3:]


def test_each_response_with_a_value_was_said(servers):
    """Runs last: the responses the tests above made Rasa say, read from its trackers."""
    said = set()
    for sender in SENDERS:
        tracker = http("GET", f"{servers.url}/conversations/{sender}/tracker?token={API_TOKEN}")
        said |= {
            (event.get("metadata") or {}).get("utter_action")
            for event in tracker["events"]
            if event["event"] == "bot"
        }
    # The yes/no check is asked only when the coach is unsure, which no message can be
    # relied on to make it (its "no" is covered above).
    expected = set(RESPONSE_VALUES) - {"utter_check_fact"}
    assert expected - said == set()
