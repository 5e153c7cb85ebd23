"""The knowledge base: schema, cross-references, the entity contract, the concepts it must teach."""

import re
from collections import defaultdict

import pytest

from dealcoach.knowledge_base.loader import KnowledgeError, fingerprint, load_knowledge
from dealcoach.understanding.extraction import expand_pattern, ruler_groups

CONTRACT = {
    "role": {"initiator", "user", "prescriber", "influencer", "buyer", "decider", "gatekeeper"},
    "purchase_situation": {"new_task", "modified_rebuy", "straight_rebuy"},
    "buying_stage": {"need", "specification", "supplier_search", "negotiation", "decision"},
    "perceived_risk": {"low", "high"},
    "company_size": {"small", "medium", "large"},
    "sector": {
        "aerospace_defense", "agriculture", "automotive", "banking_finance", "chemicals",
        "construction", "education", "energy_utilities", "food_beverage", "healthcare",
        "hospitality", "insurance", "it_software", "logistics", "manufacturing", "pharma",
        "professional_services", "public_sector", "retail", "robotics", "steel_metals", "telecom",
    },
}  # fmt: skip


@pytest.mark.parametrize("entity", sorted(CONTRACT))
def test_entity_values_match_the_contract(kb, entity):
    assert set(kb.values(entity)) == CONTRACT[entity]


def test_every_canonical_value_has_patterns_and_a_concept(kb):
    for entity in CONTRACT:
        for value in kb.entities[entity].values.values():
            assert value.patterns, f"{entity}.{value.id} has no patterns"
            assert value.concept in kb.concepts, f"{entity}.{value.id} explains no concept"


def test_company_size_bands_follow_the_contract(kb):
    bands = {
        v.id: (v.min_employees or 0, v.max_employees)
        for v in kb.entities["company_size"].values.values()
    }
    assert bands == {"small": (0, 49), "medium": (50, 249), "large": (250, None)}


def test_no_phrase_means_two_things_to_one_ruler(kb):
    # Types matched by separate rulers may share a phrase ("operators" is a title and
    # a role); within one ruler a phrase must name one value only.
    for group in ruler_groups(kb.entities):
        meanings = defaultdict(set)
        for name in group:
            for value in kb.entities[name].values.values():
                for pattern in value.patterns:
                    for phrase in expand_pattern(pattern.lower()):
                        meanings[phrase].add(f"{name}.{value.id}")
        clashes = {p: m for p, m in meanings.items() if len(m) > 1}
        assert not clashes


REQUIRED_CONCEPTS = {
    "buying_process": ["buying_process", "buygrid", "stage_need", "stage_specification",
                       "stage_supplier_search", "stage_negotiation", "stage_decision"],
    "buying_centre": ["buying_centre", "role_initiator", "role_user", "role_prescriber",
                      "role_influencer", "role_buyer", "role_decider", "role_gatekeeper"],
    "purchase_situation": ["purchase_situations", "new_task", "modified_rebuy", "straight_rebuy"],
    "client_context": ["client_sector", "derived_demand", "company_size"],
    "perceived_risk": ["perceived_risk", "strategic_purchase", "routine_purchase"],
}  # fmt: skip


@pytest.mark.parametrize("topic", sorted(REQUIRED_CONCEPTS))
def test_every_concept_of_the_model_is_taught(kb, topic):
    ids = {c.id for c in kb.concepts_of_topic(topic)}
    assert set(REQUIRED_CONCEPTS[topic]) <= ids


def test_stages_map_onto_buyphases_one_to_six(kb):
    stages = [c for c in kb.concepts_of_topic("buying_process") if c.id.startswith("stage_")]
    covered = {phase for stage in stages for phase in stage.buyphases}
    assert len(stages) == 5
    assert covered == {1, 2, 3, 4, 5, 6}


def test_every_concept_cites_a_known_source(kb):
    for concept in kb.concepts.values():
        assert concept.sources and all(s in kb.sources for s in concept.sources)
        assert concept.for_the_salesperson and concept.example and concept.definition


def test_sources_mark_secondary_references(kb):
    assert kb.sources["gartner_2019"].secondary
    assert not kb.sources["webster_wind_1972"].secondary


# --- bad entries are refused with the file and field named -----------------------------


def test_missing_field_names_file_and_field(broken_kb):
    root, edit = broken_kb
    path = edit("concepts/buying_centre.yml", lambda d: d["concepts"][1].pop("definition"))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.file == str(path)
    assert error.value.field == "concepts[1]"
    assert "'definition' is a required property" in str(error.value)


def test_wrong_type_names_the_field(broken_kb):
    root, edit = broken_kb
    edit("entities/role.yml", lambda d: d["values"][0].update(patterns="decider"))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.field == "values[0].patterns"


def test_unknown_source_is_refused(broken_kb):
    root, edit = broken_kb
    edit("concepts/perceived_risk.yml", lambda d: d["concepts"][0].update(sources=["nobody_2099"]))
    with pytest.raises(KnowledgeError, match="unknown source 'nobody_2099'"):
        load_knowledge(root)


def test_unknown_concept_in_entity_value_is_refused(broken_kb):
    root, edit = broken_kb
    path = edit("entities/role.yml", lambda d: d["values"][0].update(concept="no_such_concept"))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.file == str(path) and error.value.field.endswith(".concept")


def test_alias_naming_two_concepts_is_refused(broken_kb):
    root, edit = broken_kb

    def steal_alias(data):
        data["concepts"][1]["aliases"]["en"].append(data["concepts"][0]["aliases"]["en"][0])

    edit("concepts/purchase_situations.yml", steal_alias)
    with pytest.raises(KnowledgeError, match="also names"):
        load_knowledge(root)


def test_invalid_yaml_is_refused(broken_kb):
    root, _ = broken_kb
    (root / "concepts" / "client_context.yml").write_text("concepts: [unclosed\n")
    with pytest.raises(KnowledgeError, match="not valid YAML"):
        load_knowledge(root)


def test_fingerprint_follows_content(broken_kb):
    root, edit = broken_kb
    before = fingerprint(root)
    assert fingerprint(root) == before
    edit("entities/role.yml", lambda d: d["values"][0]["patterns"].append("top dog"))
    assert fingerprint(root) != before


# --- citations ------------------------------------------------------------------------


def _lead_name(short):
    """The first author or body of a source as texts name it ("Johnston & Bonoma 1981"
    -> "Johnston", "MEDDIC/MEDDPICC" -> "MEDDIC")."""
    return re.split(r"[\s/&,]", short)[0]


def test_a_concept_that_names_a_source_cites_it(kb):
    named = {_lead_name(s.short): s.id for s in kb.sources.values() if s.kind != "teaching"}
    for concept in kb.concepts.values():
        text = " ".join([concept.definition, concept.explanation, *concept.for_the_salesperson])
        for name, source in named.items():
            if re.search(rf"\b{re.escape(name)}\b", text):
                assert source in concept.sources, f"{concept.id} names {name} without citing it"


def test_every_source_says_what_kind_it_is_and_the_kind_shows_where_cited(kb):
    kinds = {s.id: s.kind for s in kb.sources.values()}
    assert kinds["seed_article"] == "teaching"
    assert kinds["meddic"] == kinds["miller_heiman_1985"] == "practitioner"
    assert kinds["gartner_2019"] == "industry" and kb.sources["gartner_2019"].secondary
    assert kinds["eu_directive_2014_24"] == "law"
    assert kb.sources["seed_article"].cited == "dealcoach seed article, teaching source"
    assert kb.sources["gartner_2019"].cited == "Gartner 2019, industry research, secondary"
    assert kb.sources["webster_wind_1972"].cited == "Webster & Wind 1972"


def test_sources_not_read_in_full_are_marked_secondary(kb):
    for source in ("salle_valla_michel", "cox_1967", "johnston_bonoma_1981", "ceb_2015"):
        assert kb.sources[source].secondary, source


def test_advice_names_research_before_other_kinds_of_source(kb):
    from dealcoach.coaching.advice import render
    from dealcoach.deals.deal import Deal

    for rule in kb.rules.values():
        concept = kb.concepts[rule.concept]
        (advice,) = render(kb, Deal(owner="u", company="X"), [rule])
        first = advice.principle.removeprefix(f"{concept.name} (")
        if any(kb.sources[s].kind == "research" for s in concept.sources):
            research = [kb.sources[s].short for s in concept.sources]
            assert any(
                first.startswith(kb.sources[s].short)
                for s in concept.sources
                if kb.sources[s].kind == "research"
            ), (rule.id, first, research)
