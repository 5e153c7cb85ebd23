"""The advice engine: a table of deals and the advice each must get."""

import pytest

from dealcoach.advice import advise, format_advice, matches
from dealcoach.deal import Deal, Stakeholder


def deal(stakeholders=(), **facts):
    return Deal(owner="u1", company="Nordstahl", stakeholders=list(stakeholders), **facts)


PETRA = Stakeholder("Petra Lang", "CFO", ["decider"], stance="supporter", met=True)
JAN = Stakeholder("Jan", "buyer", ["buyer"], stance="neutral", met=True)
ANA = Stakeholder("Ana", "engineer", ["prescriber", "user"], stance="champion", met=True)
GUARD = Stakeholder("Mia", "assistant", ["gatekeeper"], met=False)
FOE = Stakeholder("Olaf", "plant manager", ["influencer"], stance="opponent", met=True)
FULL = dict(sector="robotics", employees=120, company_size="medium", perceived_risk="low")

TABLE = [
    # (facts, stakeholders, advice ids expected in the top 3)
    ({}, (), {"find_the_decider", "classify_the_purchase"}),
    (dict(purchase_situation="new_task", buying_stage="specification", **FULL),
     (PETRA, JAN, ANA), {"new_task_shape_the_spec"}),
    (dict(purchase_situation="new_task", buying_stage="negotiation", **FULL),
     (PETRA, JAN, ANA), {"new_task_late_entry"}),
    (dict(purchase_situation="straight_rebuy", supplier_position="challenger", **FULL),
     (PETRA, JAN, ANA), {"straight_rebuy_outsider_trigger"}),
    (dict(purchase_situation="straight_rebuy", supplier_position="incumbent", **FULL),
     (PETRA, JAN, ANA), {"straight_rebuy_incumbent_protect"}),
    (dict(purchase_situation="modified_rebuy", supplier_position="incumbent", **FULL),
     (PETRA, JAN, ANA), {"modified_rebuy_incumbent_defend"}),
    (dict(purchase_situation="modified_rebuy", **FULL), (PETRA, JAN, ANA),
     {"modified_rebuy_find_the_reason", "rebuy_position_unknown"}),
    (dict(purchase_situation="new_task", buying_stage="decision", **FULL), (PETRA, JAN, ANA),
     {"stage_decision_remove_last_doubts"}),
    (dict(FULL, purchase_situation="new_task", buying_stage="specification"),
     (Stakeholder("Ana", roles=["prescriber"], met=True),),
     {"find_the_decider", "multithread_single_contact"}),
    (dict(FULL, purchase_situation="new_task"), (PETRA, GUARD, ANA), {"route_around_gatekeeper"}),
    (dict(FULL, purchase_situation="new_task"), (PETRA, FOE, ANA), {"address_the_opponent"}),
    (dict(FULL, purchase_situation="new_task", buying_stage="need"),
     (Stakeholder("Petra", roles=["decider"], met=False), JAN),
     {"meet_the_decider", "new_task_shape_the_spec"}),
    (dict(FULL, perceived_risk="high", purchase_situation="new_task",
          buying_stage="supplier_search"), (PETRA, JAN, ANA), {"high_risk_reduce_it"}),
    (dict(FULL, company_size="small", employees=12, purchase_situation="straight_rebuy",
          supplier_position="incumbent"), (PETRA, JAN, ANA), {"small_company_go_to_the_owner"}),
]  # fmt: skip


@pytest.mark.parametrize("facts, people, expected", TABLE)
def test_advice_table(kb, facts, people, expected):
    given = {a.rule_id for a in advise(kb, deal(people, **facts)).advice}
    assert len(given) == 3
    assert expected <= given, given


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
     ("missing_role", "user"), ("sector", "steel_metals")],
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
