"""Teaching the B2B buying model: explain a concept, give its example, apply it to a deal."""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from dealcoach.coaching.advice import matches, render
from dealcoach.deals.deal import Deal
from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.understanding.turns import Entity

#: Entity types whose values point at a concept ("explain a modified rebuy").
_CONCEPT_CARRIERS = (
    "role",
    "purchase_situation",
    "buying_stage",
    "perceived_risk",
    "company_size",
    "supplier_position",
    "stance",
    "sector",
)


def concept_of(kb: KnowledgeBase, entities: Iterable[Entity]) -> Optional[str]:
    """The concept a message asks about: a ``concept`` entity, else the concept behind
    a canonical value it names ("what does a gatekeeper do?" -> role_gatekeeper)."""
    entities = list(entities)
    for entity in entities:
        if entity.entity == "concept" and entity.value in kb.concepts:
            return str(entity.value)
    for entity in entities:
        name, value = entity.entity, entity.value
        if name in _CONCEPT_CARRIERS and name in kb.entities:
            known = kb.entities[name].values.get(str(value))
            if known and known.concept:
                return known.concept
    return None


def explain(kb: KnowledgeBase, concept_id: str) -> str:
    """Definition, explanation, what it means for the salesperson, and the sources."""
    concept = kb.concepts[concept_id]
    lines = [
        f"{concept.name}: {concept.definition}",
        concept.explanation,
        kb.phrase("for_you", tips=" ".join(concept.for_the_salesperson[:2])),
        kb.phrase("example", example=concept.example),
        kb.phrase("source", sources="; ".join(_citations(kb, concept.sources))),
    ]
    return "\n".join(lines)


def example(kb: KnowledgeBase, concept_id: str) -> str:
    concept = kb.concepts[concept_id]
    return kb.phrase("example_of", concept=concept.name.lower(), example=concept.example)


def apply_to_deal(kb: KnowledgeBase, concept_id: str, deal: Deal) -> str:
    """What a concept means for one deal: the advice it gives there, and why."""
    concept = kb.concepts[concept_id]
    family = {concept_id, *concept.related}
    rules = sorted(
        (r for r in kb.rules.values() if r.concept in family and matches(kb, r, deal)),
        key=lambda r: (r.concept != concept_id, -r.priority, r.id),
    )
    if not rules:
        tip = concept.for_the_salesperson[0]
        return kb.phrase(
            "concept_apply_none", company=deal.company, concept=concept.name.lower(), tip=tip
        )
    lines = [kb.phrase("concept_at", concept=concept.name, company=deal.company)]
    for item in render(kb, deal, rules[:2]):
        lines.append(kb.phrase("concept_advice_line", advice=item.advice, because=item.because))
    return "\n".join(lines)


def _citations(kb: KnowledgeBase, source_ids: Iterable[str]) -> List[str]:
    return [kb.sources[source_id].cited for source_id in source_ids]


def concepts_by_topic(kb: KnowledgeBase) -> Dict[str, List[str]]:
    topics: Dict[str, List[str]] = {}
    for concept in kb.concepts.values():
        topics.setdefault(concept.topic, []).append(concept.id)
    return topics
