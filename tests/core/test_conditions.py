"""Conditions on a deal (dealcoach.coaching.conditions): the keys that respect a deal's
complexity and tell a role said outright from one assumed from a job title."""

import pytest

from dealcoach.coaching.conditions import all_hold, holds
from dealcoach.deals.deal import Change, Deal, Stakeholder, apply_change
from dealcoach.knowledge_base.loader import KnowledgeError, load_knowledge

FAMILIES = {"public_sector": "public", "pharma": "regulated", "robotics": "commercial"}


def deal(*people, **facts):
    return Deal(owner="u", company="Acme", stakeholders=list(people), **facts)


def check(key, expected, d):
    return holds(key, expected, d, FAMILIES)


@pytest.mark.parametrize(
    "sector, family",
    [("public_sector", "public"), ("pharma", "regulated"), ("robotics", "commercial"),
     (None, "unknown"), ("retail", "unknown")],  # retail: not in this family table
)  # fmt: skip
def test_sector_family_follows_the_sector(sector, family):
    d = deal(sector=sector)
    assert check("sector_family", (family,), d)
    others = {"public", "regulated", "commercial", "unknown"} - {family}
    assert not check("sector_family", tuple(others), d)


def test_the_knowledge_base_gives_every_sector_a_family(kb):
    assert set(kb.sector_families) == set(kb.values("sector"))
    assert kb.sector_families["public_sector"] == "public"
    assert kb.sector_families["steel_metals"] == "commercial"


def test_met_role_needs_someone_met_in_the_role():
    ana = Stakeholder("Ana", roles=["prescriber"], met=False)
    assert not check("met_role", ("prescriber",), deal(ana))
    assert check("nobody_met", ("prescriber",), deal(ana))
    ana.met = True
    assert check("met_role", ("prescriber",), deal(ana))
    assert not check("nobody_met", ("prescriber",), deal(ana))
    assert not check("met_role", ("prescriber",), deal())  # nobody holds it


def test_a_role_from_the_title_alone_is_assumed_not_confirmed():
    petra = Stakeholder("Petra", "CFO", ["decider"], assumed=["decider"])
    assert check("has_role", ("decider",), deal(petra))
    assert check("assumed_role", ("decider",), deal(petra))
    assert not check("confirmed_role", ("decider",), deal(petra))
    # One person said to decide makes the role confirmed, whatever the others' titles.
    marc = Stakeholder("Marc", roles=["decider"])
    assert check("confirmed_role", ("decider",), deal(petra, marc))
    assert not check("assumed_role", ("decider",), deal(petra, marc))
    # Nobody in the role: neither assumed nor confirmed.
    assert not check("assumed_role", ("decider",), deal())
    assert not check("confirmed_role", ("decider",), deal())


def test_all_hold_needs_every_condition():
    d = deal(Stakeholder("Ana", roles=["user"]), sector="pharma", perceived_risk="high")
    when = (("sector_family", ("regulated",)), ("perceived_risk", ("high",)))
    assert all_hold(when, d, FAMILIES)
    assert not all_hold(when + (("stakeholders_min", 2),), d, FAMILIES)


def test_an_unknown_condition_is_an_error():
    with pytest.raises(ValueError, match="unknown condition"):
        check("mood", ("happy",), deal())


# --- roles assumed from a title, in the deal -------------------------------------------


def test_saying_the_role_outright_confirms_an_assumed_one():
    d = deal()
    apply_change(d, Change("person", "Petra", data={"title": "CFO", "assume_roles": ["decider"]}))
    (petra,) = d.stakeholders
    assert (petra.roles, petra.assumed) == (["decider"], ["decider"])
    apply_change(d, Change("person", "Petra", data={"add_roles": ["decider", "buyer"]}))
    assert (petra.roles, petra.assumed) == (["buyer", "decider"], [])


def test_an_assumption_never_downgrades_a_role_said_outright():
    d = deal(Stakeholder("Petra", roles=["decider"]))
    apply_change(d, Change("person", "Petra", data={"assume_roles": ["decider"]}))
    assert d.stakeholders[0].assumed == []


def test_removing_or_replacing_roles_drops_their_assumption():
    d = deal(Stakeholder("Petra", "CFO", ["decider"], assumed=["decider"]))
    apply_change(d, Change("person", "Petra", data={"remove_roles": ["decider"]}))
    assert d.stakeholders[0].assumed == []
    d = deal(Stakeholder("Petra", "CFO", ["decider"], assumed=["decider"]))
    apply_change(d, Change("person", "Petra", data={"roles": ["decider"]}))  # a correction
    assert (d.stakeholders[0].roles, d.stakeholders[0].assumed) == (["decider"], [])


# --- the loader checks the new keys ------------------------------------------------------


def test_an_unknown_sector_family_is_refused(broken_kb):
    root, edit = broken_kb
    edit("advice/client_context.yml", lambda d: d["rules"][0]["when"].update(sector_family=["ngo"]))
    with pytest.raises(KnowledgeError, match="'ngo' is not a sector family value"):
        load_knowledge(root)


def test_a_sector_without_a_family_is_refused(broken_kb):
    root, edit = broken_kb
    path = edit("entities/sector.yml", lambda d: d["values"][3].pop("family"))
    with pytest.raises(KnowledgeError, match="needs a family") as error:
        load_knowledge(root)
    assert (error.value.file, error.value.field) == (str(path), "values[3].family")


def test_a_role_condition_takes_role_values_only(broken_kb):
    root, edit = broken_kb
    edit("advice/buying_centre.yml", lambda d: d["rules"][0]["when"].update(met_role=["boss"]))
    with pytest.raises(KnowledgeError, match="'boss' is not a role value"):
        load_knowledge(root)


def test_an_unknown_placeholder_is_refused(broken_kb):
    root, edit = broken_kb
    path = edit(
        "advice/buying_centre.yml",
        lambda d: d["rules"][0].update(
            advice={"en": "Call {deciderr} today.", "nl": "Bel {deciderr} vandaag."}
        ),
    )
    with pytest.raises(KnowledgeError, match=r"unknown placeholder \{deciderr\}") as error:
        load_knowledge(root)
    assert error.value.file == str(path) and error.value.field.endswith(".advice")
