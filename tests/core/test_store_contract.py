"""The store contract: what every storage backend must do, whatever it stores in.

Every test runs once per backend in ``BACKENDS``: SQLite on a temporary file, and
PostgreSQL on a fresh database of the session's own throwaway cluster
(``tests/services/postgres.py``; a missing PostgreSQL fails these tests, it does not
skip them). A new backend adds one entry, an opener factory, and must pass all of it
unchanged. The tests use the repositories only (``dealcoach.storage.protocols``),
never a backend's tables; what only one backend has is in ``test_store.py`` (SQLite:
file permissions, WAL, schema versions of the file) and ``test_postgres_store.py``
(PostgreSQL: schema versions, row locks met in a chosen order, the pool).

What is covered: every repository method; owner isolation (another owner's deal id
never reads, writes, renames or deletes, nor sets the active deal, and another
owner's quiz is never answered); bad input (unknown deal, a name clash on rename,
empty names); atomicity (a change that fails leaves the deal as it was); and
persistence (what was written is there after a reopen); concurrency (two stores
open on one database, as two replicas are, writing the same deal at once lose no
update).
"""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from dealcoach.deals.deal import Change
from dealcoach.storage import (
    AdviceGiven,
    DealRepository,
    FactChange,
    HistoryRepository,
    LanguageSetting,
    NameClash,
    QuizAnswer,
    QuizRepository,
    Review,
    SessionRepository,
    Store,
    UnknownDeal,
    UnknownQuiz,
    open_store,
)

# The session's PostgreSQL cluster and a fresh database of it, for ``_postgres``.
from tests.services.postgres import postgres_cluster, postgres_url  # noqa: F401

Opener = Callable[[], Store]


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return lambda: open_store(tmp_path / "contract.db")


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    url = request.getfixturevalue("postgres_url")
    return lambda: open_store(url)


#: Each backend: given the test's request and a fresh temporary directory, a function
#: that opens the same (initially empty) store each time it is called.
BACKENDS: Dict[str, Callable[[pytest.FixtureRequest, Path], Opener]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}

UNKNOWN_ID = 987654


@pytest.fixture(params=sorted(BACKENDS))
def opener(request, tmp_path):
    return BACKENDS[request.param](request, tmp_path)


@pytest.fixture
def store(opener):
    opened = opener()
    yield opened
    opened.close()


def snapshot(store: Store, owner: str, deal_id: int) -> tuple:
    """Everything the repositories hold about one deal, to compare before and after."""
    return (
        store.deals.get_by_id(owner, deal_id),
        [(p.id, p) for p in store.deals.get_by_id(owner, deal_id).stakeholders],
        store.history.reviews(owner, deal_id),
        store.history.advice(owner, deal_id),
        store.history.fact_changes(owner, deal_id),
    )


def nordstahl(store: Store, owner: str = "alice"):
    deal, _ = store.deals.open(owner, "Nordstahl")
    return store.deals.apply(
        owner,
        deal.id,
        [
            Change("fact", "sector", "steel_metals"),
            Change("fact", "employees", 2000),
            Change("person", "Petra Lang", data={"title": "cfo", "assume_roles": ["decider"]}),
            Change("person", "Jan", data={"add_roles": ["buyer"], "met": True}),
        ],
    )


# --- deals -----------------------------------------------------------------------------


def test_open_creates_once_and_finds_the_deal_again_by_its_name_forgivingly(store):
    deal, created = store.deals.open("alice", "  Acme   Corp ")
    assert created and deal.id is not None
    assert (deal.owner, deal.company, deal.status) == ("alice", "Acme Corp", "open")
    assert (deal.stakeholders, deal.unknown, deal.deferred, deal.asking) == ([], [], [], None)
    again, created = store.deals.open("alice", "the ACME corp deal")
    assert not created and again.id == deal.id and again.company == "Acme Corp"
    assert store.deals.get("alice", "acme corp").id == deal.id
    assert store.deals.get_by_id("alice", deal.id).company == "Acme Corp"


@pytest.mark.parametrize("name", ["", "   ", " .! "])
def test_a_deal_needs_a_client_name(store, name):
    with pytest.raises(ValueError):
        store.deals.open("alice", name)
    assert store.deals.list_for("alice") == []


def test_unknown_deals_are_none(store):
    assert store.deals.get("alice", "Nobody") is None
    assert store.deals.get_by_id("alice", UNKNOWN_ID) is None
    assert store.deals.list_for("alice") == []
    assert store.deals.owners() == []


def test_list_for_gives_the_owners_deals_most_recently_updated_first(store):
    a, _ = store.deals.open("alice", "Acme")
    b, _ = store.deals.open("alice", "Globex")
    store.deals.open("bob", "Initech")
    # Same second: the later deal first; then an update moves Acme to the top.
    assert [d.company for d in store.deals.list_for("alice")] == ["Globex", "Acme"]
    updated = store.deals.apply("alice", a.id, [Change("fact", "sector", "retail")])
    assert updated.updated_at >= b.updated_at
    listed = store.deals.list_for("alice")
    assert {d.company for d in listed} == {"Acme", "Globex"}
    if updated.updated_at > b.updated_at:
        assert [d.company for d in listed] == ["Acme", "Globex"]
    assert [d.company for d in store.deals.list_for("bob")] == ["Initech"]
    assert store.deals.owners() == ["alice", "bob"]


def test_apply_changes_facts_people_and_the_review_state_and_they_persist(opener):
    store = opener()
    deal, _ = store.deals.open("alice", "Nordstahl")
    after = store.deals.apply(
        "alice",
        deal.id,
        [
            Change("fact", "sector", "steel_metals"),
            Change("fact", "employees", 2000),
            Change("person", "Petra Lang", data={"title": "cfo", "assume_roles": ["decider"]}),
            Change("person", "Jan", data={"add_roles": ["buyer"], "met": True}),
            Change("person", "Jan", data={"stance": "champion"}),
            Change("person", "CTO", data={"named": False, "add_roles": ["prescriber"]}),
            Change("unknown", "perceived_risk"),
            Change("defer", "buying_stage"),
            Change("asking", value="role:influencer", data={"times": 2}),
            Change("status", value="paused"),
        ],
    )
    assert after.updated_at is not None
    store.close()
    store = opener()
    stored = store.deals.get_by_id("alice", deal.id)
    assert stored == after
    assert (stored.sector, stored.employees) == ("steel_metals", 2000)
    people = [
        (p.name, p.title, p.roles, p.assumed, p.stance, p.met, p.named) for p in stored.stakeholders
    ]
    assert people == [
        ("Petra Lang", "cfo", ["decider"], ["decider"], "unknown", None, True),
        ("Jan", None, ["buyer"], [], "champion", True, True),
        ("CTO", None, ["prescriber"], [], "unknown", None, False),
    ]
    assert (stored.unknown, stored.deferred, stored.asking, stored.asked, stored.status) == (
        ["perceived_risk"],
        ["buying_stage"],
        "role:influencer",
        2,
        "paused",
    )
    store.close()


def test_each_stakeholder_keeps_their_identity_through_changes(store):
    deal = nordstahl(store)
    petra, jan = deal.stakeholders
    assert petra.id is not None and jan.id is not None and petra.id != jan.id
    deal = store.deals.apply(
        "alice",
        deal.id,
        [
            Change("person", "Jan", data={"rename": "Jan Nowak", "stance": "supporter"}),
            Change("person", "Petra Lang", data={"add_roles": ["decider"]}),
        ],
    )
    assert [(p.id, p.name) for p in deal.stakeholders] == [
        (petra.id, "Petra Lang"),
        (jan.id, "Jan Nowak"),
    ]
    assert store.deals.get_by_id("alice", deal.id).stakeholders == deal.stakeholders
    assert [p.id for p in store.deals.get_by_id("alice", deal.id).stakeholders] == [
        petra.id,
        jan.id,
    ]
    # Forgotten and added again in one change: a new person, where the old one was.
    deal = store.deals.apply(
        "alice",
        deal.id,
        [Change("forget", "Petra Lang"), Change("person", "Petra Lang", data={"title": "ceo"})],
    )
    stored = store.deals.get_by_id("alice", deal.id).stakeholders
    assert [(p.name, p.title, p.roles) for p in stored] == [
        ("Jan Nowak", None, ["buyer"]),
        ("Petra Lang", "ceo", []),
    ]
    assert stored[0].id == jan.id and stored[1].id not in (None, petra.id, jan.id)
    assert [p.id for p in stored] == [p.id for p in deal.stakeholders]


def test_a_failing_change_leaves_the_deal_as_it_was(store):
    deal = nordstahl(store)
    store.history.start_review("alice", deal.id)
    before = snapshot(store, "alice", deal.id)
    with pytest.raises(ValueError):
        store.deals.apply(
            "alice",
            deal.id,
            [
                Change("fact", "sector", "retail"),
                Change("person", "Jan", data={"met": False}),
                Change("forget", "Petra Lang"),
                Change("person", "Ana", data={"add_roles": ["user"]}),
                Change("no such kind"),
            ],
        )
    assert snapshot(store, "alice", deal.id) == before


def test_a_change_the_store_refuses_leaves_the_deal_as_it_was(store):
    # Two people of one deal cannot share a name: a rename of Jan to Petra Lang is
    # refused by the store itself, after the facts before it were applied in memory.
    deal = nordstahl(store)
    before = snapshot(store, "alice", deal.id)
    with pytest.raises(Exception):  # noqa: B017 (each backend has its own integrity error)
        store.deals.apply(
            "alice",
            deal.id,
            [
                Change("fact", "buying_stage", "negotiation"),
                Change("person", "Jan", data={"rename": "Petra Lang"}),
            ],
        )
    assert snapshot(store, "alice", deal.id) == before


def test_apply_to_writes_the_deal_read_in_the_same_transaction(opener):
    store = opener()
    deal = nordstahl(store)
    with store.transaction():
        read = store.deals.get_by_id("alice", deal.id)
        written = store.deals.apply_to(
            "alice",
            read,
            [Change("fact", "buying_stage", "negotiation"), Change("forget", "Jan")],
        )
    assert written is read and read.buying_stage == "negotiation"
    store.close()
    store = opener()
    stored = store.deals.get_by_id("alice", deal.id)
    assert stored.buying_stage == "negotiation"
    assert [p.name for p in stored.stakeholders] == ["Petra Lang"]
    assert stored.stakeholders[0].id == deal.stakeholders[0].id
    assert [c.new for c in store.history.fact_changes("alice", deal.id)][-1] == "negotiation"
    store.close()


def test_a_transaction_keeps_all_its_writes_or_none(opener):
    store = opener()
    deal = nordstahl(store)
    before = snapshot(store, "alice", deal.id)
    with pytest.raises(RuntimeError):
        with store.transaction():
            read = store.deals.get_by_id("alice", deal.id)
            store.deals.apply_to("alice", read, [Change("fact", "sector", "retail")])
            store.deals.open("alice", "Globex")
            store.sessions.set_active("alice", deal.id)
            store.history.start_review("alice", deal.id)
            store.quizzes.start("alice", None, ["q1"])
            raise RuntimeError("the action server stops half-way")
    assert snapshot(store, "alice", deal.id) == before
    assert [d.company for d in store.deals.list_for("alice")] == ["Nordstahl"]
    assert store.sessions.active_deal_id("alice") is None
    assert store.quizzes.current("alice") is None
    with store.transaction():
        read = store.deals.get_by_id("alice", deal.id)
        store.deals.apply_to("alice", read, [Change("fact", "sector", "retail")])
        store.sessions.set_active("alice", deal.id)
        store.history.start_review("alice", deal.id)
    store.close()
    store = opener()
    assert store.active_deal("alice").sector == "retail"
    assert len(store.history.reviews("alice", deal.id)) == 1
    store.close()


def test_rename_gives_a_new_name_and_refuses_one_the_owner_already_has(store):
    acme, _ = store.deals.open("alice", "Acme")
    globex, _ = store.deals.open("alice", "Globex")
    store.deals.open("bob", "Initech")
    renamed = store.deals.rename("alice", acme.id, " Acme   Corp ")
    assert (renamed.id, renamed.company) == (acme.id, "Acme Corp")
    assert store.deals.get("alice", "Acme") is None
    assert store.deals.get("alice", "acme corp").id == acme.id
    # Another spelling of its own name is no clash.
    assert store.deals.rename("alice", acme.id, "ACME CORP").company == "ACME CORP"
    before = (snapshot(store, "alice", acme.id), snapshot(store, "alice", globex.id))
    with pytest.raises(NameClash) as clash:
        store.deals.rename("alice", acme.id, "the globex deal")
    assert str(clash.value) == "you already have a deal called Globex"
    assert (snapshot(store, "alice", acme.id), snapshot(store, "alice", globex.id)) == before
    # Another owner's name is no clash: their deals do not exist for alice.
    assert store.deals.rename("alice", globex.id, "Initech").company == "Initech"
    with pytest.raises(ValueError):
        store.deals.rename("alice", acme.id, "  ")
    with pytest.raises(UnknownDeal):
        store.deals.rename("alice", UNKNOWN_ID, "Umbrella")


def test_apply_records_each_fact_change_in_the_history(store):
    deal, _ = store.deals.open("alice", "Globex")
    store.deals.apply("alice", deal.id, [Change("fact", "purchase_situation", "new_task")])
    store.deals.apply(
        "alice",
        deal.id,
        [Change("fact", "purchase_situation", "modified_rebuy"), Change("fact", "employees", 40)],
    )
    store.deals.apply("alice", deal.id, [Change("fact", "employees", 40)])  # no change
    store.deals.apply("alice", deal.id, [Change("person", "Ana", data={"met": True})])
    changes = store.history.fact_changes("alice", deal.id)
    assert all(isinstance(c, FactChange) and c.changed_at for c in changes)
    assert [(c.fact, c.old, c.new) for c in changes] == [
        ("purchase_situation", None, "new_task"),
        # One apply: its changes in the order of the deal's facts (DEAL_FACTS).
        ("employees", None, "40"),
        ("purchase_situation", "new_task", "modified_rebuy"),
    ]


def test_delete_removes_the_deal_its_history_and_its_place_as_active_deal(store):
    deal = nordstahl(store)
    other, _ = store.deals.open("alice", "Globex")
    store.history.start_review("alice", deal.id)
    store.history.log_advice("alice", deal.id, ["find_the_decider"])
    store.sessions.set_active("alice", deal.id)
    store.deals.delete("alice", deal.id)
    assert store.deals.get_by_id("alice", deal.id) is None
    assert store.deals.get("alice", "Nordstahl") is None
    assert [d.company for d in store.deals.list_for("alice")] == ["Globex"]
    assert store.sessions.active_deal_id("alice") is None
    assert store.active_deal("alice") is None
    for read in (store.history.reviews, store.history.advice, store.history.fact_changes):
        with pytest.raises(UnknownDeal):
            read("alice", deal.id)
    with pytest.raises(UnknownDeal):
        store.deals.delete("alice", deal.id)
    # The same name starts afresh, with nothing of the old deal.
    again, created = store.deals.open("alice", "Nordstahl")
    assert created and again.stakeholders == [] and again.sector is None
    assert store.history.reviews("alice", again.id) == []
    assert store.deals.get_by_id("alice", other.id) is not None


# --- history ---------------------------------------------------------------------------


def test_reviews_and_advice_are_kept_in_order(store):
    deal, _ = store.deals.open("alice", "Globex")
    store.history.log_advice("alice", deal.id, ["before_any_review"])
    first = store.history.start_review("alice", deal.id)
    store.history.log_advice("alice", deal.id, ["a", "b", "c"])
    store.history.end_review("alice", deal.id, "complete")
    store.history.end_review("alice", deal.id, "paused")  # none open: nothing
    second = store.history.start_review("alice", deal.id)
    store.history.log_advice("alice", deal.id, ["d"])
    assert first != second
    reviews = store.history.reviews("alice", deal.id)
    assert all(isinstance(r, Review) and r.deal_id == deal.id and r.started_at for r in reviews)
    assert [(r.id, r.outcome, r.ended_at is not None) for r in reviews] == [
        (first, "complete", True),
        (second, None, False),
    ]
    advice = store.history.advice("alice", deal.id)
    assert all(isinstance(a, AdviceGiven) and a.given_at for a in advice)
    assert [(a.rule_id, a.rank, a.review_id) for a in advice] == [
        ("before_any_review", 1, None),
        ("a", 1, first),
        ("b", 2, first),
        ("c", 3, first),
        ("d", 1, second),
    ]


def test_history_of_an_unknown_deal_is_an_error(store):
    for write in (store.history.start_review,):
        with pytest.raises(UnknownDeal):
            write("alice", UNKNOWN_ID)
    with pytest.raises(UnknownDeal):
        store.history.end_review("alice", UNKNOWN_ID, "complete")
    with pytest.raises(UnknownDeal):
        store.history.log_advice("alice", UNKNOWN_ID, ["a"])
    for read in (store.history.reviews, store.history.advice, store.history.fact_changes):
        with pytest.raises(UnknownDeal):
            read("alice", UNKNOWN_ID)


# --- the salesperson's session ---------------------------------------------------------


def test_the_active_deal_is_each_salespersons_own_and_persists(opener):
    store = opener()
    acme, _ = store.deals.open("alice", "Acme")
    globex, _ = store.deals.open("alice", "Globex")
    assert store.sessions.active_deal_id("alice") is None and store.active_deal("alice") is None
    store.sessions.set_active("alice", acme.id)
    store.sessions.set_active("alice", globex.id)
    assert store.sessions.active_deal_id("bob") is None
    store.close()
    store = opener()
    assert store.sessions.active_deal_id("alice") == globex.id
    assert store.active_deal("alice") == store.deals.get_by_id("alice", globex.id)
    store.sessions.set_active("alice", None)
    assert store.sessions.active_deal_id("alice") is None
    with pytest.raises(UnknownDeal):
        store.sessions.set_active("alice", UNKNOWN_ID)
    assert store.sessions.active_deal_id("alice") is None
    store.close()


def test_the_language_is_each_salespersons_own_and_persists(opener):
    store = opener()
    acme, _ = store.deals.open("alice", "Acme")
    assert store.sessions.language("alice") is None
    store.sessions.set_language("alice", "nl", chosen=False)
    assert store.sessions.language("alice") == LanguageSetting("nl", chosen=False)
    assert store.sessions.language("bob") is None
    # The language and the active deal are kept apart: setting one keeps the other.
    store.sessions.set_active("alice", acme.id)
    store.sessions.set_language("alice", "en", chosen=True)
    store.close()
    store = opener()
    assert store.sessions.language("alice") == LanguageSetting("en", chosen=True)
    assert store.sessions.active_deal_id("alice") == acme.id
    store.sessions.set_active("alice", None)
    assert store.sessions.language("alice") == LanguageSetting("en", chosen=True)
    store.sessions.set_language("bob", "nl", chosen=True)
    assert store.sessions.language("alice").language == "en"
    assert store.sessions.active_deal_id("bob") is None
    store.close()


# --- quizzes ---------------------------------------------------------------------------


def test_a_quiz_runs_question_by_question_to_its_score(opener):
    store = opener()
    assert store.quizzes.current("alice") is None
    run = store.quizzes.start("alice", "buying_centre", ["q1", "q2", "q3"])
    assert (run.topic, run.question_ids, run.position, run.score) == (
        "buying_centre",
        ("q1", "q2", "q3"),
        0,
        0,
    )
    assert not run.finished and run.started_at
    run = store.quizzes.record_answer("alice", run.id, "q1", "buying_centre", True)
    assert (run.position, run.score, run.finished) == (1, 1, False)
    store.close()
    store = opener()  # a quiz survives a restart
    assert store.quizzes.current("alice") == run
    run = store.quizzes.record_answer("alice", run.id, "q2", "buying_centre", False)
    run = store.quizzes.record_answer("alice", run.id, "q3", "purchase_situation", True)
    assert (run.position, run.score, run.finished) == (3, 2, True)
    assert store.quizzes.current("alice") is None
    with pytest.raises(UnknownQuiz):  # finished: no more answers
        store.quizzes.record_answer("alice", run.id, "q3", "purchase_situation", True)
    (result,) = store.quizzes.history("alice")
    assert (result.id, result.topic, result.score, result.answered) == (
        run.id,
        "buying_centre",
        2,
        3,
    )
    assert result.finished_at
    assert store.quizzes.answers("alice") == [
        QuizAnswer("buying_centre", True),
        QuizAnswer("buying_centre", False),
        QuizAnswer("purchase_situation", True),
    ]
    store.close()


def test_a_new_quiz_abandons_the_running_one(store):
    untouched = store.quizzes.start("alice", None, ["q1", "q2"])
    begun = store.quizzes.start("alice", "stages", ["q3", "q4"])
    assert store.quizzes.current("alice") == begun
    assert untouched.topic is None and begun.topic == "stages"
    store.quizzes.record_answer("alice", begun.id, "q3", "stages", True)
    latest = store.quizzes.start("alice", None, ["q5"])
    assert store.quizzes.current("alice").id == latest.id
    # The one never answered is gone; the one half answered is kept as finished.
    assert [(r.id, r.score, r.answered) for r in store.quizzes.history("alice")] == [
        (begun.id, 1, 1)
    ]
    with pytest.raises(UnknownQuiz):
        store.quizzes.record_answer("alice", begun.id, "q4", "stages", True)


def test_stop_ends_the_running_quiz(store):
    store.quizzes.stop("alice")  # nothing running: nothing
    run = store.quizzes.start("alice", None, ["q1", "q2"])
    store.quizzes.record_answer("alice", run.id, "q1", "stages", False)
    store.quizzes.stop("alice")
    assert store.quizzes.current("alice") is None
    assert [(r.score, r.answered) for r in store.quizzes.history("alice")] == [(0, 1)]
    with pytest.raises(UnknownQuiz):
        store.quizzes.record_answer("alice", run.id, "q2", "stages", True)
    assert store.quizzes.history("bob") == [] and store.quizzes.answers("bob") == []


# --- two replicas at once ----------------------------------------------------------


def _in_threads(*calls: Callable[[], object]) -> List[object]:
    """Run each call in its own thread, all released at once; their results, in order.
    A call that raised re-raises here."""
    start = threading.Barrier(len(calls))
    results: List[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        start.wait()
        try:
            results[index] = call()
        except BaseException as error:  # handed to the test thread
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), "a writer never finished"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_two_stores_opening_one_new_deal_at_once_make_one_deal(opener):
    stores = [opener(), opener()]
    try:
        results = _in_threads(*(lambda s=s: s.deals.open("alice", "Racing") for s in stores))
        (first, created_first), (second, created_second) = results
        assert first.id == second.id
        assert sorted([created_first, created_second]) == [False, True]
        assert [d.id for d in stores[0].deals.list_for("alice")] == [first.id]
    finally:
        for each in stores:
            each.close()


def test_two_stores_writing_one_deal_at_once_lose_no_update(opener):
    # Two replicas, each with its own connection(s), change the same deal 30 times at
    # once. Each change adds a person (a stakeholder row) and an unknown fact (a list
    # in the deal's own row, read, changed and written back): a lost update would
    # drop one of either.
    rounds = 30
    stores = [opener(), opener()]
    deal, _ = stores[0].deals.open("alice", "Contended")

    def writer(store: Store, side: str) -> Callable[[], None]:
        def write() -> None:
            for i in range(rounds):
                store.deals.apply(
                    "alice",
                    deal.id,
                    [
                        Change("person", f"{side} {i}", data={"add_roles": ["user"]}),
                        Change("unknown", f"stance:{side} {i}"),
                        Change("fact", "employees", i),
                    ],
                )

        return write

    try:
        _in_threads(writer(stores[0], "left"), writer(stores[1], "right"))
        stored = stores[1].deals.get_by_id("alice", deal.id)
        expected = {f"{side} {i}" for side in ("left", "right") for i in range(rounds)}
        assert {p.name for p in stored.stakeholders} == expected
        assert len(stored.stakeholders) == 2 * rounds
        assert set(stored.unknown) == {f"stance:{name}" for name in expected}
        assert len(stored.unknown) == 2 * rounds
        # Every change of the fact is logged against the value the write before it left,
        # whichever side wrote it (no write from a stale read).
        changes = [c for c in stored_changes(stores[0], deal.id) if c.fact == "employees"]
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.old == before.new
    finally:
        for each in stores:
            each.close()


def stored_changes(store: Store, deal_id: int) -> List[FactChange]:
    return store.history.fact_changes("alice", deal_id)


# --- owner isolation -------------------------------------------------------------------


def test_another_owners_deal_id_never_reads_writes_renames_or_deletes(store):
    deal = nordstahl(store, "alice")
    store.history.start_review("alice", deal.id)
    store.history.log_advice("alice", deal.id, ["find_the_decider"])
    store.sessions.set_active("alice", deal.id)
    store.deals.open("bob", "Globex")
    before = snapshot(store, "alice", deal.id)

    assert store.deals.get("bob", "Nordstahl") is None
    assert store.deals.get_by_id("bob", deal.id) is None
    assert "Nordstahl" not in [d.company for d in store.deals.list_for("bob")]
    refused = {
        "apply": lambda: store.deals.apply("bob", deal.id, [Change("fact", "sector", "retail")]),
        "apply_to": lambda: store.deals.apply_to(
            "bob", store.deals.get_by_id("alice", deal.id), [Change("fact", "sector", "retail")]
        ),
        "rename": lambda: store.deals.rename("bob", deal.id, "Mine now"),
        "delete": lambda: store.deals.delete("bob", deal.id),
        "start_review": lambda: store.history.start_review("bob", deal.id),
        "end_review": lambda: store.history.end_review("bob", deal.id, "paused"),
        "log_advice": lambda: store.history.log_advice("bob", deal.id, ["x"]),
        "reviews": lambda: store.history.reviews("bob", deal.id),
        "advice": lambda: store.history.advice("bob", deal.id),
        "fact_changes": lambda: store.history.fact_changes("bob", deal.id),
        "set_active": lambda: store.sessions.set_active("bob", deal.id),
    }
    for name, call in refused.items():
        with pytest.raises(UnknownDeal):
            call()
            pytest.fail(f"{name} reached another owner's deal")
    assert store.sessions.active_deal_id("bob") is None and store.active_deal("bob") is None
    assert snapshot(store, "alice", deal.id) == before
    assert store.sessions.active_deal_id("alice") == deal.id


def test_another_owners_quiz_is_never_answered_stopped_or_shown(store):
    run = store.quizzes.start("alice", "stages", ["q1", "q2"])
    store.quizzes.record_answer("alice", run.id, "q1", "stages", True)
    assert store.quizzes.current("bob") is None
    with pytest.raises(UnknownQuiz):
        store.quizzes.record_answer("bob", run.id, "q2", "stages", True)
    store.quizzes.stop("bob")
    store.quizzes.start("bob", None, ["q9"])  # abandons bob's running quiz, not alice's
    current = store.quizzes.current("alice")
    assert (current.id, current.position, current.score) == (run.id, 1, 1)
    store.quizzes.record_answer("alice", run.id, "q2", "stages", False)
    assert [(r.score, r.answered) for r in store.quizzes.history("alice")] == [(1, 2)]
    assert store.quizzes.history("bob") == []
    assert store.quizzes.answers("bob") == []


# --- the contract covers the protocols, and the backends implement them ---------------

PROTOCOLS = {
    "deals": DealRepository,
    "history": HistoryRepository,
    "sessions": SessionRepository,
    "quizzes": QuizRepository,
}


def protocol_methods(protocol: type) -> List[str]:
    return [name for name in vars(protocol) if not name.startswith("_")]


def test_every_repository_method_is_exercised_by_this_suite():
    source = Path(__file__).read_text(encoding="utf-8")
    for attribute, protocol in PROTOCOLS.items():
        for method in protocol_methods(protocol):
            assert f"store.{attribute}.{method}(" in source, f"{protocol.__name__}.{method}"


def test_each_backend_implements_every_method_with_the_protocols_parameters(store):
    # No type checker runs in this project: check the signatures here instead.
    for attribute, protocol in PROTOCOLS.items():
        repository = getattr(store, attribute)
        for method in protocol_methods(protocol):
            expected = inspect.signature(getattr(protocol, method))
            found = inspect.signature(getattr(type(repository), method))
            assert list(found.parameters) == list(expected.parameters), method
            assert found.return_annotation == expected.return_annotation, method
