"""What only the PostgreSQL store has: row locks met in a chosen order, a unit of work
on one connection with its deal locked, schema versions in the database, the bounded
pool, broken connections, and how ``open_store`` picks it. The behaviour every backend
shares is in ``test_store_contract.py``; both run on the session's throwaway cluster
(``tests/services/postgres.py``).
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Dict, List

import psycopg2
import pytest

from dealcoach.deals.deal import Change
from dealcoach.storage import NameClash, SchemaTooNew, open_store, postgres, postgres_schema
from dealcoach.storage.postgres import PostgresStore, safe_location

# The session's cluster and a fresh database of it (asked for by name: see below).
from tests.services.postgres import postgres_cluster, postgres_url  # noqa: F401

#: How long a test thread may take before the test calls it stuck (a failure guard,
#: never a measurement: nothing here asserts how long anything took).
STUCK = 60


def query(url: str, sql: str, params: tuple = ()) -> List[tuple]:
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def wait_for(condition, what: str) -> None:
    """Poll until ``condition()`` holds (an event we cannot be told about directly)."""
    done = threading.Event()
    for _ in range(STUCK * 20):
        if condition():
            return
        done.wait(0.05)
    pytest.fail(f"never happened: {what}")


def _b_waits_for_a(db_url, a, b, a_has_read, release_a, results, held: str) -> None:
    """Start replica A, then B once A has read the deal; release A only when B waits
    on the deal's row lock (seen in pg_stat_activity, no timing), and check that B
    did not finish while A held the lock. Either replica's error is raised."""
    a.start()
    assert a_has_read.wait(STUCK), "replica A never read the deal"
    b.start()
    database = db_url.rsplit("/", 1)[1]
    waiting_for_a_lock = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
        "AND wait_event_type = 'Lock' AND query LIKE '%%FOR UPDATE%%'"
    )
    wait_for(
        lambda: "b" in results or query(db_url, waiting_for_a_lock, (database,))[0][0],
        "replica B waiting for the deal's lock",
    )
    b_finished_before_a = "b" in results
    release_a.set()
    a.join(STUCK)
    b.join(STUCK)
    assert not a.is_alive() and not b.is_alive()
    assert not b_finished_before_a, f"replica B wrote the deal while A{held}"
    for result in results.values():
        if isinstance(result, BaseException):
            raise result


@pytest.fixture
def db_url(request) -> str:
    """A fresh database of the session's cluster (``postgres_url``), under a name that
    does not shadow the imported fixture."""
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def cluster(request):
    return request.getfixturevalue("postgres_cluster")


# --- two replicas, one deal, the order of their transactions chosen by the test ------


def test_a_second_writer_waits_for_the_first_and_applies_its_change_to_the_first_ones_result(
    db_url, monkeypatch
):
    """Replica A has read the deal and is about to write it back; replica B writes the
    same deal now. Without the row lock, B would write and A would then overwrite B's
    change with what it read before (a lost update). The test holds A between its read
    and its write, starts B, waits until PostgreSQL shows B waiting for a lock (or B
    finished, which is the bug), then lets A go."""
    first, second = open_store(db_url), open_store(db_url)
    deal, _ = first.deals.open("alice", "Nordstahl")
    a_has_read, release_a = threading.Event(), threading.Event()
    real_apply_change = postgres.apply_change

    def apply_change_holding_a(deal, change):
        if threading.current_thread().name == "replica-a":
            a_has_read.set()
            assert release_a.wait(STUCK)
        real_apply_change(deal, change)

    monkeypatch.setattr(postgres, "apply_change", apply_change_holding_a)
    results: Dict[str, object] = {}

    def replica(name: str, store: PostgresStore, changes: List[Change]) -> None:
        try:
            results[name] = store.deals.apply("alice", deal.id, changes)
        except BaseException as error:  # handed to the test thread
            results[name] = error

    a = threading.Thread(
        target=replica,
        name="replica-a",
        args=("a", first, [Change("fact", "sector", "steel_metals")]),
    )
    b = threading.Thread(
        target=replica,
        name="replica-b",
        args=("b", second, [Change("person", "Jan", data={"add_roles": ["buyer"]})]),
    )
    try:
        _b_waits_for_a(db_url, a, b, a_has_read, release_a, results, " held it")
        # B read the deal after A committed: its result carries A's change too.
        assert results["b"].sector == "steel_metals"
        stored = first.deals.get_by_id("alice", deal.id)
        assert stored.sector == "steel_metals"
        assert [(p.name, p.roles) for p in stored.stakeholders] == [("Jan", ["buyer"])]
        assert [(c.fact, c.old, c.new) for c in first.history.fact_changes("alice", deal.id)] == [
            ("sector", None, "steel_metals")
        ]
    finally:
        release_a.set()
        first.close()
        second.close()


def _replica_writes(url: str, deal_id: int, side: str, start, rounds: int) -> None:
    """One replica process: its own store and pool, ``rounds`` changes to one deal."""
    store = open_store(url)
    start.wait()
    for i in range(rounds):
        store.deals.apply(
            "alice",
            deal_id,
            [
                Change("person", f"{side} {i}", data={"add_roles": ["user"]}),
                Change("unknown", f"stance:{side} {i}"),
            ],
        )
    store.close()


def test_two_replica_processes_writing_one_deal_lose_no_update(db_url):
    store = open_store(db_url)
    deal, _ = store.deals.open("alice", "Contended")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    replicas = [
        context.Process(target=_replica_writes, args=(db_url, deal.id, side, start, 40))
        for side in ("left", "right")
    ]
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.join(STUCK * 2)
            assert replica.exitcode == 0
        stored = store.deals.get_by_id("alice", deal.id)
        names = {f"{side} {i}" for side in ("left", "right") for i in range(40)}
        assert {p.name for p in stored.stakeholders} == names
        assert sorted(stored.unknown) == sorted(f"stance:{name}" for name in names)
    finally:
        for replica in replicas:
            if replica.is_alive():
                replica.kill()
        store.close()


def test_a_deal_deleted_while_another_replica_waits_to_change_it_is_unknown_to_it(
    db_url, monkeypatch
):
    first, second = open_store(db_url), open_store(db_url)
    deal, _ = first.deals.open("alice", "Globex")
    first.history.start_review("alice", deal.id)
    holding, release = threading.Event(), threading.Event()
    real_execute = postgres.PostgresDatabase.execute

    def execute_holding_the_delete(self, sql, params=()):
        # The deletion holds the deal's lock, its rows half deleted, until released.
        if threading.current_thread().name == "deleter" and sql.startswith("DELETE FROM deals"):
            holding.set()
            assert release.wait(STUCK)
        return real_execute(self, sql, params)

    monkeypatch.setattr(postgres.PostgresDatabase, "execute", execute_holding_the_delete)
    outcome: Dict[str, object] = {}

    def delete() -> None:
        first.deals.delete("alice", deal.id)

    def change() -> None:
        try:
            second.deals.apply("alice", deal.id, [Change("fact", "sector", "retail")])
            outcome["change"] = "applied"
        except BaseException as error:  # handed to the test thread
            outcome["change"] = error

    deleter = threading.Thread(target=delete, name="deleter")
    changer = threading.Thread(target=change)
    try:
        deleter.start()
        assert holding.wait(STUCK)
        changer.start()
        database = db_url.rsplit("/", 1)[1]
        wait_for(
            lambda: "change" in outcome
            or query(
                db_url,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock'",
                (database,),
            )[0][0],
            "the change waiting for the deletion's lock",
        )
        release.set()
        deleter.join(STUCK)
        changer.join(STUCK)
        assert isinstance(outcome["change"], KeyError), outcome  # UnknownDeal
        assert second.deals.get_by_id("alice", deal.id) is None
        counts = query(
            db_url,
            "SELECT (SELECT count(*) FROM deals), (SELECT count(*) FROM reviews), "
            "(SELECT count(*) FROM fact_log)",
        )
        assert counts == [(0, 0, 0)]
    finally:
        release.set()
        first.close()
        second.close()


def test_a_name_taken_by_another_replica_during_a_rename_is_a_name_clash(db_url, monkeypatch):
    """The rename checked the new name (free) and is about to write it; meanwhile
    another replica opens a deal by that name. The unique index refuses the rename's
    write, and the caller hears a name clash, as if the check had seen it."""
    first, second = open_store(db_url), open_store(db_url)
    acme, _ = first.deals.open("alice", "Acme")
    checked, release = threading.Event(), threading.Event()
    real_apply_change = postgres.apply_change

    def apply_change_after_the_check(deal, change):
        if threading.current_thread().name == "renamer":
            checked.set()
            assert release.wait(STUCK)
        real_apply_change(deal, change)

    monkeypatch.setattr(postgres, "apply_change", apply_change_after_the_check)
    outcome: Dict[str, object] = {}

    def rename() -> None:
        try:
            outcome["rename"] = first.deals.rename("alice", acme.id, "Initech")
        except BaseException as error:  # handed to the test thread
            outcome["rename"] = error

    renamer = threading.Thread(target=rename, name="renamer")
    try:
        renamer.start()
        assert checked.wait(STUCK)
        initech, created = second.deals.open("alice", "Initech")
        assert created
        release.set()
        renamer.join(STUCK)
        assert isinstance(outcome["rename"], NameClash), outcome
        assert str(outcome["rename"]) == "you already have a deal called Initech"
        assert sorted(d.company for d in second.deals.list_for("alice")) == ["Acme", "Initech"]
    finally:
        release.set()
        first.close()
        second.close()


# --- a unit of work (Store.transaction): one connection, the deal read for writing ----


def test_a_unit_of_work_runs_on_one_connection_of_the_pool(db_url):
    """Every repository call inside ``store.transaction()`` uses the connection the block
    holds. With a pool of one, a call that took a connection of its own would wait for
    the block's, which it holds: the thread would hang (caught by the STUCK guard)."""
    store = PostgresStore(db_url, pool_size=1)
    deal, _ = store.deals.open("alice", "Nordstahl")
    outcome: Dict[str, object] = {}

    def one_message() -> None:
        try:
            with store.transaction():
                read = store.deals.get_by_id("alice", deal.id)
                store.deals.apply_to("alice", read, [Change("fact", "sector", "retail")])
                store.deals.list_for("alice")
                store.sessions.set_active("alice", deal.id)
                store.history.start_review("alice", deal.id)
                store.history.log_advice("alice", deal.id, ["rule-1"])
                store.quizzes.start("alice", None, ["q1"])
                outcome["done"] = store.sessions.active_deal_id("alice")
        except BaseException as error:  # handed to the test thread
            outcome["done"] = error

    worker = threading.Thread(target=one_message)
    try:
        worker.start()
        worker.join(STUCK)
        assert not worker.is_alive(), "a call inside the unit of work waited for a connection"
        assert outcome["done"] == deal.id
        assert store.active_deal("alice").sector == "retail"
        assert [a.rule_id for a in store.history.advice("alice", deal.id)] == ["rule-1"]
    finally:
        store.close()


def test_a_deal_read_in_a_unit_of_work_is_locked_until_it_ends(db_url):
    """The coach reads the deal, decides, and writes it back with ``apply_to`` in one
    transaction. Another replica's write of the same deal in between would be lost
    (``apply_to`` writes the deal as read). So the read locks the row: B waits, then
    applies its change to what A left."""
    first, second = open_store(db_url), open_store(db_url)
    deal, _ = first.deals.open("alice", "Nordstahl")
    a_has_read, release_a = threading.Event(), threading.Event()
    results: Dict[str, object] = {}

    def replica_a() -> None:
        try:
            with first.transaction():
                read = first.deals.get_by_id("alice", deal.id)
                a_has_read.set()
                assert release_a.wait(STUCK)
                results["a"] = first.deals.apply_to(
                    "alice", read, [Change("fact", "sector", "steel_metals")]
                )
        except BaseException as error:  # handed to the test thread
            results["a"] = error

    def replica_b() -> None:
        try:
            results["b"] = second.deals.apply(
                "alice", deal.id, [Change("fact", "buying_stage", "negotiation")]
            )
        except BaseException as error:
            results["b"] = error

    a, b = threading.Thread(target=replica_a), threading.Thread(target=replica_b)
    try:
        _b_waits_for_a(db_url, a, b, a_has_read, release_a, results, "'s unit of work held it")
        stored = first.deals.get_by_id("alice", deal.id)
        assert (stored.sector, stored.buying_stage) == ("steel_metals", "negotiation")
        assert [c.fact for c in first.history.fact_changes("alice", deal.id)] == [
            "sector",
            "buying_stage",
        ]
    finally:
        release_a.set()
        first.close()
        second.close()


def test_a_rename_clash_inside_a_unit_of_work_leaves_the_rest_of_it_to_commit(db_url, monkeypatch):
    """The unique index refuses a rename inside the coach's transaction (another replica
    took the name meanwhile). PostgreSQL refuses every later statement of a transaction
    in which one failed; the rename's savepoint undoes only the rename, so the coach's
    other writes of that message still commit."""
    first, second = open_store(db_url), open_store(db_url)
    acme, _ = first.deals.open("alice", "Acme")
    checked, release = threading.Event(), threading.Event()
    real_apply_change = postgres.apply_change

    def apply_change_after_the_check(deal, change):
        if threading.current_thread().name == "renamer":
            checked.set()
            assert release.wait(STUCK)
        real_apply_change(deal, change)

    monkeypatch.setattr(postgres, "apply_change", apply_change_after_the_check)
    outcome: Dict[str, object] = {}

    def rename_in_a_unit_of_work() -> None:
        try:
            with first.transaction():
                try:
                    first.deals.rename("alice", acme.id, "Initech")
                except NameClash as clash:
                    outcome["rename"] = clash
                first.sessions.set_active("alice", acme.id)
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error

    renamer = threading.Thread(target=rename_in_a_unit_of_work, name="renamer")
    try:
        renamer.start()
        assert checked.wait(STUCK)
        _, created = second.deals.open("alice", "Initech")
        assert created
        release.set()
        renamer.join(STUCK)
        assert "error" not in outcome, outcome
        assert isinstance(outcome["rename"], NameClash)
        assert second.sessions.active_deal_id("alice") == acme.id
        assert sorted(d.company for d in second.deals.list_for("alice")) == ["Acme", "Initech"]
    finally:
        release.set()
        first.close()
        second.close()


# --- schema versions --------------------------------------------------------------


def tables(url: str) -> List[str]:
    return [
        row[0]
        for row in query(
            url,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
    ]


def test_a_new_database_is_created_at_the_current_version(db_url):
    open_store(db_url).close()
    assert query(db_url, "SELECT version FROM dealcoach_schema") == [
        (postgres_schema.SCHEMA_VERSION,)
    ]
    assert tables(db_url) == sorted([*postgres_schema.TABLES, "dealcoach_schema"])
    open_store(db_url).close()  # opened again: nothing to do, one row still
    assert query(db_url, "SELECT count(*) FROM dealcoach_schema") == [(1,)]


def test_replicas_opening_a_new_database_at_once_create_it_once(db_url):
    start = threading.Barrier(4)
    errors: List[BaseException] = []

    def open_and_close() -> None:
        start.wait()
        try:
            open_store(db_url).close()
        except BaseException as error:  # handed to the test thread
            errors.append(error)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STUCK)
    assert errors == []
    assert query(db_url, "SELECT version FROM dealcoach_schema") == [
        (postgres_schema.SCHEMA_VERSION,)
    ]


def test_a_database_from_a_newer_dealcoach_is_refused_and_left_alone(db_url):
    store = open_store(db_url)
    store.deals.open("alice", "Acme")
    store.close()
    query(db_url, "UPDATE dealcoach_schema SET version = version + 1")
    newer = postgres_schema.SCHEMA_VERSION + 1
    with pytest.raises(SchemaTooNew) as refused:
        open_store(db_url)
    assert str(refused.value).startswith(
        f"The deal database {db_url} has schema version {newer}, but this dealcoach "
        f"knows versions up to {postgres_schema.SCHEMA_VERSION}: it was written by a newer"
    )
    assert query(db_url, "SELECT version FROM dealcoach_schema") == [(newer,)]
    assert query(db_url, "SELECT company FROM deals") == [("Acme",)]


def test_a_failed_migration_leaves_the_database_as_it_was(db_url, monkeypatch):
    def broken(cursor) -> None:
        cursor.execute("CREATE TABLE half_done (x integer)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(postgres_schema, "MIGRATIONS", (*postgres_schema.MIGRATIONS, broken))
    monkeypatch.setattr(postgres_schema, "SCHEMA_VERSION", len(postgres_schema.MIGRATIONS))
    with pytest.raises(RuntimeError, match="disk on fire"):
        open_store(db_url)
    assert tables(db_url) == []  # not even the baseline's tables


# --- the pool ---------------------------------------------------------------------


def test_the_pool_never_opens_more_connections_than_its_size(db_url, monkeypatch):
    monkeypatch.setenv("DEALCOACH_DATABASE_POOL_SIZE", "2")
    store = open_store(db_url)
    deal, _ = store.deals.open("alice", "Pooled")
    database = db_url.rsplit("/", 1)[1]
    seen: List[int] = []
    start = threading.Barrier(6)

    def work(side: int) -> None:
        start.wait()
        for i in range(10):
            store.deals.apply("alice", deal.id, [Change("unknown", f"stance:p{side}-{i}")])
            seen.append(
                query(
                    db_url,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND application_name = 'dealcoach'",
                    (database,),
                )[0][0]
            )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(STUCK)
        assert len(seen) == 60 and max(seen) <= 2
        assert len(store.deals.get_by_id("alice", deal.id).unknown) == 60
    finally:
        store.close()


@pytest.mark.parametrize("size", ["0", "-1", "four", "2.5"])
def test_a_pool_size_that_is_not_a_count_is_refused_with_a_sentence(size, monkeypatch):
    monkeypatch.setenv("DEALCOACH_DATABASE_POOL_SIZE", size)
    with pytest.raises(ValueError, match="DEALCOACH_DATABASE_POOL_SIZE"):
        postgres.pool_size()


def test_connections_the_server_dropped_are_replaced_before_the_next_transaction(db_url, cluster):
    store = open_store(db_url)
    deal, _ = store.deals.open("alice", "Restarted")
    database = db_url.rsplit("/", 1)[1]
    dealcoach_backends = (
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = 'dealcoach'"
    )
    before = {row[0] for row in query(db_url, dealcoach_backends, (database,))}
    assert len(before) == postgres.DEFAULT_POOL_SIZE
    # Every pooled connection dropped at once, as a server restart does.
    query(db_url, f"SELECT pg_terminate_backend(pid) FROM ({dealcoach_backends}) b", (database,))
    after = store.deals.apply("alice", deal.id, [Change("fact", "sector", "retail")])
    assert after.sector == "retail"
    now = {row[0] for row in query(db_url, dealcoach_backends, (database,))}
    assert now and not now & before
    store.close()


def test_a_server_that_cannot_be_reached_is_an_error_not_a_fallback(cluster):
    unreachable = cluster.url("no_such_database")
    with pytest.raises(psycopg2.OperationalError, match="no_such_database"):
        open_store(unreachable)


# --- choosing the backend ---------------------------------------------------------


def test_open_store_takes_postgresql_from_dealcoach_database_url(db_url, monkeypatch):
    monkeypatch.setenv("DEALCOACH_DATABASE_URL", db_url)
    store = open_store()
    try:
        assert isinstance(store, PostgresStore) and store.location == db_url
        store.deals.open("alice", "Acme")
    finally:
        store.close()
    assert query(db_url, "SELECT owner, company FROM deals") == [("alice", "Acme")]


@pytest.mark.parametrize("url", ["mysql://db/deals", "sqlite:///var/deals.db", "postgres-ish"])
def test_a_database_url_that_is_not_postgresql_is_refused(url, monkeypatch):
    monkeypatch.setenv("DEALCOACH_DATABASE_URL", url)
    with pytest.raises(ValueError, match="DEALCOACH_DATABASE_URL must be a PostgreSQL URL"):
        open_store()


def test_the_location_shown_in_logs_has_no_password():
    assert (
        safe_location("postgresql://coach:s3cret@db.internal:5433/deals")
        == "postgresql://coach:***@db.internal:5433/deals"
    )
    assert safe_location("postgresql://coach@db/deals") == "postgresql://coach@db/deals"
