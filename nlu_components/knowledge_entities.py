"""Rasa NLU component: entities from the knowledge base's rules, stored in the model.

Why not ``SpacyNLP`` with a model path: in Rasa 3.6 that path is resolved against
the working directory at load time, is not packed into the model archive, and the
training cache keys it by name only, so edited patterns silently do not retrain.
This component instead compiles ``knowledge/`` into a ``RuleTable`` at training
time, writes it into the model's own storage, and adds the table's hash to its
fingerprint, so any change to a pattern retrains it and the model is self-contained.

It runs after DIET. DIET finds the names (``company``, ``person``); the rules
find the canonical values. Then ``dealcoach.names`` settles each name's kind and
extent from its neighbours (a title beside a person, a legal form or a deal word
beside a company) and drops "names" that are really facts ("the CFO").
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from dealcoach.extraction import EntityExtractor, RuleTable
from dealcoach.knowledge import load_knowledge
from dealcoach.names import NAME_TYPES, NameCues, NameResolver

TABLE_FILE = "rule_table.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds knowledge-base entities (canonical ids) to every parsed message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # None: the package default (knowledge/ of this checkout, or DEALCOACH_KNOWLEDGE).
        return {"knowledge_dir": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        # Retrain whenever the compiled rules change, whatever else stayed the same.
        return cls._compile(config).fingerprint()

    @staticmethod
    def _compile(config: Dict[str, Any]) -> RuleTable:
        return RuleTable.from_knowledge(load_knowledge(config.get("knowledge_dir")))

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        table: RuleTable | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._use(table)

    def _use(self, table: RuleTable | None) -> None:
        self._extractor = EntityExtractor(table) if table else None
        self._names = NameResolver(NameCues.from_dict(table.name_cues if table else {}))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        table = self._compile(self._config)
        # Words salespeople really type are never "corrected" into pattern words.
        table.learn_words(m.get(TEXT) or "" for m in training_data.training_examples)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / TABLE_FILE).write_text(table.to_json(), encoding="utf-8")
        self._use(table)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KnowledgeEntityExtractor:
        with model_storage.read_from(resource) as directory:
            table = RuleTable.from_json((directory / TABLE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, table)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._extractor is None:
            raise RuntimeError("KnowledgeEntityExtractor used before training")
        for message in messages:
            text = message.get(TEXT) or ""
            found = [self._as_rasa_entity(e) for e in self._extractor.extract(text)]
            entities = message.get(ENTITIES, [])
            names = [e for e in entities if e.get("entity") in NAME_TYPES]
            others = [e for e in entities if e.get("entity") not in NAME_TYPES]
            names = self._names.resolve(text, names, found)
            message.set(
                ENTITIES, others + names + self.add_extractor_name(found), add_to_output=True
            )
        return messages

    @staticmethod
    def _as_rasa_entity(entity: Any) -> Dict[str, Any]:
        found = {
            "entity": entity.entity,
            "value": entity.value,
            "start": entity.start,
            "end": entity.end,
            "confidence_entity": 1.0,
            "text": entity.text,
            "source": entity.source,
        }
        if entity.negated:
            found["negated"] = True
        return found
