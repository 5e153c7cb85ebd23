"""Scoring whole scripted reviews: which stored facts count as right."""

from testkit.scripted_reviews import QuestionReader, Review, proposed_values, score


def review(**expected):
    return Review(id="r", company="Acme", turns=["review Acme"], answers={}, expected=expected)


def test_deal_facts_and_people_are_scored_fact_by_fact():
    expected = review(
        sector="logistics",
        buying_stage="negotiation",
        stakeholders=[
            {"name": "Jonas Berg", "title": "md", "roles": ["decider"], "met": True},
            {"name": None, "title": "procurement team", "roles": ["buyer"]},
        ],
    )
    stored = {
        "sector": "logistics",
        "buying_stage": "decision",
        "stakeholders": [
            {"name": "Jonas Berg", "title": "MD", "roles": ["decider", "user"], "met": None},
            {"name": None, "title": "procurement team", "roles": ["buyer"]},
            {"name": "Jonas", "title": None, "roles": [], "met": None},
        ],
    }
    result = score(expected, stored)
    right = {f.fact for f in result.facts if f.right}
    wrong = {f.fact for f in result.facts if not f.right}
    assert right == {"sector", "Jonas Berg: name", "Jonas Berg: role", "procurement team: role"}
    assert wrong == {"buying_stage", "Jonas Berg: met"}
    assert result.extra_people == ["Jonas"]
    assert result.extra_roles == ["Jonas Berg: user"]


def test_nothing_stored_gets_nothing_right():
    result = score(
        review(sector="retail", stakeholders=[{"name": "Ana", "roles": ["buyer"]}]), None
    )
    assert result.right == 0 and len(result.facts) == 3


def test_questions_are_told_apart_by_the_knowledge_base_texts(kb):
    reader = QuestionReader(kb)
    sector = next(q for q in kb.questions if q.key == "sector")
    met = next(q for q in kb.questions if q.per_person == "met")
    assert reader.key(sector.ask.format(company="Acme Steel")) == "sector"
    assert reader.key(met.ask.format(name="Petra Lang")) == "met:Petra Lang"
    assert reader.key("Noted: sector: retail.") is None


def test_a_yes_no_check_proposes_its_yes_button():
    reply = {
        "text": "So they are comparing suppliers, right?",
        "buttons": [
            {"title": "Yes", "payload": '/give_facts{"buying_stage": "supplier_search"}'},
            {"title": "No", "payload": "/deny"},
        ],
    }
    assert proposed_values(reply) == {"buying_stage": "supplier_search"}
    assert proposed_values({"text": "Which sector?", "buttons": [{"title": "Retail"}]}) is None
