"""Quizzes for onboarding, drawn from the knowledge base (nothing hard-coded here).

Two kinds of question, both multiple choice between concepts:
* scenarios from ``knowledge/quiz/*.yml`` ("A 20-person firm reorders the same parts
  every month... which purchase situation?");
* definitions generated from ``knowledge/concepts/``: a concept's definition, and
  its name among others of the same topic.

A quiz draws ``QUIZ_LENGTH`` questions, scenarios first, from one topic or all.
Choices keep a stable order per question, so a question reads the same whenever it
is shown again.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from dealcoach.coaching.panel import Bar, QuizChart
from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.learning.learn import concept_of
from dealcoach.storage.records import QuizResult
from dealcoach.understanding.turns import Entity

QUIZ_LENGTH = 5
LETTERS = "abcd"
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "1": 0, "2": 1, "3": 2, "4": 3}
_TOPIC_WORDS = {
    "buying_process": ("buying process", "stages", "stage", "buyphase", "buygrid", "process"),
    "buying_centre": ("buying centre", "buying center", "roles", "role", "buying centres"),
    "purchase_situation": ("purchase situation", "buy class", "rebuy", "new task"),
    "client_context": ("sector", "company size", "size", "derived demand", "client context"),
    "perceived_risk": ("risk", "perceived risk", "strategic", "routine"),
}


_LETTER_ANSWER = re.compile(
    r"(?:(?:option|answer|it'?s|i think|pretty sure it'?s|maybe)\s*:?\s*)?\(?([a-d])\)?"
    r"[\s?.!,]*(?:final answer)?[\s?.!]*"
)
_ORDINAL_ANSWER = re.compile(
    r"(?:(?:option|answer|it'?s|i think|maybe)\s*:?\s*)?(?:the\s+)?"
    r"(?:first|second|third|fourth|[1-4])(?:\s+one)?[\s?.!]*"
)


@dataclass(frozen=True)
class QuizQuestion:
    id: str  # "scenario:<id>" or "define:<concept id>"
    topic: str
    text: str
    choices: Tuple[str, ...]  # concept ids, in the order shown
    answer: str
    explanation: str


def all_questions(kb: KnowledgeBase) -> List[QuizQuestion]:
    return [question(kb, qid) for qid in _question_ids(kb)]


def _question_ids(kb: KnowledgeBase) -> List[str]:
    ids = [f"scenario:{s}" for s in kb.scenarios]
    ids += [f"define:{c}" for c in kb.concepts if len(_same_topic(kb, c)) >= 2]
    return ids


def _same_topic(kb: KnowledgeBase, concept_id: str) -> List[str]:
    topic = kb.concepts[concept_id].topic
    return [c for c in kb.concepts if kb.concepts[c].topic == topic and c != concept_id]


def question(kb: KnowledgeBase, question_id: str) -> QuizQuestion:
    """The question with this id, built from the knowledge base."""
    kind, _, key = question_id.partition(":")
    if kind == "scenario":
        scenario = kb.scenarios[key]
        return QuizQuestion(
            id=question_id,
            topic=kb.concepts[scenario.concept].topic,
            text=scenario.question,
            choices=_stable_order(question_id, scenario.choices),
            answer=scenario.answer,
            explanation=scenario.explanation,
        )
    if kind == "define":
        concept = kb.concepts[key]
        others = sorted(_same_topic(kb, key), key=lambda c: _digest(question_id + c))[:3]
        return QuizQuestion(
            id=question_id,
            topic=concept.topic,
            text=kb.phrase("quiz_define", definition=concept.definition),
            choices=_stable_order(question_id, [key, *others]),
            answer=key,
            explanation=f"{concept.name}: {concept.for_the_salesperson[0]}",
        )
    raise KeyError(question_id)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _stable_order(question_id: str, choices: Iterable[str]) -> Tuple[str, ...]:
    return tuple(sorted(choices, key=lambda c: _digest(question_id + "/" + c)))


def draw(
    kb: KnowledgeBase, topic: Optional[str], seed: int, count: int = QUIZ_LENGTH
) -> List[QuizQuestion]:
    """``count`` questions on one topic (or all), scenarios first, reproducible by seed."""
    pool = [q for q in all_questions(kb) if topic is None or q.topic == topic]
    rng = random.Random(seed)
    scenarios = [q for q in pool if q.id.startswith("scenario:")]
    definitions = [q for q in pool if q.id.startswith("define:")]
    rng.shuffle(scenarios)
    rng.shuffle(definitions)
    take = min(len(scenarios), count - min(len(definitions), count // 2))
    return (scenarios[:take] + definitions)[:count]


def topic_asked(kb: KnowledgeBase, text: str, entities: Iterable[Entity]) -> Optional[str]:
    """The topic a "quiz me on ..." message names, if any."""
    concept = concept_of(kb, entities)
    if concept:
        return kb.concepts[concept].topic
    lowered = text.lower()
    for topic, words in _TOPIC_WORDS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in words):
            return topic
    return None


def choice_label(kb: KnowledgeBase, concept_id: str) -> str:
    return kb.concepts[concept_id].name


def read_answer(
    kb: KnowledgeBase, q: QuizQuestion, text: str, entities: Iterable[Entity]
) -> Optional[str]:
    """The choice (a concept id) a reply picks: a button, a letter, "the second one", a name."""
    entities = list(entities)
    for entity in entities:
        if entity.entity == "quiz_choice" and entity.value in q.choices:
            return str(entity.value)
    lowered = text.lower().strip()
    letter = _LETTER_ANSWER.fullmatch(lowered)
    if letter and LETTERS.index(letter.group(1)) < len(q.choices):
        return q.choices[LETTERS.index(letter.group(1))]
    for word, index in _ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered) and index < len(q.choices) and len(lowered) < 30:
            return q.choices[index]
    named = concept_of(kb, entities)
    if named in q.choices:
        return named
    for choice in q.choices:
        concept = kb.concepts[choice]
        if any(n in lowered for n in (concept.name.lower(), *concept.aliases)):
            return choice
    return None


def looks_like_answer(text: str) -> bool:
    """Whether a message is shaped like a quiz answer ("b", "option c", "the second one").

    Outside a quiz such a message is told that no quiz is running; anything else the
    NLU happens to take for an answer ("<b>bold</b>", an emoji) was simply not understood.
    """
    lowered = text.lower().strip()
    return bool(_LETTER_ANSWER.fullmatch(lowered) or _ORDINAL_ANSWER.fullmatch(lowered))


def format_question(kb: KnowledgeBase, q: QuizQuestion, number: int, total: int) -> str:
    lines = [kb.phrase("quiz_question", number=number, total=total, question=q.text)]
    lines += [f"{LETTERS[i]}) {choice_label(kb, c)}" for i, c in enumerate(q.choices)]
    return "\n".join(lines)


def format_feedback(kb: KnowledgeBase, q: QuizQuestion, chosen: str) -> str:
    if chosen == q.answer:
        return kb.phrase("quiz_right", answer=choice_label(kb, q.answer), explanation=q.explanation)
    return kb.phrase("quiz_wrong", answer=choice_label(kb, q.answer), explanation=q.explanation)


def progress_chart(
    history: Sequence[QuizResult],
    answers: Iterable[Tuple[str, bool]],
    last: int = 10,
    topic_label: Callable[[str], str] | None = None,
) -> QuizChart:
    """The scores of the ``last`` quizzes (oldest first, numbered over all quizzes) and
    right answers per topic (topics in name order), for the page's chart; a topic is
    named by ``topic_label`` (the salesperson's language), else by its id in words."""
    first = max(0, len(history) - last)
    scores = tuple(
        Bar(f"#{first + i + 1}", r.score, r.answered) for i, r in enumerate(history[first:])
    )
    tally: Dict[str, List[int]] = {}
    for topic, correct in answers:
        right, total = tally.setdefault(topic, [0, 0])
        tally[topic] = [right + int(correct), total + 1]
    topics = tuple(
        Bar(topic_label(topic) if topic_label else topic.replace("_", " "), right, total)
        for topic, (right, total) in sorted(tally.items())
    )
    return QuizChart(scores, topics)


def weakest_topic(results: Iterable[Tuple[str, bool]]) -> Optional[str]:
    """The topic with the lowest share of right answers (ties: the one answered most)."""
    tally: Dict[str, List[int]] = {}
    for topic, correct in results:
        right, total = tally.setdefault(topic, [0, 0])
        tally[topic] = [right + int(correct), total + 1]
    if not tally:
        return None
    return min(tally, key=lambda t: (tally[t][0] / tally[t][1], -tally[t][1], t))
