"""Scoring whole scripted reviews: which stored facts count as right."""

from testkit.scripted_reviews import QuestionReader, Review, play, proposed_values, score


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


def test_a_yes_no_check_proposes_its_yes_button(kb):
    reply = {
        "text": "So they are comparing suppliers, right?",
        "buttons": [
            {"title": "Yes", "payload": '/give_facts{"buying_stage": "supplier_search"}'},
            {"title": "No", "payload": "/deny"},
        ],
    }
    assert proposed_values(reply, kb) == {"buying_stage": "supplier_search"}
    assert proposed_values({"text": "Which sector?", "buttons": [{"title": "Retail"}]}, kb) is None


def test_a_dutch_question_has_the_key_of_its_english_one(kb):
    reader = QuestionReader(kb)
    dutch = kb.in_language("nl")
    sector = next(q for q in dutch.questions if q.key == "sector")
    met = next(q for q in dutch.questions if q.per_person == "met")
    english = next(q for q in kb.questions if q.key == "sector")
    assert sector.ask != english.ask
    assert reader.key(sector.ask.format(company="Bakkerij Janssens")) == "sector"
    assert reader.key(met.ask.format(name="Els De Smet")) == "met:Els De Smet"


def test_a_dutch_yes_no_check_proposes_its_ja_button(kb):
    dutch = kb.in_language("nl")
    reply = {
        "text": "Ze vergelijken dus leveranciers, klopt dat?",
        "buttons": [
            {"title": dutch.phrase("button_yes"), "payload": '/give_facts{"buying_stage": "need"}'},
            {"title": dutch.phrase("button_no"), "payload": "/deny"},
        ],
    }
    assert proposed_values(reply, kb) == {"buying_stage": "need"}
    assert proposed_values({"text": "Welke sector?", "buttons": [{"title": "Ja"}]}, kb) is None


def test_a_dutch_salesperson_answers_in_dutch(kb):
    review = Review(
        id="nl1",
        company="Bakkerij Janssens",
        turns=["nieuwe deal: Bakkerij Janssens"],
        answers={},
        expected={},
        language="nl",
    )
    dutch = kb.in_language("nl")
    sector = next(q for q in dutch.questions if q.key == "sector").ask
    check = {
        "text": "Klopt dat?",
        "buttons": [
            {"title": "Ja", "payload": '/give_facts{"buying_stage": "need"}'},
            {"title": "Nee", "payload": "/deny"},
        ],
    }
    script = iter([[check], [{"text": sector.format(company="Bakkerij Janssens")}], []])
    sent = []

    def send(text):
        sent.append(text)
        return next(script)

    play(kb, review, send)
    # The check proposes a stage the review never meant: "nee"; no sector answer: "weet ik niet".
    assert sent == ["nieuwe deal: Bakkerij Janssens", "nee", "weet ik niet"]
