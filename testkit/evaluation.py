"""Score an NLU parser on a labelled test set, at the level of canonical values.

A test set (``tests/nlu/dev.yml``, ``tests/nlu/blind/*/messages.yml``) lists, per
message, its intent and the set of values each entity type should get. A parser is
any function from text to
``{"intent": name, "entities": [{"entity": type, "value": value}, ...]}``, such as
Rasa's ``/model/parse``. Spans do not matter here: a salesperson's message is
understood when the right values come out, wherever they were read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Set, Tuple

from dealcoach.knowledge_base.yaml_files import read_yaml
from dealcoach.understanding.extraction import KNOWLEDGE_ENTITIES

NAME_ENTITIES = ("company", "person")
#: What the held-out set labels: the contract's types, the other extracted facts, names.
EVALUATED_ENTITIES = (
    KNOWLEDGE_ENTITIES
    + (
        "employees",
        "job_title",
        "stance",
        "met",
        "supplier_position",
    )
    + NAME_ENTITIES
)
Parse = Callable[[str], Dict[str, Any]]


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: Dict[str, Set[str]]


@dataclass
class Scores:
    """Counts of true/false positives and false negatives, and the scores they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Scores) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def as_dict(self) -> Dict[str, float]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.tp + self.fn,
        }


@dataclass
class Report:
    examples: int = 0
    intent_correct: int = 0
    intent_pairs: List[Tuple[str, str]] = field(default_factory=list)
    entities: Dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    errors: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.examples if self.examples else 0.0

    @property
    def intent_macro_f1(self) -> float:
        labels = {gold for gold, _ in self.intent_pairs}
        scores = []
        for label in labels:
            s = Scores()
            for gold, predicted in self.intent_pairs:
                s.tp += gold == label and predicted == label
                s.fp += gold != label and predicted == label
                s.fn += gold == label and predicted != label
            scores.append(s.f1)
        return sum(scores) / len(scores) if scores else 0.0

    def combined(self, types: Iterable[str]) -> Scores:
        total = Scores()
        for name in types:
            total.add(self.entities.get(name, Scores()))
        return total

    def summary(self) -> Dict[str, Any]:
        return {
            "examples": self.examples,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "intent_macro_f1": round(self.intent_macro_f1, 4),
            "knowledge_entities": self.combined(KNOWLEDGE_ENTITIES).as_dict(),
            "name_entities": self.combined(NAME_ENTITIES).as_dict(),
            "per_entity": {k: v.as_dict() for k, v in sorted(self.entities.items())},
            "intent_confusions": Counter(
                f"{gold} -> {predicted}"
                for gold, predicted in self.intent_pairs
                if gold != predicted
            ).most_common(),
        }


def load_examples(path: Path | str) -> List[Example]:
    """Read a test set file: ``examples: [{text, intent, entities: {type: [values]}}]``."""
    data = read_yaml(path)
    examples = []
    for raw in data["examples"]:
        entities = {
            name: {_canonical(name, v) for v in values}
            for name, values in (raw.get("entities") or {}).items()
        }
        examples.append(Example(text=str(raw["text"]), intent=raw["intent"], entities=entities))
    return examples


def _canonical(entity: str, value: Any) -> str:
    # Names are compared without case or surrounding punctuation; ids as they are.
    text = str(value).strip()
    return text.lower().strip(" .,!?'\"") if entity in NAME_ENTITIES else text


def predicted_values(parsed: Dict[str, Any]) -> Dict[str, Set[str]]:
    values: Dict[str, Set[str]] = defaultdict(set)
    for entity in parsed.get("entities", []):
        values[entity["entity"]].add(_canonical(entity["entity"], entity["value"]))
    return values


def evaluate(parse: Parse, examples: Iterable[Example], entity_types: Iterable[str]) -> Report:
    """Run ``parse`` on every example and score intents and the given entity types."""
    types = tuple(entity_types)
    report = Report()
    for example in examples:
        parsed = parse(example.text)
        intent = (parsed.get("intent") or {}).get("name")
        predicted = predicted_values(parsed)
        report.examples += 1
        report.intent_pairs.append((example.intent, intent))
        report.intent_correct += intent == example.intent
        wrong: Dict[str, Any] = {}
        for name in types:
            gold = example.entities.get(name, set())
            got = predicted.get(name, set())
            report.entities[name].add(Scores(len(gold & got), len(got - gold), len(gold - got)))
            if gold != got:
                wrong[name] = {"expected": sorted(gold), "got": sorted(got)}
        if wrong or intent != example.intent:
            report.errors.append(
                {
                    "text": example.text,
                    "intent": {"expected": example.intent, "got": intent},
                    "entities": wrong,
                }
            )
    return report
