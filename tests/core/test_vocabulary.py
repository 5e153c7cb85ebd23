"""The code's vocabulary and the knowledge base's entities say the same thing.

The roles, stances and met values the code acts on by name live in one module
(``dealcoach.knowledge_base.vocabulary``); these tests fail when ``knowledge/entities/``
gains a value the code does not handle, or loses one it does, and when a list the code
derives from the knowledge base (the brief's key roles, the role placeholders, the
conditions' entities) drifts from it.
"""

import pytest

from dealcoach.coaching.brief import make_brief
from dealcoach.deals.deal import Deal
from dealcoach.knowledge_base import vocabulary
from dealcoach.knowledge_base.loader import KnowledgeError, load_knowledge
from dealcoach.knowledge_base.placeholders import PLACEHOLDERS, ROLE_PLACEHOLDERS


@pytest.mark.parametrize("entity", sorted(vocabulary.HANDLED_VALUES))
def test_the_code_handles_exactly_the_values_of_the_knowledge_base(kb, entity):
    assert tuple(kb.values(entity)) == vocabulary.HANDLED_VALUES[entity]


def test_the_real_knowledge_base_and_the_vocabulary_agree(kb):
    entities = {name: kb.values(name) for name in kb.entities}
    assert vocabulary.vocabulary_problems(entities) == []


def test_every_deal_fact_but_the_count_is_an_entity_of_the_knowledge_base(kb):
    for fact in vocabulary.DEAL_FACTS:
        assert (fact in kb.entities) != (fact in vocabulary.COUNTED_FACTS), fact


def test_every_condition_takes_the_values_of_an_entity_of_the_knowledge_base(kb):
    for condition, entity in vocabulary.CONDITION_VALUES.items():
        assert entity in kb.entities, condition
    for derived, fact in vocabulary.DERIVED_FROM.items():
        assert fact in vocabulary.DEAL_FACTS, derived


def test_the_schema_of_interview_questions_allows_the_per_person_facts(kb):
    asked = {q.per_person for q in kb.questions if q.per_person}
    assert asked == set(vocabulary.PER_PERSON_FACTS)
    for fact in vocabulary.PER_PERSON_FACTS:
        assert fact in kb.entities


def test_every_role_of_the_knowledge_base_is_a_placeholder(kb):
    assert set(ROLE_PLACEHOLDERS) == set(kb.values("role"))
    assert set(kb.values("role")) <= set(PLACEHOLDERS)


def test_the_brief_shows_the_roles_the_review_asks_about_even_when_nobody_holds_them(kb):
    asked = [q.role for q in kb.questions if q.role]
    assert asked and set(asked) < set(kb.values("role"))
    shown = [role for role, _ in make_brief(kb, Deal(owner="u", company="Acme")).centre]
    assert sorted(shown) == sorted(asked)


def test_a_role_added_to_the_knowledge_base_but_not_to_the_code_stops_the_load(broken_kb):
    root, edit = broken_kb
    new_role = {
        "id": "sponsor",
        "name": {"en": "sponsor", "nl": "sponsor"},
        "patterns": ["sponsor"],
    }
    path = edit("entities/role.yml", lambda d: d["values"].append(new_role))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert str(path) in str(error.value)
    assert "sponsor" in str(error.value) and "not handled" in str(error.value)


def test_a_stance_the_code_handles_but_the_file_lost_stops_the_load(broken_kb):
    root, edit = broken_kb
    path = edit(
        "entities/stance.yml",
        lambda d: d.update(values=[v for v in d["values"] if v["id"] != "neutral"]),
    )
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert str(path) in str(error.value) and "neutral" in str(error.value)


def test_a_deal_fact_without_its_entity_file_stops_the_load(broken_kb):
    root, _ = broken_kb
    (root / "entities" / "perceived_risk.yml").unlink()
    with pytest.raises(KnowledgeError, match="perceived_risk.*a deal fact without its file"):
        load_knowledge(root)


def test_the_extractor_emits_every_entity_type_of_the_knowledge_base_and_no_other(kb):
    from dealcoach.understanding.extraction import EXTRACTED_ENTITIES

    counted_or_named = set(vocabulary.COUNTED_FACTS) | {"concept"}
    assert set(EXTRACTED_ENTITIES) - counted_or_named == set(kb.entities)


def test_the_quiz_knows_words_for_every_topic_of_the_concepts(kb):
    from dealcoach.learning.quiz import _TOPIC_WORDS

    assert set(_TOPIC_WORDS) == {concept.topic for concept in kb.concepts.values()}
