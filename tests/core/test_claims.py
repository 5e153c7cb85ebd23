"""What advice reasons claim (knowledge/claims.yml): every rule says what its reason
states about the deal, and no rule fires on a deal whose facts contradict it. Checked
on a grid of generated deals here, and on the representative deals in
test_representative_deals.py."""

import dataclasses
import itertools

import pytest

from dealcoach.coaching.advice import advise, contradictions, matches
from dealcoach.deals.deal import Deal, Stakeholder
from dealcoach.knowledge_base.loader import KnowledgeError, load_knowledge
from tests.conftest import ROOT

KB = load_knowledge(ROOT / "knowledge")

CENTRES = [
    [],
    [Stakeholder("Eva", met=True)],
    [Stakeholder("Petra", "CFO", ["decider"], assumed=["decider"], met=False)],
    [Stakeholder("Petra", "CFO", ["decider"], met=False), Stakeholder("Ana", roles=["prescriber"],
                                                                       met=True)],
    [Stakeholder("Ana", roles=["prescriber"], met=False, stance="supporter"),
     Stakeholder("Jan", roles=["buyer"], met=True, stance="neutral")],
    [Stakeholder("Bo", roles=["decider"], met=True, stance="champion"),
     Stakeholder("Mia", roles=["gatekeeper"], stance="opponent"),
     Stakeholder("Cy", roles=["initiator", "user"], met=True, stance="supporter")],
    [Stakeholder("Ola", roles=["user"], met=True), Stakeholder("Ina", roles=["buyer"], met=True),
     Stakeholder("Ken", roles=["decider", "prescriber"], met=True),
     Stakeholder("Lou", roles=["influencer"], stance="opponent")],
]  # fmt: skip
SECTORS = [None, "public_sector", "pharma", "retail"]  # one per family, and unknown


def grid():
    """Deals with every combination of the facts rules look at, each with a few of the
    buying centres above (rotating, to keep the grid a few thousand deals)."""
    values = [
        [None, "new_task", "modified_rebuy", "straight_rebuy"],
        [None, *KB.values("buying_stage")],
        [None, "low", "high"],
        [None, "small", "medium", "large"],
        [None, "incumbent", "challenger"],
        SECTORS,
    ]
    for i, (situation, stage, risk, size, position, sector) in enumerate(
        itertools.product(*values)
    ):
        for centre in (CENTRES[i % len(CENTRES)], CENTRES[(i + 3) % len(CENTRES)]):
            yield Deal(owner="grid", company="Grid", purchase_situation=situation,
                       buying_stage=stage, perceived_risk=risk, company_size=size,
                       supplier_position=position, sector=sector,
                       stakeholders=[dataclasses.replace(p) for p in centre])  # fmt: skip


def test_no_reason_contradicts_the_facts_of_a_deal_it_fires_on(kb):
    found, short = set(), []
    for deal in grid():
        for rule in kb.rules.values():
            if matches(kb, rule, deal):
                found |= {(rule.id, claim.id) for claim in contradictions(kb, rule, deal)}
        # However much or little is known, the coach has three things to say.
        if len(advise(kb, deal).advice) < 3:
            short.append(deal)
    assert not found
    assert not short


def test_every_rule_says_what_its_reason_claims(kb):
    assert all(rule.asserts for rule in kb.rules.values())


def test_a_rule_whose_conditions_drift_from_its_reason_is_caught(kb):
    # The late-entry rule as it was before issue 12: it fired with the prescriber met,
    # and its reason still said the specification was shaped without us.
    rule = kb.rules["new_task_late_entry"]
    drifted = dataclasses.replace(rule, when=tuple(c for c in rule.when if c[0] != "nobody_met"))
    met = Deal(owner="u", company="Kinetix", purchase_situation="new_task",
               buying_stage="negotiation", perceived_risk="high",
               stakeholders=[Stakeholder("Ana", roles=["prescriber"], met=True)])  # fmt: skip
    assert not matches(kb, rule, met) and matches(kb, drifted, met)
    assert [c.id for c in contradictions(kb, drifted, met)] == ["prescriber_not_met"]


def test_a_rule_must_say_what_its_reason_claims(broken_kb):
    root, edit = broken_kb
    edit("advice/buying_centre.yml", lambda d: d["rules"][0].pop("asserts"))
    with pytest.raises(KnowledgeError, match="'asserts' is a required property"):
        load_knowledge(root)


def test_a_claim_that_does_not_exist_is_refused(broken_kb):
    root, edit = broken_kb
    path = edit("advice/buying_centre.yml", lambda d: d["rules"][0].update(asserts=["made_up"]))
    with pytest.raises(KnowledgeError, match="unknown claim 'made_up'") as error:
        load_knowledge(root)
    assert error.value.file == str(path) and error.value.field.endswith(".asserts")


def test_a_rule_is_silent_while_a_claim_of_its_unless_is_true(kb):
    rule = kb.rules["meet_the_decider"]
    assert rule.unless == ("public_tender_running",)
    petra = Stakeholder("Petra", roles=["decider"], met=False)
    deal = Deal(owner="u", company="Stad", sector="public_sector", buying_stage="specification",
                stakeholders=[petra])  # fmt: skip
    assert matches(kb, rule, deal)  # before the tender: meet her
    deal.buying_stage = "supplier_search"  # the tender runs: official channel only
    assert not matches(kb, rule, deal)
    assert advise(kb, deal).sharpen != "role:decider"
    deal.sector = "retail"
    assert matches(kb, rule, deal)


def test_an_unknown_claim_in_unless_is_refused(broken_kb):
    root, edit = broken_kb
    edit("advice/buying_centre.yml", lambda d: d["rules"][0].update(unless=["made_up"]))
    with pytest.raises(KnowledgeError, match="unknown claim 'made_up'") as error:
        load_knowledge(root)
    assert error.value.field.endswith(".unless")


def test_a_claim_takes_real_values_only(broken_kb):
    root, edit = broken_kb
    edit("claims.yml", lambda d: d["claims"][0]["true_when"].update(missing_role=["boss"]))
    with pytest.raises(KnowledgeError, match="'boss' is not a role value"):
        load_knowledge(root)
