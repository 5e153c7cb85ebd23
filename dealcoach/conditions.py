"""Conditions on a deal, shared by advice rules and risk flags (``when:`` in knowledge/).

A fact condition (``buying_stage: [need, specification]``) lists the values it
accepts, ``unknown`` standing for a fact not known yet. The others look at the
buying centre:

    missing_role: [decider]      nobody holds each of these roles
    has_role: [gatekeeper]       somebody holds each of these roles
    unmet_role: [decider]        the role is held, but nobody holding it has been met
    nobody_met: [prescriber]     nobody holding the role has been met (or nobody holds it)
    stance_present: [opponent]   somebody has each of these stances
    stance_absent: [champion]    nobody has any of these stances
    stakeholders_min: 2          at least / at most this many people known
    stakeholders_max: 1
"""

from __future__ import annotations

from typing import Any, Iterable, Tuple

from dealcoach.deal import DEAL_FACTS, Deal

#: Which entity's values each non-fact condition takes (for validating knowledge files).
CONDITION_VALUES = {
    "missing_role": "role",
    "has_role": "role",
    "unmet_role": "role",
    "nobody_met": "role",
    "stance_present": "stance",
    "stance_absent": "stance",
}
COUNT_CONDITIONS = ("stakeholders_min", "stakeholders_max")


def all_hold(when: Iterable[Tuple[str, Any]], deal: Deal) -> bool:
    return all(holds(key, expected, deal) for key, expected in when)


def holds(key: str, expected: Any, deal: Deal) -> bool:
    """Whether one condition holds for this deal."""
    if key in DEAL_FACTS:
        value = getattr(deal, key)
        return (value if value is not None else "unknown") in expected
    people = deal.stakeholders
    if key == "missing_role":
        return all(not deal.holders(role) for role in expected)
    if key == "has_role":
        return all(deal.holders(role) for role in expected)
    if key == "unmet_role":
        return all(
            deal.holders(role) and not any(p.met for p in deal.holders(role)) for role in expected
        )
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
