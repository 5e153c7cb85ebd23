"""Rasa NLU component: explicit commands decide the intent, whatever the classifier guessed.

"rename Globex to Globex Europe" is a rename however much the names look like deal
facts. Each intent in the ``commands`` config has a regular expression; a message
that matches one gets that intent with confidence 1.0. Runs after the intent classifier and before
the FallbackClassifier.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

#: The parse-data key naming the command a message matched.
COMMAND = "command"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CommandIntents(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"commands": {}}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._commands = [
            (intent, re.compile(pattern, re.IGNORECASE))
            for intent, pattern in (config.get("commands") or {}).items()
        ]

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CommandIntents:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = next((name for name, regex in self._commands if regex.search(text)), None)
            if intent is None:
                continue
            # The learned ranking stays, halved, below the command: the FallbackClassifier's
            # ambiguity check must see the command as the clear winner.
            ranking = [
                {**r, "confidence": r["confidence"] / 2}
                for r in message.get(INTENT_RANKING_KEY) or []
                if r["name"] != intent
            ]
            chosen = {"name": intent, "confidence": 1.0}
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
            # The actions must know a command from a guess: a guessed update or advice
            # request that carries facts during a review is taken as a review answer.
            message.set(COMMAND, intent, add_to_output=True)
        return messages
