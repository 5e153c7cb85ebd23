"""KnowledgeEntityExtractor as a Rasa graph component, without training a whole model."""

import shutil

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.knowledge_entities import KnowledgeEntityExtractor
from tests.conftest import ROOT


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def trained(storage, config, training_data=None):
    """The component trained on ``training_data``: rules only unless ``config`` gives
    ``facts_data`` (the learned models take minutes on the full data)."""
    resource = Resource("knowledge_entities")
    context = ExecutionContext(GraphSchema({}), "test")
    component = KnowledgeEntityExtractor.create(
        {**KnowledgeEntityExtractor.get_default_config(), "facts_data": False, **config},
        storage,
        resource,
        context,
    )
    component.train(training_data or TrainingData())
    return component, resource, context


def entities_of(component, text, existing=()):
    message = Message.build(text=text)
    if existing:
        message.set("entities", list(existing))
    component.process([message])
    return message.get("entities")


def test_trains_persists_and_loads_from_model_storage(storage):
    component, resource, context = trained(storage, {})
    text = "the CFO makes the final call, it's a new purchase for a 2000-person steel company"
    before = entities_of(component, text)
    loaded = KnowledgeEntityExtractor.load({}, storage, resource, context)
    after = entities_of(loaded, text)
    assert before == after
    found = {(e["entity"], e["value"]) for e in after}
    assert {
        ("role", "decider"),
        ("purchase_situation", "new_task"),
        ("company_size", "large"),
        ("sector", "steel_metals"),
    } <= found
    assert all(e["extractor"] == "KnowledgeEntityExtractor" for e in after)


def test_loaded_model_needs_no_knowledge_folder(storage, tmp_path):
    kb_copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_copy)
    _, resource, context = trained(storage, {"knowledge_dir": str(kb_copy)})
    shutil.rmtree(kb_copy)
    loaded = KnowledgeEntityExtractor.load({}, storage, resource, context)
    assert ("sector", "robotics") in {
        (e["entity"], e["value"]) for e in entities_of(loaded, "a robotics firm")
    }


def test_fingerprint_changes_when_a_pattern_changes(tmp_path):
    kb_copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_copy)
    config = {"knowledge_dir": str(kb_copy)}
    before = KnowledgeEntityExtractor.fingerprint_addon(config)
    assert KnowledgeEntityExtractor.fingerprint_addon(config) == before
    path = kb_copy / "entities" / "role.yml"
    data = yaml.safe_load(path.read_text())
    data["values"][0]["patterns"].append("big kahuna")
    path.write_text(yaml.safe_dump(data))
    assert KnowledgeEntityExtractor.fingerprint_addon(config) != before


def test_rules_win_over_a_name_tagged_on_a_title(storage):
    component, _, _ = trained(storage, {})
    diet_guess = {"entity": "person", "value": "CFO", "start": 4, "end": 7, "extractor": "DIET"}
    real_name = {"entity": "person", "value": "Petra", "start": 19, "end": 24, "extractor": "DIET"}
    result = entities_of(component, "the CFO signs off, Petra told me", [diet_guess, real_name])
    persons = [e["value"] for e in result if e["entity"] == "person"]
    assert persons == ["Petra"]


def test_command_intents_override_the_learned_intent():
    from nlu_components.command_intents import CommandIntents

    component = CommandIntents({"commands": {"rename_deal": r"^\W*rename\b"}})
    message = Message.build(text="rename Globex to Globex Europe")
    message.set("intent", {"name": "give_facts", "confidence": 0.98})
    message.set("intent_ranking", [{"name": "give_facts", "confidence": 0.98}])
    other = Message.build(text="they want to rename the product line")
    other.set("intent", {"name": "give_facts", "confidence": 0.9})
    component.process([message, other])
    assert message.get("intent") == {"name": "rename_deal", "confidence": 1.0}
    assert message.get("command") == "rename_deal" and other.get("command") is None
    ranking = [(r["name"], r["confidence"]) for r in message.get("intent_ranking")]
    assert ranking == [("rename_deal", 1.0), ("give_facts", 0.49)]
    assert other.get("intent")["name"] == "give_facts"


def test_with_learned_models_it_classifies_intents_and_stores_them_in_the_model(storage, tmp_path):
    annotated = tmp_path / "annotated.yml"
    annotated.write_text(
        yaml.safe_dump(
            {
                "examples": [
                    {"text": "Jan Smit at Hollandia signs the contract", "intent": "give_facts",
                     "entities": {"person": ["Jan Smit"], "company": ["Hollandia"]},
                     "people": [{"who": "Jan Smit", "roles": ["decider"]}]},
                    {"text": "they are haggling over the discount", "intent": "give_facts",
                     "entities": {"buying_stage": ["negotiation"]}},
                ]
                * 10
            }
        )
    )  # fmt: skip
    examples = [
        Message.build(text=text, intent=intent)
        for text, intent in [("hello there", "greet"), ("hi", "greet"), ("bye now", "goodbye")] * 5
    ]
    config = {"facts_data": str(annotated), "learned": {"epochs": 1, "parallel": False}}
    component, resource, context = trained(storage, config, TrainingData(examples))
    loaded = KnowledgeEntityExtractor.load(config, storage, resource, context)
    message = Message.build(text="hello there")
    loaded.process([message])
    ranking = message.get("intent_ranking")
    assert message.get("intent") == ranking[0]
    assert {r["name"] for r in ranking} == {"greet", "goodbye"}
    assert isinstance(message.get("fact_candidates"), list)
