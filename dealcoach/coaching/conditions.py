"""Conditions on a deal, shared by advice rules, claims and risk flags (``when:`` in knowledge/).

A fact condition (``buying_stage: [need, specification]``) lists the values it
accepts, ``unknown`` standing for a fact not known yet. Listing the values a rule
accepts is how a rule respects the deal's complexity: ``perceived_risk: [high,
unknown]`` keeps a rule away from a purchase known to be routine.

    sector_family: [public]      the sector's family (``family`` in
                                 knowledge/entities/sector.yml: public, regulated,
                                 commercial), ``unknown`` when the sector is

The others look at the buying centre:

    missing_role: [decider]      nobody holds each of these roles
    has_role: [gatekeeper]       somebody holds each of these roles
    confirmed_role: [decider]    somebody holds each role on the salesperson's word
                                 (not only assumed from a job title)
    assumed_role: [decider]      each role is held, but only by people given it
                                 from their job title alone ("Petra is the CFO")
    unmet_role: [decider]        the role is held, but nobody holding it has been met
    met_role: [prescriber]       somebody holding each role has been met
    nobody_met: [prescriber]     nobody holding the role has been met (or nobody holds it)
    stance_present: [opponent]   somebody has each of these stances
    stance_absent: [champion]    nobody has any of these stances
    stakeholders_min: 2          at least / at most this many people known
    stakeholders_max: 1

The condition names and the entities whose values they take are part of the
knowledge base's vocabulary (``dealcoach.knowledge_base.vocabulary``), which the
loader validates knowledge files against. Conditions are evaluated with the sector
families of the knowledge base (``KnowledgeBase.sector_families``), passed in as a
plain mapping so that this module needs nothing else from the knowledge base.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Tuple

from dealcoach.deals.deal import Deal, Stakeholder
from dealcoach.knowledge_base.vocabulary import DEAL_FACTS, UNKNOWN

SectorFamilies = Mapping[str, str]


def all_hold(when: Iterable[Tuple[str, Any]], deal: Deal, families: SectorFamilies) -> bool:
    """Whether every condition holds for this deal."""
    return all(holds(key, expected, deal, families) for key, expected in when)


def holds(key: str, expected: Any, deal: Deal, families: SectorFamilies) -> bool:
    """Whether one condition holds for this deal."""
    if key in DEAL_FACTS:
        value = getattr(deal, key)
        return (value if value is not None else UNKNOWN) in expected
    if key == "sector_family":
        return sector_family(deal, families) in expected
    people = deal.stakeholders
    if key == "missing_role":
        return all(not deal.holders(role) for role in expected)
    if key == "has_role":
        return all(deal.holders(role) for role in expected)
    if key == "confirmed_role":
        return all(confirmed_holders(deal, role) for role in expected)
    if key == "assumed_role":
        return all(deal.holders(role) and not confirmed_holders(deal, role) for role in expected)
    if key == "unmet_role":
        return all(
            deal.holders(role) and not any(p.met for p in deal.holders(role)) for role in expected
        )
    if key == "met_role":
        return all(any(p.met for p in deal.holders(role)) for role in expected)
    if key == "nobody_met":
        return all(not any(p.met for p in deal.holders(role)) for role in expected)
    if key == "stance_present":
        return all(any(p.stance == stance for p in people) for stance in expected)
    if key == "stance_absent":
        return not any(p.stance in expected for p in people)
    if key == "stakeholders_max":
        return len(people) <= expected
    if key == "stakeholders_min":
        return len(people) >= expected
    raise ValueError(f"unknown condition {key!r}")


def sector_family(deal: Deal, families: SectorFamilies) -> str:
    """The family of the deal's sector ("public", "regulated", ...), or ``unknown``."""
    if deal.sector is None:
        return UNKNOWN
    return families.get(deal.sector, UNKNOWN)


def confirmed_holders(deal: Deal, role: str) -> List[Stakeholder]:
    """The people holding a role on the salesperson's word, not only by their title."""
    return [p for p in deal.holders(role) if role not in p.assumed]
