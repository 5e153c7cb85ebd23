"""Deal briefs, risk flags and finding a deal by name."""

from dealcoach.coaching.brief import format_brief, make_brief, risk_flags
from dealcoach.deals.deal import Deal, Stakeholder
from dealcoach.deals.matching import find_deal


def flags(kb, deal):
    return {f.id for f in risk_flags(kb, deal)}


def test_brief_of_a_deal_with_missing_facts_shows_unknowns_and_flags(kb):
    text = format_brief(make_brief(kb, Deal(owner="u", company="Acme")))
    assert text.startswith("Brief: Acme")
    assert "Sector: unknown" in text and "Purchase: unknown" in text
    assert "- decider: nobody known (!)" in text
    assert "! Nobody in the buying centre is known yet" in text
    assert "! Purchase situation unknown" in text
    assert text.count("(because ") == 3


def test_brief_of_a_full_deal(kb):
    deal = Deal(
        owner="u",
        company="Nordstahl",
        sector="steel_metals",
        employees=2000,
        company_size="large",
        purchase_situation="new_task",
        buying_stage="negotiation",
        perceived_risk="high",
        stakeholders=[
            Stakeholder("Petra Lang", "CFO", ["decider"], stance="supporter", met=False),
            Stakeholder("Mia", "assistant", ["gatekeeper"]),
        ],
    )
    brief = make_brief(kb, deal)
    text = format_brief(brief)
    assert "Sector: steel & metals" in text and "Size: 2000 employees |" in text
    assert "- decider: Petra Lang (CFO), supporter, not met" in text
    assert "- gatekeeper: Mia (assistant), stance unknown, met?" in text
    assert "- prescriber: nobody known (!)" in text
    assert {
        "decider_not_met",
        "gatekeeper_in_the_way",
        "late_without_shaping_the_spec",
        "strategic_without_risk_reduction",
    } <= {f.id for f in brief.flags}
    assert "unknown" not in text.split("Buying centre")[0].replace("Our position: unknown", "")
    assert len(text.splitlines()) < 25  # one chat message


def test_brief_says_a_role_from_a_title_is_assumed(kb):
    petra = Stakeholder("Petra Lang", "CFO", ["decider", "buyer"], met=True, assumed=["decider"])
    text = format_brief(make_brief(kb, Deal(owner="u", company="X", stakeholders=[petra])))
    assert "- decider: Petra Lang (CFO), stance unknown, met, assumed from the title only" in text
    assert "- buyer: Petra Lang (CFO), stance unknown, met\n" in text


def test_flags_come_most_urgent_first(kb):
    deal = Deal(owner="u", company="X", stakeholders=[Stakeholder("Ana", roles=["user"])])
    raised = risk_flags(kb, deal)
    assert [f.severity for f in raised] == sorted((f.severity for f in raised), reverse=True)
    assert raised[0].id == "no_decider"


def test_single_contact_and_no_decider(kb):
    deal = Deal(owner="u", company="X", stakeholders=[Stakeholder("Ana", roles=["buyer"])])
    assert {"single_contact", "no_decider"} <= flags(kb, deal)
    deal.stakeholders.append(Stakeholder("Bo", roles=["decider"], met=True))
    assert not {"single_contact", "no_decider"} & flags(kb, deal)


def deals(*names):
    return [Deal(owner="u", company=n, id=i) for i, n in enumerate(names)]


def test_deal_names_match_forgivingly():
    mine = deals("Acme", "Globex Europe", "Vandermolen")
    assert find_deal(mine, "the ACME deal").deal.company == "Acme"
    assert find_deal(mine, "globex").deal.company == "Globex Europe"
    assert find_deal(mine, "Vandermollen").deal.company == "Vandermolen"
    assert find_deal(mine, "Initech").deal is None
    assert not find_deal(mine, "Initech").ambiguous


def test_an_ambiguous_name_gets_a_question_not_a_guess():
    match = find_deal(deals("Acme Corp", "Acme Labs"), "acme")
    assert match.deal is None and match.ambiguous
    assert {d.company for d in match.candidates} == {"Acme Corp", "Acme Labs"}


def test_a_routine_reorder_with_one_contact_is_not_flagged_as_single_threaded(kb):
    owner = Stakeholder("Rui", "Owner", ["decider", "buyer"], met=True)
    routine = Deal(owner="u", company="X", stakeholders=[owner], perceived_risk="low",
                   purchase_situation="straight_rebuy")  # fmt: skip
    assert "single_contact" not in flags(kb, routine)
    routine.perceived_risk = "high"
    routine.purchase_situation = "new_task"
    assert "single_contact" in flags(kb, routine)
