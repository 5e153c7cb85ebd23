"""Load: 20 conversations at once, 30 turns each, over REST. No errors, and afterwards every
deal holds every fact its conversation gave (read back with `dealcoach export`).

Facts are given as button payloads, so that what a deal should hold is known exactly and
a missing fact can only mean a lost write; the typed turns in between (advice, briefs,
lists, explanations) load the NLU and the actions the way a real conversation does.
The p95 latency is reported, not asserted (goals on speed belong in benchmarks)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.checks import integrity, report, troubled_lines

CONVERSATIONS = 20
TURNS = 30
SECTORS = ("steel_metals", "pharma", "robotics", "logistics", "banking_finance")
PEOPLE = ("Anna Berg", "Jan Vos", "Petra Lang", "Olaf Dahl", "Mia Kern")
ROLES = ("initiator", "user", "prescriber", "buyer", "decider")
STANCES = ("champion", "supporter", "neutral", "opponent", "neutral")
TYPED = (
    "what should I do next?",
    "my deals",
    "what is a buying centre?",
    "give me an example",
    "how am I doing?",
    "help",
    "thanks",
)


def payload(intent, **entities):
    return f"/{intent}{json.dumps(entities)}"


def conversation(i):
    """Conversation i: its sender, its company, its turns and the facts they give."""
    company = f"Loadco {i:02d}"
    facts = {
        "sector": SECTORS[i % len(SECTORS)],
        "employees": 40 + 37 * i,
        "purchase_situation": ("new_task", "modified_rebuy", "straight_rebuy")[i % 3],
        "supplier_position": ("incumbent", "challenger")[i % 2],
        "buying_stage": ("need", "specification", "supplier_search", "negotiation")[i % 4],
        "perceived_risk": ("high", "low")[i % 2],
    }
    people = {
        name: {"roles": [ROLES[k]], "stance": STANCES[(k + i) % 5], "met": (k + i) % 2 == 0}
        for k, name in enumerate(PEOPLE)
    }
    fact_turns = [payload("give_facts", **{name: value}) for name, value in facts.items()]
    for name, person in people.items():
        fact_turns += [
            payload("give_facts", person=name, role=person["roles"][0]),
            payload("give_facts", person=name, stance=person["stance"]),
            payload("give_facts", person=name, met="met" if person["met"] else "not_met"),
        ]
    typed = list(TYPED) + [f"brief me on {company}"]
    turns = [payload("start_review", company=company)]
    every = len(fact_turns) // len(typed) + 1
    for n, turn in enumerate(fact_turns):
        turns.append(turn)
        if n % every == every - 1 and typed:
            turns.append(typed.pop(0))
    turns += typed
    assert len(turns) == TURNS
    given = len(facts) + 3 * len(people)
    return f"rep-load-{i:02d}", company, turns, facts, people, given


def run(servers, i):
    sender, _, turns, *_ = conversation(i)
    latencies, failures = [], []
    for text in turns:
        start = time.perf_counter()
        try:
            replies = servers.send(sender, text)
        except Exception as error:  # an HTTP error or a timeout: counted, not raised
            failures.append((sender, text, repr(error)))
            continue
        latencies.append(time.perf_counter() - start)
        if not any(r.get("text") for r in replies):
            failures.append((sender, text, "no answer"))
    return latencies, failures


def facts_held(deal, facts, people):
    """How many of the given facts the exported deal holds."""
    held = sum(deal[name] == value for name, value in facts.items())
    found = {p["name"]: p for p in deal["stakeholders"]}
    for name, person in people.items():
        got = found.get(name) or {}
        # The role given, among any the review inferred (an answer to "who decides?").
        held += set(person["roles"]) <= set(got.get("roles") or [])
        held += got.get("stance") == person["stance"]
        held += got.get("met") is person["met"]
    return held


def test_twenty_conversations_at_once_lose_nothing(servers):
    marks = servers.log_marks()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        results = list(pool.map(lambda i: run(servers, i), range(CONVERSATIONS)))
    elapsed = time.perf_counter() - started
    latencies = sorted(t for lat, _ in results for t in lat)
    failures = [f for _, fail in results for f in fail]
    assert failures == []

    deals = {d["owner"]: d for d in servers.export()}
    given = held = 0
    for i in range(CONVERSATIONS):
        sender, company, _, facts, people, count = conversation(i)
        deal = deals[f"rest:{sender}"]
        assert deal["company"] == company
        given += count
        held += facts_held(deal, facts, people)
        assert facts_held(deal, facts, people) == count, deal
    assert held == given
    assert integrity(servers.db) == "ok"
    assert troubled_lines(servers.logs_since(marks)) == []

    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    figures = (
        f"{CONVERSATIONS} conversations x {TURNS} turns = {len(latencies)} messages in "
        f"{elapsed:.0f} s; p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"facts given {given}, held {held}"
    )
    print(figures)
    report("load", figures)
