"""Facts about a deal as the NLU gives them, and how to say them back in one line."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from dealcoach.knowledge import KnowledgeBase

#: The order in which understood facts are read back to the salesperson.
FACT_ORDER = (
    "company",
    "person",
    "job_title",
    "role",
    "stance",
    "met",
    "purchase_situation",
    "supplier_position",
    "buying_stage",
    "employees",
    "company_size",
    "sector",
    "perceived_risk",
)


def label(kb: KnowledgeBase, entity: str, value: str) -> str:
    """A short human label for a canonical value: its name, else its id in words."""
    known = kb.entities.get(entity)
    if known and value in known.values and known.values[value].name:
        return str(known.values[value].name)
    if entity == "employees":
        return f"{value} employees"
    if entity in ("company", "person"):
        return value
    return value.replace("_", " ")


def describe(kb: KnowledgeBase, entities: Iterable[Dict[str, Any]]) -> List[str]:
    """The distinct facts in NLU entities, each as '<entity>: <label>', in ``FACT_ORDER``."""
    seen: Dict[str, List[str]] = {}
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if name not in FACT_ORDER or value is None:
            continue
        labels = seen.setdefault(name, [])
        text = label(kb, name, str(value))
        if text not in labels:
            labels.append(text)
    return [
        f"{name.replace('_', ' ')}: {', '.join(seen[name])}" for name in FACT_ORDER if name in seen
    ]
