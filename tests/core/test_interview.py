"""The interview engine: what a message changes in a deal, and what is asked next."""

from dataclasses import replace

import pytest

from dealcoach.coaching.interview import interpret, next_question, step
from dealcoach.deals.deal import Change, Deal, apply_change
from dealcoach.understanding.turns import Candidate, Entity, Turn


@pytest.fixture
def say(kb, extractor):
    """Read a message into a deal as the full stack would: rule entities from the
    extractor, names where DIET would put them (given here by hand)."""

    def _say(deal, text, intent="give_facts", persons=(), companies=()):
        entities = list(extractor.extract(text))
        for kind, names in (("person", persons), ("company", companies)):
            for name in names:
                start = text.index(name)
                entities.append(Entity(kind, name, start, start + len(name), source="name"))
        outcome = interpret(kb, deal, Turn(intent=intent, entities=entities, text=text))
        for change in outcome.changes:
            apply_change(deal, change)
        question = next_question(kb, deal)
        deal.asking = question.key if question else None
        return outcome

    return _say


@pytest.fixture
def deal():
    return Deal(owner="u1", company="Nordstahl")


def roles(deal):
    return {s.name: set(s.roles) for s in deal.stakeholders}


def test_several_facts_in_one_message(say, deal):
    outcome = say(
        deal, "the CFO makes the final call, it's a new purchase for a 2000-person steel company"
    )
    assert deal.purchase_situation == "new_task"
    assert deal.employees == 2000 and deal.company_size == "large"
    assert deal.sector == "steel_metals"
    assert roles(deal) == {"CFO": {"decider"}}
    assert not deal.stakeholders[0].named
    assert any("decider" in line for line in outcome.noted)


def test_name_and_title_with_behaviour(say, deal):
    outcome = say(deal, "Petra Lang, CFO, signs off on the budget", persons=["Petra Lang"])
    (petra,) = deal.stakeholders
    assert (petra.name, petra.title, petra.roles) == ("Petra Lang", "CFO", ["decider"])
    assert outcome.noted == ["Petra Lang (CFO) - decider"]


def test_a_title_alone_gives_its_usual_role_as_an_assumption(say, deal):
    outcome = say(deal, "Petra Lang is the CFO", persons=["Petra Lang"])
    (petra,) = deal.stakeholders
    assert (petra.roles, petra.assumed) == (["decider"], ["decider"])
    assert outcome.noted == ["Petra Lang (CFO) - decider (assumed from the title)"]
    say(deal, "Petra makes the final call", persons=["Petra"])
    assert (petra.roles, petra.assumed) == (["decider"], [])


def test_a_role_said_with_the_title_is_no_assumption(say, deal):
    say(deal, "the CFO makes the final call")
    assert deal.stakeholders[0].assumed == []


def test_two_people_in_one_message(say, deal):
    say(
        deal,
        "Petra Lang is the CFO and makes the final call, Jan from proc runs the tender",
        persons=["Petra Lang", "Jan"],
    )
    assert roles(deal) == {"Petra Lang": {"decider"}, "Jan": {"buyer"}}


def test_a_name_given_later_replaces_the_title_placeholder(say, deal):
    say(deal, "the CFO makes the final call")
    say(deal, "Petra Lang is the CFO", persons=["Petra Lang"])
    assert [(s.name, s.title, s.roles, s.named) for s in deal.stakeholders] == [
        ("Petra Lang", "CFO", ["decider"], True)
    ]


def test_correction_replaces_a_role(say, deal):
    say(deal, "Jan is the decider", persons=["Jan"])
    say(deal, "no, Jan is the buyer, not the decider", intent="correction", persons=["Jan"])
    assert roles(deal) == {"Jan": {"buyer"}}


def test_correction_of_a_single_fact(say, deal):
    say(deal, "it's a new purchase")
    say(deal, "actually it's a modified rebuy", intent="correction")
    assert deal.purchase_situation == "modified_rebuy"


def test_denied_user_moves_to_the_operators(say, deal):
    say(deal, "Eva uses it every day", persons=["Eva"])
    say(deal, "Eva doesn't use it, the operators do", intent="correction", persons=["Eva"])
    assert roles(deal) == {"Eva": set(), "operators": {"user"}}


def test_one_person_can_hold_several_roles(say, deal):
    say(deal, "Marc writes the spec", persons=["Marc"])
    say(deal, "Marc also makes the final call", persons=["Marc"])
    assert roles(deal) == {"Marc": {"prescriber", "decider"}}


def test_bare_answer_to_a_role_question(say, deal):
    deal.asking = "role:decider"
    say(deal, "Petra Lang", persons=["Petra Lang"])
    assert roles(deal) == {"Petra Lang": {"decider"}}


def test_bare_name_the_nlu_missed_still_answers_a_role_question(say, deal):
    deal.asking = "role:buyer"
    say(deal, "jan de vries")
    assert roles(deal) == {"jan de vries": {"buyer"}}


@pytest.mark.parametrize(
    "reply, group",
    [
        ("the quality inspectors on each line", "quality inspectors"),
        ("the social workers, ~200 of them", "social workers"),
        ("the bakers on the night shift", "bakers"),
        ("mostly the claims handlers i think", "claims handlers"),
        ("the housekeeping team", "housekeeping team"),
    ],
)
def test_a_group_answers_a_role_question_as_an_unnamed_stakeholder(say, deal, reply, group):
    deal.asking = "role:user"
    say(deal, reply)
    (users,) = deal.stakeholders
    assert (users.name, users.named, users.roles) == (group, False, ["user"])


@pytest.mark.parametrize("reply", ["she runs it", "the same as last years", "no idea"])
def test_a_sentence_is_no_group(say, deal, reply):
    deal.asking = "role:user"
    say(deal, reply)
    assert all(s.named for s in deal.stakeholders)


def test_bare_number_answers_the_size_question(say, deal):
    deal.asking = "company_size"
    say(deal, "about 2,000")
    assert (deal.employees, deal.company_size) == (2000, "large")


def test_stance_and_met_go_to_the_person_asked_about(say, deal):
    say(deal, "Petra Lang signs off", persons=["Petra Lang"])
    deal.asking = "stance:petra lang"
    say(deal, "she's our champion")
    deal.asking = "met:petra lang"
    say(deal, "yes", intent="affirm")
    petra = deal.stakeholders[0]
    assert (petra.stance, petra.met) == ("champion", True)


def test_skip_and_dont_know_record_unknown_and_move_on(say, deal):
    assert next_question_key(deal, say) == "sector"
    say(deal, "skip", intent="skip")
    assert "sector" in deal.unknown
    assert deal.asking == "company_size"
    say(deal, "no idea", intent="dont_know")
    assert "company_size" in deal.unknown and deal.asking == "purchase_situation"


def next_question_key(deal, say):
    say(deal, "hello", intent="greet")
    return deal.asking


def test_asks_only_what_is_missing_in_order(kb, say, deal):
    say(deal, "robotics firm, 80 people, new purchase, they're writing the spec")
    assert deal.asking == "role:decider"
    say(deal, "Petra Lang, the CEO, decides", persons=["Petra Lang"])
    assert deal.asking == "role:prescriber"


def test_supplier_question_only_for_rebuys(kb, say, deal):
    say(deal, "steel company with 300 staff, modified rebuy")
    assert deal.asking == "supplier_position"
    say(deal, "yes", intent="affirm")
    assert deal.supplier_position == "incumbent"


def test_interview_ends(kb, say, deal):
    say(deal, "steel, 300 staff, new purchase, negotiating, strategic purchase")
    say(
        deal,
        "Petra Lang decides, Jan writes the spec, Ana from proc runs the tender, "
        "the operators will use it every day",
        persons=["Petra Lang", "Jan", "Ana"],
    )
    while deal.asking:
        say(deal, "skip", intent="skip")
    assert next_question(kb, deal) is None


def test_buttons_carry_canonical_values(kb, deal):
    deal.sector, deal.company_size = "robotics", "small"
    question = next_question(kb, deal)
    assert question.key == "purchase_situation"
    values = [b["value"].get("purchase_situation") for b in question.buttons]
    assert values[:3] == ["new_task", "modified_rebuy", "straight_rebuy"]


def _answer_all_but(deal, left):
    """Every deal fact and role of the interview known or skipped, but ``left``."""
    facts = {
        "sector": "retail",
        "company_size": "large",
        "purchase_situation": "new_task",
        "supplier_position": "challenger",
        "buying_stage": "need",
        "perceived_risk": "high",
    }
    for fact, value in facts.items():
        if fact != left:
            apply_change(deal, Change("fact", fact, value))
    for role in ("decider", "prescriber", "buyer", "user"):
        apply_change(deal, Change("unknown", f"role:{role}"))


def _play(kb, deal, text, intent="give_facts"):
    """One message through ``step``, as the review action applies it."""
    result = step(kb, deal, Turn(intent=intent, entities=[], text=text))
    for change in result.changes:
        apply_change(deal, change)
    return result


def test_a_question_missed_twice_is_left_for_later_and_comes_back(kb, deal):
    first = _play(kb, deal, "hi")
    assert first.question.key == "sector" and deal.asked == 1
    assert not any(b.get("intent") == "skip" for b in first.question.buttons)
    second = _play(kb, deal, "hmm, hard to say")
    # The second time: the buttons and a way past the question.
    assert second.question.key == "sector" and deal.asked == 2
    assert second.question.buttons[-1] == {"title": "Skip", "value": {}, "intent": "skip"}
    third = _play(kb, deal, "no idea what you mean")
    assert third.question.key != "sector" and third.deferred == "the sector"
    assert deal.deferred == ["sector"] and "sector" not in deal.unknown
    # Everything else answered: the sector comes back, and is left open after two
    # more misses rather than asked a third time in a row.
    _answer_all_but(deal, "sector")
    back = _play(kb, deal, "ok")
    assert back.question.key == "sector" and deal.asked == 1
    _play(kb, deal, "pass")
    last = _play(kb, deal, "still no idea")
    assert last.left_open == "the sector" and "sector" in deal.unknown
    assert last.question is None and last.finished


def test_the_only_question_left_is_left_open_not_asked_a_third_time(kb, deal):
    _play(kb, deal, "hi")
    _play(kb, deal, "hmm")
    deal.asking, deal.asked = "perceived_risk", 2
    _answer_all_but(deal, "perceived_risk")
    result = _play(kb, deal, "dunno really")
    assert result.left_open == "the perceived risk" and result.deferred is None
    assert "perceived_risk" in deal.unknown and result.question is None


def test_an_answer_is_read_with_the_question_as_a_prior(kb, deal):
    deal.asking = "buying_stage"
    sure = Turn(
        "give_facts",
        [],
        "they're lining up a few vendors",
        candidates=[Candidate("buying_stage", "supplier_search", 0.4)],
    )
    assert interpret(kb, deal, sure).changes == [Change("fact", "buying_stage", "supplier_search")]
    # Not asked about: the same guess is no fact.
    deal.asking = "sector"
    assert interpret(kb, deal, sure).changes == []
    # Less sure: a yes/no check instead of the question.
    deal.asking, deal.asked = "buying_stage", 1
    unsure = Turn(
        "give_facts",
        [],
        "hmm they're kind of looking around",
        candidates=[Candidate("buying_stage", "supplier_search", 0.15)],
    )
    result = step(kb, deal, unsure)
    assert result.check == {"buying_stage": "supplier_search"}
    assert not any(c.kind == "fact" for c in result.changes)


def test_an_answer_naming_nobody_is_about_the_person_asked_about(kb, deal):
    apply_change(deal, Change("person", "Petra Lang", data={"roles": ["decider"]}))
    deal.asking = "met:petra lang"
    turn = Turn(
        "give_facts",
        [],
        "yes, visited the plant in may",
        candidates=[Candidate("met", "met", 0.8, about_asked=True)],
    )
    outcome = interpret(kb, deal, turn)
    assert outcome.changes == [Change("person", "Petra Lang", data={"met": True})]
    weak = Turn("give_facts", [], "hm", candidates=[replace(turn.candidates[0], confidence=0.3)])
    assert interpret(kb, deal, weak).changes == []


def test_a_models_guess_does_not_replace_a_known_fact(kb, deal):
    deal.purchase_situation = "new_task"
    guess = Entity("purchase_situation", "modified_rebuy", source="learned")
    assert (
        interpret(kb, deal, Turn("give_facts", [guess], "they trial three vendors")).changes == []
    )
    corrected = interpret(kb, deal, Turn("correction", [guess], "no wait, they buy it already"))
    assert corrected.changes == [Change("fact", "purchase_situation", "modified_rebuy")]
    stated = replace(guess, source="pattern")
    assert interpret(kb, deal, Turn("give_facts", [stated], "it's a modified rebuy")).changes


def test_a_name_completed_or_corrected_stays_one_person(say, deal):
    say(deal, "tomas is the decider", persons=["tomas"])
    say(deal, "tomas hruby runs the plant", persons=["tomas hruby"])
    assert [s.name for s in deal.stakeholders] == ["tomas hruby"]
    say(deal, "tomas also signs the PO", persons=["tomas"])
    assert [s.name for s in deal.stakeholders] == ["tomas hruby"]
    say(deal, "shivon gallagher got it going", persons=["shivon gallagher"])
    say(deal, "oh its siobhan, not shivon", intent="correction", persons=["siobhan"])
    assert [s.name for s in deal.stakeholders] == ["tomas hruby", "siobhan gallagher"]
    assert deal.stakeholders[0].roles == ["decider"]


def test_a_known_stakeholder_is_recognised_by_first_name_in_lower_case(kb, deal):
    apply_change(deal, Change("person", "Luc Delacroix", data={"roles": ["decider"]}))
    deal.asking = "role:buyer"
    outcome = interpret(kb, deal, Turn("give_facts", [], "luc does that himself too"))
    assert outcome.changes == [Change("person", "Luc Delacroix", data={"add_roles": ["buyer"]})]


def test_naming_a_known_title_holder_is_no_answer_to_the_role_question(say, deal):
    say(deal, "the CFO makes the final call")
    deal.asking = "role:prescriber"
    say(deal, "Petra Lang is the CFO", persons=["Petra Lang"])
    assert roles(deal) == {"Petra Lang": {"decider"}}


def test_words_nobody_understood_in_another_script_are_no_answer(kb, deal):
    deal.asking = "role:decider"
    arabic = Turn("nlu_fallback", [], "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645")
    assert interpret(kb, deal, arabic).changes == []
    latin = interpret(kb, deal, Turn("nlu_fallback", [], "jordi wójcik"))
    assert latin.changes == [Change("person", "jordi wójcik", data={"add_roles": ["decider"]})]


def test_a_reply_to_which_client_names_it_however_it_was_read():
    from dealcoach.coaching.interview import client_in_reply

    cut = [Entity("person", "Tindahan", 0, 8)]
    assert client_in_reply(Turn("deal_brief", cut, "Tindahan Plus")) == "Tindahan Plus"
    assert client_in_reply(Turn("give_facts", [], "new deal: Korsgaard")) == "Korsgaard"
    assert client_in_reply(Turn("skip", [], "skip")) is None
    facts = [Entity("employees", 90)]
    assert client_in_reply(Turn("give_facts", facts, "they make boxes, 90 people")) is None


def test_a_client_called_after_what_it_does_is_named_by_a_bare_reply(kb):
    from dealcoach.coaching.interview import client_in_reply

    # The name recogniser missed the name; a word of it reads as the sector.
    sector = [Entity("sector", "public_sector", source="pattern")]
    bare = Turn("give_facts", sector, "vellinge municipality")
    assert client_in_reply(bare, kb) == "vellinge municipality"
    dutch = Turn("give_facts", sector, "gemeente Ooststellingwerf")
    assert client_in_reply(dutch, kb) == "gemeente Ooststellingwerf"
    # A sentence about the client is no name, in either language.
    robots = [Entity("sector", "robotics", source="pattern")]
    assert client_in_reply(Turn("give_facts", robots, "they make robots"), kb) is None
    assert client_in_reply(Turn("give_facts", robots, "ze maken robots"), kb) is None


def test_facts_under_any_guessed_intent_answer_the_review(deal):
    from dealcoach.coaching.interview import answers_review

    stage = [Entity("buying_stage", "negotiation")]
    assert answers_review(deal, Turn("ask_advice", stage, "they haggle, what now?"))
    assert not answers_review(deal, Turn("update_deal", stage, "update X: haggling", True))
    other = stage + [Entity("company", "Globex")]
    assert not answers_review(deal, Turn("give_facts", other, "Globex is haggling"))
    assert not answers_review(None, Turn("give_facts", stage, "they haggle"))


def test_a_reply_opening_with_the_value_asked_answers_the_review_whatever_the_intent(kb, deal):
    from dealcoach.coaching.interview import answers_review

    deal.asking = "perceived_risk"
    reply = Turn("quiz_answer", [], "high, if a defect slips through it ends up on a plane")
    assert answers_review(deal, reply, kb)
    assert not answers_review(deal, Turn("quiz_answer", [], "b"), kb)


def test_a_reply_opening_with_yes_or_no_answers_a_yes_no_question(kb, deal):
    apply_change(deal, Change("person", "Petra Lang", data={"roles": ["decider"]}))
    deal.asking = "met:petra lang"
    # Whatever the intent model guessed ("yes twice" once came back as goodbye).
    outcome = interpret(kb, deal, Turn("goodbye", [], "yes twice"))
    assert outcome.changes == [Change("person", "Petra Lang", data={"met": True})]
    outcome = interpret(kb, deal, Turn("give_facts", [], "nope, only emails so far"))
    assert outcome.changes == [Change("person", "Petra Lang", data={"met": False})]
    for unsure in ("no idea tbh", "not sure"):
        assert interpret(kb, deal, Turn("give_facts", [], unsure)).changes == []
    deal.asking = "supplier_position"
    outcome = interpret(kb, deal, Turn("give_facts", [], "yep, for six years now"))
    assert [(c.kind, c.key, c.value) for c in outcome.changes] == [
        ("fact", "supplier_position", "incumbent")
    ]


def test_a_no_taken_for_dont_know_still_answers_a_yes_no_question(kb, deal):
    apply_change(deal, Change("person", "Petra Lang", data={"roles": ["decider"]}))
    deal.asking = "met:petra lang"
    outcome = interpret(kb, deal, Turn("dont_know", [], "no not yet"))
    assert outcome.changes == [Change("person", "Petra Lang", data={"met": False})]
    outcome = interpret(kb, deal, Turn("dont_know", [], "no idea"))
    assert [c.kind for c in outcome.changes] == ["unknown"]


def test_what_answers_the_question_just_asked(kb, deal):
    from dealcoach.coaching.interview import answers_the_question

    apply_change(deal, Change("person", "Petra Lang", data={"roles": ["decider"]}))
    deal.asking = "stance:petra lang"
    supportive = [Entity("stance", "supporter")]
    assert answers_the_question(kb, deal, Turn("explain_concept", supportive, "supportive"))
    denied = [Entity("stance", "supporter", negated=True)]
    assert not answers_the_question(kb, deal, Turn("explain_concept", denied, "not supportive"))
    stage = [Entity("buying_stage", "negotiation")]
    assert not answers_the_question(kb, deal, Turn("pause", stage, "stop, they haggle"))
    deal.asking = "met:petra lang"
    assert answers_the_question(kb, deal, Turn("pause", [], "yes, tense meeting"))
    assert not answers_the_question(kb, deal, Turn("pause", [], "stop for now"))
    assert not answers_the_question(kb, None, Turn("pause", [], "yes"))


def test_a_reply_opening_with_the_value_asked_for_gives_it(kb, deal):
    from dealcoach.coaching.interview import answers_the_question

    deal.asking = "perceived_risk"
    # Taken for a request to pause once; it answers "routine or strategic?".
    turn = Turn("pause", [], "low really, it's soap and easy to undo")
    assert answers_the_question(kb, deal, turn)
    assert interpret(kb, deal, turn).changes == [Change("fact", "perceived_risk", "low")]
    deal.asking = "buying_stage"
    assert interpret(kb, deal, Turn("give_facts", [], "negotiation, 5% off")).changes == [
        Change("fact", "buying_stage", "negotiation")
    ]
    # A value word opening a sentence about something else is no answer.
    assert interpret(kb, deal, Turn("give_facts", [], "need to ask them")).changes == []


def test_a_role_stated_answers_the_role_question(kb, deal):
    from dealcoach.coaching.interview import answers_the_question

    deal.asking = "role:user"
    user = [Entity("role", "user"), Entity("sector", "agriculture")]
    assert answers_the_question(kb, deal, Turn("explain_concept", user, "the farmers use it"))
    buyer = [Entity("role", "buyer")]
    assert not answers_the_question(kb, deal, Turn("explain_concept", buyer, "what's a buyer"))


def test_a_reply_opening_with_yes_answers_nothing_but_a_yes_no_question(kb, deal):
    deal.asking = "buying_stage"
    assert interpret(kb, deal, Turn("give_facts", [], "yes")).changes == []
    deal.asking = "met:petra lang"  # nobody of that name in the deal
    assert interpret(kb, deal, Turn("give_facts", [], "yes")).changes == []


def test_a_name_in_an_answer_to_the_question_asked_is_no_new_client(kb, deal):
    from dealcoach.coaching.interview import misread_client

    deal.asking = "sector"
    misread = Turn(
        "start_review",
        [Entity("company", "life & non"), Entity("sector", "insurance")],
        "life & non-life insurer in osaka, 4500 employees",
    )
    assert misread_client(kb, deal, misread, [deal])
    # A deal the salesperson already has is resumed, whatever else the message says.
    other = Deal(owner="u1", company="Brunner AG")
    named = [Entity("company", "Brunner AG"), Entity("sector", "retail")]
    resume = Turn("start_review", named, "brunner ag, retail")
    assert not misread_client(kb, deal, resume, [deal, other])
    # Naming a client without the fact asked for opens it as before.
    new = Turn("start_review", [Entity("company", "Haldor")], "let's do Haldor")
    assert not misread_client(kb, deal, new, [deal])
    deal.asking = None
    assert not misread_client(kb, deal, misread, [deal])
