"""The trained model on the held-out NLU test set (never trained on)."""

import json
import re

import pytest

from dealcoach.evaluation import EVALUATED_ENTITIES, evaluate, load_examples
from dealcoach.extraction import KNOWLEDGE_ENTITIES
from tests.conftest import ROOT

HOLDOUT = ROOT / "tests" / "nlu" / "dev.yml"
TRAINING_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml"))


@pytest.fixture(scope="module")
def report(parse):
    result = evaluate(parse, load_examples(HOLDOUT), EVALUATED_ENTITIES)
    summary = result.summary()
    print("\nheld-out NLU results:", json.dumps(summary, indent=1))
    for error in result.errors[:40]:
        print("error:", json.dumps(error))
    return result


def test_holdout_is_never_trained_on():
    annotation = re.compile(r"\[([^\]]+)\]\([^)]+\)")
    training = {
        annotation.sub(r"\1", line.strip()[2:]).strip().lower()
        for path in TRAINING_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- ")
    }
    seen = [e.text for e in load_examples(HOLDOUT) if e.text.strip().lower() in training]
    assert not seen


def test_knowledge_entity_f1(report):
    assert report.combined(KNOWLEDGE_ENTITIES).f1 >= 0.95


def test_intent_accuracy(report):
    assert report.intent_accuracy >= 0.90


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
