"""The representative-deal table (knowledge/advice/deals/): every deal gets the advice
it must get, none it must not, and no rule's reason contradicts the deal it fires on."""

import pytest

from dealcoach.coaching.advice import advise, matches
from dealcoach.coaching.representative import check, load_representative_deals
from dealcoach.knowledge_base.loader import KnowledgeError, load_knowledge
from tests.conftest import ROOT

KB = load_knowledge(ROOT / "knowledge")
DEALS = load_representative_deals(KB)


@pytest.mark.parametrize("representative", DEALS, ids=[d.id for d in DEALS])
def test_each_representative_deal_gets_the_advice_it_must(kb, representative):
    assert check(kb, representative) == []


def test_the_table_covers_the_deals_a_trainer_would_check(kb):
    deals = [d.deal() for d in DEALS]
    assert len(deals) >= 40

    def seen(fact):
        return {getattr(d, fact) or "unknown" for d in deals}

    assert seen("purchase_situation") == {"new_task", "modified_rebuy", "straight_rebuy",
                                          "unknown"}  # fmt: skip
    assert seen("buying_stage") == set(kb.values("buying_stage")) | {"unknown"}
    assert seen("perceived_risk") == {"low", "high", "unknown"}
    assert seen("company_size") == {"small", "medium", "large", "unknown"}
    assert seen("supplier_position") == {"incumbent", "challenger", "unknown"}
    families = {kb.sector_families[d.sector] if d.sector else "unknown" for d in deals}
    assert families == {"public", "regulated", "commercial", "unknown"}


ROLE_STATES = {
    "nobody holds it": lambda d, r: not d.holders(r),
    "held, never met": lambda d, r: d.holders(r) and not any(p.met for p in d.holders(r)),
    "held and met": lambda d, r: any(p.met for p in d.holders(r)),
    "assumed from a title": lambda d, r: any(r in p.assumed for p in d.holders(r)),
}


@pytest.mark.parametrize("role", ["decider", "prescriber"])
def test_the_table_has_each_key_role_unknown_unmet_met_and_assumed(role):
    deals = [d.deal() for d in DEALS]
    states = {name for name, test in ROLE_STATES.items() for d in deals if test(d, role)}
    expected = set(ROLE_STATES) - ({"assumed from a title"} if role == "prescriber" else set())
    assert expected <= states


def test_every_rule_fires_on_some_representative_deal(kb):
    fired = {r.id for d in DEALS for r in kb.rules.values() if matches(kb, r, d.deal())}
    assert fired == set(kb.rules)


def test_no_sharpening_asks_for_a_role_the_review_never_asks_about(kb):
    asked = {f"role:{q.role}" for q in kb.questions if q.role}
    for representative in DEALS:
        sharpen = advise(kb, representative.deal()).sharpen
        assert sharpen is None or not sharpen.startswith("role:") or sharpen in asked


# --- the table's own validation -----------------------------------------------------------


def _first_deal(data):
    return data["deals"][0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(gives=["no_such_rule"]), "unknown rule 'no_such_rule'"),
        (lambda d: d["facts"].update(buying_stage="haggling"), "'haggling' is not a buying_stage"),
        (lambda d: d["facts"].update(company_size="large"), "12 employees is small"),
        (lambda d: d["people"][0].update(assumed=["gatekeeper"]), "must be one of roles"),
        (lambda d: d.update(never=list(d["gives"])), "also expected"),
        (lambda d: d.pop("never"), "'never' is a required property"),
    ],
)
def test_a_bad_representative_deal_is_refused_with_file_and_field(broken_kb, change, message):
    root, edit = broken_kb
    path = edit("advice/deals/small_and_routine.yml", lambda data: change(_first_deal(data)))
    with pytest.raises(KnowledgeError, match=message) as error:
        load_representative_deals(load_knowledge(root))
    assert error.value.file == str(path) and error.value.field.startswith("deals[0]")


def test_a_deal_id_used_twice_is_refused(broken_kb):
    root, edit = broken_kb
    edit("advice/deals/early_reviews.yml",
         lambda data: data["deals"].append(dict(data["deals"][0])))  # fmt: skip
    with pytest.raises(KnowledgeError, match="duplicate deal id"):
        load_representative_deals(load_knowledge(root))
