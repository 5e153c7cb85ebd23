"""The advice engine: ranking, one principle per concept, wording, what would sharpen it."""

import pytest

from dealcoach.coaching.advice import advise, format_advice, matches
from dealcoach.deals.deal import Deal, Stakeholder


def deal(stakeholders=(), **facts):
    return Deal(owner="u1", company="Nordstahl", stakeholders=list(stakeholders), **facts)


PETRA = Stakeholder("Petra Lang", "CFO", ["decider"], stance="supporter", met=True)
JAN = Stakeholder("Jan", "buyer", ["buyer"], stance="neutral", met=True)
ANA = Stakeholder("Ana", "engineer", ["prescriber", "user"], stance="champion", met=True)
FULL = dict(sector="robotics", employees=120, company_size="medium", perceived_risk="low")

# Which advice fits which deal is the representative-deal table's job
# (knowledge/advice/deals/, tests/core/test_representative_deals.py); this file
# tests the engine itself.


def test_same_facts_same_advice(kb):
    facts = dict(purchase_situation="modified_rebuy", buying_stage="negotiation", **FULL)
    first = advise(kb, deal((PETRA, JAN), **facts))
    for _ in range(5):
        assert advise(kb, deal((PETRA, JAN), **facts)) == first


def test_each_piece_of_advice_says_why_and_from_which_principle(kb):
    report = advise(kb, deal((), purchase_situation="new_task", buying_stage="specification"))
    text = format_advice(report, "Nordstahl")
    assert text.count("Why: because") == 3
    assert text.count("Principle:") == 3
    assert "{" not in text  # every placeholder filled
    assert "because it is a new task and they are still at the specification stage" in text


def test_names_the_missing_fact_that_would_sharpen_the_advice(kb):
    report = advise(kb, deal((PETRA, JAN, ANA), **FULL))
    assert report.sharpen == "purchase_situation"
    assert "Knowing the purchase situation" in format_advice(report, "Nordstahl")


def test_three_different_principles(kb):
    report = advise(
        kb, deal((), purchase_situation="straight_rebuy", supplier_position="incumbent")
    )
    assert len({a.concept for a in report.advice}) == 3


COVERAGE = {
    "purchase_situation": ["new_task", "modified_rebuy", "straight_rebuy"],
    "supplier_position": ["incumbent", "challenger"],
    "buying_stage": ["need", "specification", "supplier_search", "negotiation", "decision"],
    "perceived_risk": ["high", "low"],
    "company_size": ["small", "large"],
}


@pytest.mark.parametrize("fact, value", [(f, v) for f, values in COVERAGE.items() for v in values])
def test_every_situation_has_advice_of_its_own(kb, fact, value):
    own = [r for r in kb.rules.values() if any(k == fact and value in v for k, v in r.when)]
    assert own, f"no rule speaks to {fact}={value}"


@pytest.mark.parametrize(
    "condition",
    [("missing_role", "decider"), ("stakeholders_max", 1), ("has_role", "gatekeeper"),
     ("missing_role", "user"), ("sector_family", "commercial"), ("sector_family", "public"),
     ("assumed_role", "decider"), ("met_role", "prescriber")],
)  # fmt: skip
def test_buying_centre_and_sector_are_covered(kb, condition):
    key, value = condition
    assert any(
        k == key and (v == value or (isinstance(v, tuple) and value in v))
        for r in kb.rules.values()
        for k, v in r.when
    )


def test_at_least_25_rules_each_citing_a_concept(kb):
    assert len(kb.rules) >= 25
    assert all(rule.concept in kb.concepts for rule in kb.rules.values())


def test_a_rule_needs_all_its_conditions(kb):
    rule = kb.rules["new_task_shape_the_spec"]
    assert matches(kb, rule, deal((), purchase_situation="new_task", buying_stage="need"))
    assert not matches(kb, rule, deal((), purchase_situation="new_task", buying_stage="decision"))
    assert not matches(kb, rule, deal((), buying_stage="need"))
