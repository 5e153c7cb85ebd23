"""The words of the knowledge base that the code itself acts on, in one place.

Most of the knowledge base is data the code only passes along (patterns, texts,
advice). A few of its words the code has to know by name: the deal's facts (fields of
``Deal``), the buying-centre roles and stances (a role is held, a stance decides which
advice fits), the conditions that advice rules may test. They are named here once,
for every floor above; the loader checks at load that ``knowledge/entities/`` holds
exactly these values (``check_vocabulary``), so a role added to ``role.yml`` but not to
the code, or the other way round, stops the load with the file named instead of being
silently ignored.

The lists are written out, not read from ``knowledge/`` when this module is imported:
a trained model runs without the ``knowledge/`` folder, and the deal model is
imported by code that never loads the knowledge base.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

#: Facts about the deal that hold one value each, in the order the interview asks them.
#: All but ``employees`` (a count) are entity types of ``knowledge/entities/``.
DEAL_FACTS = (
    "sector",
    "employees",
    "company_size",
    "purchase_situation",
    "supplier_position",
    "buying_stage",
    "perceived_risk",
)
#: Deal facts that are numbers, not values of an entity type.
COUNTED_FACTS = ("employees",)
#: The buying-centre roles (``knowledge/entities/role.yml``, in its order).
ROLES = ("initiator", "user", "prescriber", "influencer", "buyer", "decider", "gatekeeper")
#: What a fact or stance not known yet is called, in conditions and on a stakeholder.
UNKNOWN = "unknown"
#: A stakeholder's stance (``knowledge/entities/stance.yml``), then ``unknown``.
STANCES = ("champion", "supporter", "neutral", "opponent", UNKNOWN)
#: Whether the salesperson has met a stakeholder (``knowledge/entities/met.yml``).
MET_VALUES = ("met", "not_met")
#: Facts about one person of the buying centre, asked person by person.
PER_PERSON_FACTS = ("stance", "met")

#: Which entity's values each non-fact condition takes (for validating knowledge files).
CONDITION_VALUES = {
    "missing_role": "role",
    "has_role": "role",
    "confirmed_role": "role",
    "assumed_role": "role",
    "unmet_role": "role",
    "met_role": "role",
    "nobody_met": "role",
    "stance_present": "stance",
    "stance_absent": "stance",
}
COUNT_CONDITIONS = ("stakeholders_min", "stakeholders_max")
#: Conditions derived from a deal fact: the fact that must be known for them to tell.
DERIVED_FROM = {"sector_family": "sector"}

#: Entity type -> the values the code handles, in the knowledge base's order.
HANDLED_VALUES: Dict[str, Tuple[str, ...]] = {
    "role": ROLES,
    "stance": tuple(s for s in STANCES if s != UNKNOWN),
    "met": MET_VALUES,
}


def vocabulary_problems(entities: Dict[str, List[str]]) -> List[Tuple[str, str]]:
    """What the knowledge base's entity types (type -> value ids) and this vocabulary
    disagree on, as (entity type, problem) pairs; none when they agree.

    An entity type the knowledge base leaves out is not a problem here (a cut-down
    knowledge base in a test has no stances); one it has must hold exactly the values
    the code handles, and every deal fact must be an entity type."""
    problems: List[Tuple[str, str]] = []
    for entity, handled in HANDLED_VALUES.items():
        if entity not in entities:
            continue
        values = tuple(entities[entity])
        missing = [v for v in values if v not in handled]
        extra = [v for v in handled if v not in values]
        if missing:
            problems.append((entity, f"values {missing} are not handled by the code"))
        if extra:
            problems.append((entity, f"the code handles values {extra} the file does not have"))
        if not missing and not extra and values != handled:
            problems.append((entity, f"values are not in the code's order {list(handled)}"))
    if entities:
        for fact in DEAL_FACTS:
            if fact not in COUNTED_FACTS and fact not in entities:
                problems.append((fact, "a deal fact without its file in knowledge/entities/"))
    return problems
