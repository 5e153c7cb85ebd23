"""Learning the job: explain a concept, give an example, apply it to a deal, quizzes
(``Coach.about_concept``, ``start_quiz``, ``quiz_progress``)."""

from functools import partial
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import coach, coach_call


class ActionExplain(Action):
    """'what is a buying centre?', 'how do I deal with a gatekeeper?'."""

    def name(self) -> str:
        return "action_explain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, partial(coach().about_concept, how="explain"))


class ActionExample(Action):
    """'give me an example' (of what was just explained)."""

    def name(self) -> str:
        return "action_example"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, partial(coach().about_concept, how="example"))


class ActionApplyConcept(Action):
    """'what does that mean for my Acme deal?'."""

    def name(self) -> str:
        return "action_apply_concept"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, partial(coach().about_concept, how="apply"))


class ActionStartQuiz(Action):
    """'quiz me', 'quiz me on buying centres'."""

    def name(self) -> str:
        return "action_start_quiz"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().start_quiz)


class ActionQuizProgress(Action):
    """'how am I doing?': scores over time and the weakest topic."""

    def name(self) -> str:
        return "action_quiz_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await coach_call(dispatcher, tracker, coach().quiz_progress)
