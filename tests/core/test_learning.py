"""Explaining concepts and quizzes, from the knowledge base."""

import pytest

from dealcoach.deals.deal import Deal, Stakeholder
from dealcoach.learning import quiz
from dealcoach.learning.learn import apply_to_deal, concept_of, example, explain
from dealcoach.storage import open_store
from dealcoach.understanding.turns import Entity

CONCEPT_IDS = [
    "buying_process", "buygrid", "stage_need", "stage_specification", "stage_supplier_search",
    "stage_negotiation", "stage_decision", "buying_centre", "role_initiator", "role_user",
    "role_prescriber", "role_influencer", "role_buyer", "role_decider", "role_gatekeeper",
    "champion", "single_threading", "purchase_situations", "new_task", "modified_rebuy",
    "straight_rebuy", "incumbent_advantage", "client_sector", "derived_demand", "company_size",
    "interaction_approach", "perceived_risk", "strategic_purchase", "routine_purchase",
]  # fmt: skip


def test_the_list_above_is_every_concept(kb):
    assert set(CONCEPT_IDS) == set(kb.concepts)


@pytest.mark.parametrize("concept_id", CONCEPT_IDS)
def test_every_concept_is_explained_by_its_own_words_with_source(kb, extractor, concept_id):
    concept = kb.concepts[concept_id]
    asked = list(extractor.extract(f"what is {concept.aliases[0]}?"))
    assert concept_of(kb, asked) == concept_id
    text = explain(kb, concept_id)
    assert concept.definition in text and "Source: " in text
    assert kb.sources[concept.sources[0]].short in text
    assert concept.example in example(kb, concept_id)


def test_a_role_word_leads_to_its_concept(kb, extractor):
    asked = list(extractor.extract("how do i deal with a gatekeeper?"))
    assert concept_of(kb, asked) == "role_gatekeeper"


def test_applying_a_concept_to_a_deal_uses_its_facts(kb):
    deal = Deal(owner="u", company="Acme", stakeholders=[Stakeholder("Mia", roles=["gatekeeper"])])
    text = apply_to_deal(kb, "role_gatekeeper", deal)
    assert text.startswith("Gatekeeper at Acme") and "Mia" in text
    routine = apply_to_deal(kb, "routine_purchase", Deal("u", "Acme", perceived_risk="low"))
    assert "Make buying easy" in routine
    team = [
        Stakeholder("Bo", roles=["decider"], stance="champion", met=True),
        Stakeholder("Cy", roles=["buyer"], stance="supporter", met=True),
    ]
    settled = Deal("u", "Acme", stakeholders=team)
    assert "does not change my advice yet" in apply_to_deal(kb, "champion", settled)


def test_a_quiz_has_five_questions_of_the_topic_asked(kb):
    for topic in {c.topic for c in kb.concepts.values()}:
        drawn = quiz.draw(kb, topic, seed=3)
        assert len(drawn) == 5 and {q.topic for q in drawn} == {topic}
        assert any(q.id.startswith("scenario:") for q in drawn)
        assert all(q.answer in q.choices and 2 <= len(q.choices) <= 4 for q in drawn)


def test_same_seed_same_quiz_and_stable_choices(kb):
    assert quiz.draw(kb, None, seed=7) == quiz.draw(kb, None, seed=7)
    first = quiz.draw(kb, None, seed=7)[0]
    assert quiz.question(kb, first.id) == first


def test_quiz_topics_from_the_request(kb, extractor):
    def topic(text):
        return quiz.topic_asked(kb, text, list(extractor.extract(text)))

    assert topic("quiz me on buying centres") == "buying_centre"
    assert topic("test me on purchase situations") == "purchase_situation"
    assert topic("quiz me") is None


def test_answers_read_as_letters_ordinals_buttons_and_names(kb):
    q = quiz.question(kb, "define:new_task")
    right = q.answer
    letter = quiz.LETTERS[q.choices.index(right)]
    assert quiz.read_answer(kb, q, letter, []) == right
    assert quiz.read_answer(kb, q, f"i think {letter}", []) == right
    assert quiz.read_answer(kb, q, "", [Entity("quiz_choice", right)]) == right
    assert quiz.read_answer(kb, q, "new task", []) == right
    assert quiz.read_answer(kb, q, "the first one", []) == q.choices[0]
    assert quiz.read_answer(kb, q, "no clue, what's for lunch", []) is None


@pytest.mark.parametrize("text", ["b", "Option C", "(a)", "i think d!", "the second one", "3"])
def test_quiz_answer_shapes_are_recognised(text):
    assert quiz.looks_like_answer(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "<b>bold</b> text", "\U0001f680\U0001f525", "2,000", "b2b sales is hard"]
)
def test_other_messages_do_not_look_like_quiz_answers(text):
    assert not quiz.looks_like_answer(text)


def test_quiz_scores_are_stored_per_user(kb, tmp_path):
    quizzes = open_store(tmp_path / "d.db").quizzes
    questions = quiz.draw(kb, "buying_centre", seed=1)
    run_id = quizzes.start("alice", "buying_centre", [q.id for q in questions]).id
    for i, q in enumerate(questions):
        run = quizzes.record_answer("alice", run_id, q.id, q.topic, correct=i % 2 == 0)
    assert run.finished_at and run.score == 3
    assert quizzes.current("alice") is None
    (done,) = quizzes.history("alice")
    assert (done.score, done.answered) == (3, 5)
    assert quizzes.history("bob") == []


def test_weakest_topic():
    results = [("a", True), ("a", True), ("b", False), ("b", True), ("c", True)]
    assert quiz.weakest_topic(results) == "b"
    assert quiz.weakest_topic([]) is None
