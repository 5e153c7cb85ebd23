"""Learning the job: explain a concept, give an example, apply it to a deal, quizzes."""

import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import (
    answers_review,
    answers_the_question,
    deal_store,
    knowledge_base,
    latest_turn,
    named_or_active_deal,
    owner_of,
    say,
)
from dealcoach.learning import quiz
from dealcoach.learning.learn import apply_to_deal, concept_of, example, explain
from dealcoach.storage import QuizRun


class _ConceptAnswer:
    """Mixin for actions answering about one concept: the one asked about now or, for
    follow-ups, the one explained last. (Not an Action itself: rasa_sdk registers
    every Action subclass by name.)"""

    follow_up = True

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        turn = latest_turn(tracker)
        concept = concept_of(knowledge_base(), turn.entities)
        named = any(e.get("entity") == "concept" for e in turn.entities)
        # "supportive" to "How does Jan feel about us?" states the stance asked for;
        # only a concept named as such ("what's a champion?") is a question about it.
        answered = (
            answers_review(owner_of(tracker), turn)
            if not concept
            else None
            if named
            else answers_the_question(owner_of(tracker), turn)
        )
        if answered is not None:
            # "eleni as well" under "Who writes the specification?" names no concept:
            # it answers the review, whatever intent was guessed.
            from actions.review import take_facts

            return take_facts(dispatcher, owner_of(tracker), int(answered.id or 0), turn)
        if concept is None and self.follow_up:
            concept = tracker.get_slot("last_concept")
        if concept is None:
            say(dispatcher, "utter_which_concept")
            return []
        self.answer(dispatcher, tracker, concept)
        return [SlotSet("last_concept", concept)]

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, concept: str) -> None:
        raise NotImplementedError


class ActionExplain(_ConceptAnswer, Action):
    """'what is a buying centre?', 'how do I deal with a gatekeeper?'."""

    follow_up = False

    def name(self) -> str:
        return "action_explain"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, concept: str) -> None:
        dispatcher.utter_message(text=explain(knowledge_base(), concept))


class ActionExample(_ConceptAnswer, Action):
    """'give me an example' (of what was just explained)."""

    def name(self) -> str:
        return "action_example"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, concept: str) -> None:
        dispatcher.utter_message(text=example(knowledge_base(), concept))


class ActionApplyConcept(_ConceptAnswer, Action):
    """'what does that mean for my Acme deal?'."""

    def name(self) -> str:
        return "action_apply_concept"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, concept: str) -> None:
        deal = named_or_active_deal(dispatcher, tracker, "apply_concept")
        if deal is not None:
            dispatcher.utter_message(text=apply_to_deal(knowledge_base(), concept, deal))


class ActionStartQuiz(Action):
    """'quiz me', 'quiz me on buying centres': five questions from the knowledge base."""

    def name(self) -> str:
        return "action_start_quiz"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        kb, store, owner = knowledge_base(), deal_store(), owner_of(tracker)
        turn = latest_turn(tracker)
        topic = quiz.topic_asked(kb, turn.text, turn.entities)
        seed = len(store.quizzes.history(owner)) + sum(map(ord, owner))
        questions = quiz.draw(kb, topic, seed)
        store.quizzes.start(owner, topic, [q.id for q in questions])
        about = f" on {topic.replace('_', ' ')}" if topic else ""
        dispatcher.utter_message(
            text=f"Quiz{about}: {len(questions)} questions. Tap an answer or type a, b, c or d."
        )
        ask_quiz_question(dispatcher, questions[0], 1, len(questions))
        return []


def ask_quiz_question(
    dispatcher: CollectingDispatcher, question: "quiz.QuizQuestion", number: int, total: int
) -> None:
    kb = knowledge_base()
    buttons = [
        {
            "title": f"{quiz.LETTERS[i]}) {quiz.choice_label(kb, choice)}",
            "payload": "/quiz_answer" + json.dumps({"quiz_choice": choice}),
        }
        for i, choice in enumerate(question.choices)
    ]
    dispatcher.utter_message(
        text=quiz.format_question(kb, question, number, total), buttons=buttons
    )


def answer_quiz(dispatcher: CollectingDispatcher, tracker: Tracker, run: QuizRun) -> None:
    """Score one answer to the running quiz, then ask the next question or give the score."""
    kb, store, owner, turn = knowledge_base(), deal_store(), owner_of(tracker), latest_turn(tracker)
    ids = run.question_ids
    current = quiz.question(kb, ids[run.position])
    chosen = quiz.read_answer(kb, current, turn.text, turn.entities)
    if chosen is None:
        say(dispatcher, "utter_quiz_answer_how")
        ask_quiz_question(dispatcher, current, run.position + 1, len(ids))
        return
    run = store.quizzes.record_answer(
        owner, run.id, current.id, current.topic, chosen == current.answer
    )
    dispatcher.utter_message(text=quiz.format_feedback(kb, current, chosen))
    if not run.finished:
        following = quiz.question(kb, ids[run.position])
        ask_quiz_question(dispatcher, following, run.position + 1, len(ids))
    else:
        dispatcher.utter_message(
            text=f'Done: {run.score}/{len(ids)}. Saved; "how am I doing?" shows your progress.'
        )


class ActionQuizProgress(Action):
    """'how am I doing?': scores over time and the weakest topic."""

    def name(self) -> str:
        return "action_quiz_progress"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        from actions.review import client_named_after_asking  # (imports this module)

        redirected = client_named_after_asking(dispatcher, tracker)
        if redirected is not None:
            return redirected
        store, owner = deal_store(), owner_of(tracker)
        history = store.quizzes.history(owner)
        if not history:
            say(dispatcher, "utter_no_quiz_yet")
            return []
        scores = ", ".join(f"{r.score}/{r.answered}" for r in history[-10:])
        answers = store.quizzes.answers(owner)
        right = sum(a.correct for a in answers)
        weakest = quiz.weakest_topic((a.topic, a.correct) for a in answers)
        lines = [
            f"{len(history)} quizzes, {right}/{len(answers)} answers right overall.",
            f"Scores, oldest first: {scores}.",
        ]
        if weakest:
            lines.append(f"Weakest topic: {weakest.replace('_', ' ')} (try \"quiz me on it\").")
        dispatcher.utter_message(text="\n".join(lines))
        return []
