"""The trained model on the development set and the blind blocks: the figures
docs/benchmarks.md reports, less a small margin (the model is seeded, so a drop
beyond it is a real change, for better or worse: re-measure and update both)."""

import json

import pytest

from dealcoach.understanding.extraction import KNOWLEDGE_ENTITIES
from testkit.evaluation import EVALUATED_ENTITIES, NAME_ENTITIES, evaluate, load_examples
from tests.conftest import ROOT

NLU = ROOT / "tests" / "nlu"
#: docs/benchmarks.md, "What the NLU test asserts": intent macro-F1, knowledge-entity
#: F1, names F1 of main's model.
DOCUMENTED = {
    "dev.yml": (0.913, 0.915, 0.914),
    "blind/block1/messages.yml": (0.861, 0.813, 0.860),
    "blind/block2/messages.yml": (0.805, 0.814, 0.857),
    "blind/block3/messages.yml": (0.824, 0.845, 0.883),
    "blind/block4/messages.yml": (0.873, 0.860, 0.878),
    "blind/block5/messages.yml": (0.812, 0.798, 0.778),
}
MARGIN = 0.02


@pytest.fixture(scope="module", params=sorted(DOCUMENTED))
def scored(request, parse):
    result = evaluate(parse, load_examples(NLU / request.param), EVALUATED_ENTITIES)
    print(f"\n{request.param}:", json.dumps(result.summary(), indent=1))
    return request.param, result


def test_intent_macro_f1(scored):
    name, result = scored
    assert result.intent_macro_f1 >= DOCUMENTED[name][0] - MARGIN


def test_knowledge_entity_f1(scored):
    name, result = scored
    assert result.combined(KNOWLEDGE_ENTITIES).f1 >= DOCUMENTED[name][1] - MARGIN


def test_names_f1(scored):
    name, result = scored
    assert result.combined(NAME_ENTITIES).f1 >= DOCUMENTED[name][2] - MARGIN


def test_the_issue_sentence_parses(parse):
    parsed = parse(
        "the CFO makes the final call, it's a new purchase for a 2000-person steel company"
    )
    found = {(e["entity"], e["value"]) for e in parsed["entities"]}
    assert {
        ("role", "decider"),
        ("purchase_situation", "new_task"),
        ("company_size", "large"),
        ("sector", "steel_metals"),
    } <= found
