"""The coach: one message, one transaction, the deal read once and written once; and
the review's routing, as data (no Rasa here: the actions only translate)."""

from __future__ import annotations

from collections import Counter
from typing import Any, List

import pytest

from dealcoach.serving.coach import Coach, Conversation, Reply, payload
from dealcoach.storage import Store, open_store
from dealcoach.understanding.commands import rename_names
from dealcoach.understanding.turns import Entity, Turn, entity_to_wire

OWNER = "rest:anna"
#: Repository methods that read a deal, and those that write one.
DEAL_READS = ("get", "get_by_id", "list_for", "open")
DEAL_WRITES = ("apply", "apply_to", "open", "rename", "delete")


class Counting:
    """A repository (or the store) with every method call counted by name."""

    def __init__(self, inner: Any, calls: Counter, prefix: str) -> None:
        self._inner, self._calls, self._prefix = inner, calls, prefix

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[self._prefix + name] += 1
            return attribute(*args, **kwargs)

        return counted


class CountingStore(Store):
    """The real SQLite store, its repositories behind counting proxies, and the SQL it
    runs traced: what a message costs, call by call and statement by statement."""

    def __init__(self, inner: Store) -> None:
        self.calls: Counter = Counter()
        self.statements: List[str] = []
        self.inner = inner
        super().__init__(
            deals=Counting(inner.deals, self.calls, "deals."),
            history=Counting(inner.history, self.calls, "history."),
            sessions=Counting(inner.sessions, self.calls, "sessions."),
            quizzes=Counting(inner.quizzes, self.calls, "quizzes."),
        )
        inner.db.conn.set_trace_callback(self.statements.append)

    def transaction(self):
        self.calls["transaction"] += 1
        return self.inner.transaction()

    def reset(self) -> None:
        self.calls.clear()
        self.statements.clear()

    def deal_reads(self) -> int:
        """Repository calls that read a deal (``active_deal`` reads through ``get_by_id``)."""
        return sum(self.calls["deals." + name] for name in DEAL_READS)

    def deal_writes(self) -> int:
        return sum(self.calls["deals." + name] for name in DEAL_WRITES)

    def sql(self, start: str) -> int:
        return sum(s.lstrip().upper().startswith(start.upper()) for s in self.statements)

    def deal_row_reads(self) -> int:
        """SELECTs of a deal's row, whatever repository method ran them."""
        return sum(s.startswith("SELECT * FROM deals") for s in self.statements)


@pytest.fixture
def store(tmp_path):
    counting = CountingStore(open_store(tmp_path / "deals.db"))
    yield counting
    counting.inner.close()


@pytest.fixture
def coach(kb, store):
    return Coach(kb, store)


def said(reply: Reply) -> List[str]:
    """The reply's messages: response names and texts, in order."""
    return [m.response or m.text or "" for m in reply.messages]


def facts(text: str, *entities: Entity) -> Turn:
    return Turn("give_facts", list(entities), text)


def in_review(coach: Coach, store: CountingStore) -> None:
    """Anna reviews Nordstahl; the coach has asked its first question."""
    reply = coach.start_review(
        OWNER,
        Turn("start_review", [Entity("company", "Nordstahl")], "review Nordstahl"),
        Conversation(),
    )
    assert said(reply)[0] == "utter_review_started"
    assert store.inner.active_deal(OWNER).asking
    store.reset()


def test_a_review_message_reads_the_deal_once_and_writes_it_once(coach, store):
    in_review(coach, store)
    turn = facts(
        "they are negotiating, a 2000-person steel company",
        Entity("buying_stage", "negotiation", source="pattern"),
        Entity("employees", 2000, source="count"),
        Entity("sector", "steel_metals", source="pattern"),
    )
    reply = coach.answer(OWNER, turn, Conversation())

    assert said(reply)[0].startswith("Noted: ")
    assert store.deal_reads() == 1, store.calls
    assert store.deal_writes() == 1, store.calls
    assert store.calls["deals.apply_to"] == 1
    # One transaction, and no deal row read again behind the repositories' backs.
    assert store.calls["transaction"] == 1
    assert store.sql("BEGIN") == 1 and store.sql("COMMIT") == 1
    assert store.deal_row_reads() == 1
    stored = store.inner.active_deal(OWNER)
    assert (stored.buying_stage, stored.employees, stored.sector) == (
        "negotiation",
        2000,
        "steel_metals",
    )


def test_the_message_that_ends_a_review_advises_and_logs_in_the_same_transaction(coach, store, kb):
    in_review(coach, store)
    # Skipping every question: the answer to the last one ends the review.
    reply = Reply()
    for _ in range(40):
        deal = store.inner.active_deal(OWNER)
        if deal.asking is None:
            break
        store.reset()
        reply = coach.answer(OWNER, Turn("skip", [], "skip"), Conversation())
    assert "utter_review_complete" in said(reply)
    assert reply.messages[-1].card is not None  # the advice, as data for Slack too
    assert store.calls["transaction"] == 1 and store.sql("BEGIN") == 1
    assert store.deal_reads() == 1 and store.deal_writes() == 1
    assert store.calls["history.log_advice"] == 1 and store.calls["history.end_review"] == 1
    assert store.inner.history.reviews(OWNER, deal.id)[-1].outcome == "complete"
    assert store.inner.history.advice(OWNER, deal.id)


def test_a_message_that_fails_half_way_changes_nothing(coach, store, kb):
    in_review(coach, store)
    before = store.inner.active_deal(OWNER)

    def broken(*args, **kwargs):
        raise RuntimeError("advice engine down")

    coach._advise = broken  # fails after the facts were applied
    turn = facts("it's a negotiation", Entity("buying_stage", "negotiation", source="pattern"))
    coach.answer(OWNER, turn, Conversation())  # no advice on this one: it asks on
    after = store.inner.active_deal(OWNER)
    assert after.buying_stage == "negotiation"
    with pytest.raises(RuntimeError):
        coach.advise(
            OWNER, Turn("ask_advice", [Entity("sector", "retail")], "retail"), Conversation()
        )
    # The sector said with the request was applied in memory, never stored.
    assert store.inner.active_deal(OWNER).sector == before.sector


def test_a_yes_no_check_is_offered_as_buttons_and_a_yes_takes_it(coach, store, kb):
    in_review(coach, store)
    check = Conversation(pending_check={"buying_stage": "supplier_search"})
    reply = coach.answer(OWNER, Turn("affirm", [], "yes"), check)
    assert (
        said(reply)[0]
        == "Noted: buying stage: " + kb.label("buying_stage", "supplier_search") + "."
    )
    assert reply.slots["pending_check"] is None
    assert store.inner.active_deal(OWNER).buying_stage == "supplier_search"


def test_facts_before_the_client_is_named_wait_for_it(coach, store):
    turn = facts("they make robots", Entity("sector", "robotics", source="pattern"))
    reply = coach.answer(OWNER, turn, Conversation())
    assert said(reply) == ["utter_which_client"]
    kept = reply.slots["pending_entities"]
    assert kept == [entity_to_wire(Entity("sector", "robotics", source="pattern"))]
    reply = coach.answer(
        OWNER,
        Turn("give_facts", [], "Zeller"),
        Conversation.from_slots(coach.kb, {"pending_entities": kept}, "utter_which_client"),
    )
    assert said(reply)[0] == "utter_review_started"
    assert reply.slots["pending_entities"] is None
    assert store.inner.active_deal(OWNER).sector == "robotics"


def test_pause_keeps_the_deal_and_a_delete_waits_for_its_yes(coach, store):
    in_review(coach, store)
    reply = coach.pause(OWNER, Turn("pause", [], "stop"), Conversation())
    assert said(reply) == ["utter_paused"] and store.deal_reads() == 1
    assert store.inner.active_deal(OWNER).status == "paused"
    reply = coach.delete_deal(
        OWNER,
        Turn("delete_deal", [Entity("company", "nordstahl")], "delete nordstahl"),
        Conversation(),
    )
    assert said(reply) == ["utter_confirm_delete"]
    deal_id = reply.slots["pending_delete"]
    assert [b.payload for b in reply.messages[0].buttons] == ["/affirm", "/deny"]
    waiting = Conversation(pending_delete=deal_id, last_response="utter_confirm_delete")
    reply = coach.answer(OWNER, Turn("deny", [], "no"), waiting)
    assert said(reply) == ["OK, Nordstahl stays."] and reply.slots == {
        "pending_delete": None,
        "language": "en",  # (every reply carries the salesperson's language)
    }
    reply = coach.answer(OWNER, Turn("affirm", [], "yes"), waiting)
    assert said(reply)[0].startswith("Deleted Nordstahl")
    assert store.inner.deals.list_for(OWNER) == []


def test_another_salespersons_deal_is_never_reached(coach, store):
    in_review(coach, store)
    bob = "rest:bob"
    reply = coach.brief(
        bob, Turn("deal_brief", [Entity("company", "Nordstahl")], "brief"), Conversation()
    )
    assert said(reply) == ["utter_no_such_deal"]
    nordstahl = store.inner.active_deal(OWNER)
    waiting = Conversation(pending_delete=nordstahl.id, last_response="utter_confirm_delete")
    coach.answer(bob, Turn("affirm", [], "yes"), waiting)
    assert store.inner.active_deal(OWNER) == nordstahl


def test_buttons_payloads_are_written_in_one_place(coach, store):
    in_review(coach, store)
    reply = coach.answer(
        OWNER, facts("steel", Entity("sector", "steel_metals", source="pattern")), Conversation()
    )
    question = reply.messages[-1]
    assert question.buttons and all(b.payload.startswith("/") for b in question.buttons)
    assert payload("give_facts", {"sector": "retail"}) == '/give_facts{"sector": "retail"}'
    assert payload("deny") == "/deny"


def test_the_rename_command_names_old_and_new():
    assert rename_names("rename Acme to Acme Corp", []) == ("Acme", "Acme Corp")
    assert rename_names("pls rename the Globex deal to Globex EU.", []) == ("Globex", "Globex EU")
    assert rename_names("Tanaka got renamed, pls change it", ["Tanaka", "TS"]) == ("Tanaka", "TS")
    assert rename_names("rename it", ["Acme"]) is None
