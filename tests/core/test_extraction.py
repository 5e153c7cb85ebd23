"""The knowledge-backed extractor on its own: no Rasa, no training."""

import pytest

from dealcoach.understanding.extraction import EntityExtractor, RuleTable, expand_pattern


def values(extractor, text):
    found = {}
    for entity in extractor.extract(text):
        found.setdefault(entity.entity, set()).add(entity.value)
    return found


def test_expand_pattern_alternations_and_optionals():
    assert expand_pattern("(makes|has) the final (call|say)") == [
        "makes the final call",
        "makes the final say",
        "has the final call",
        "has the final say",
    ]
    assert expand_pattern("(the|) spec") == ["the spec", "spec"]
    assert expand_pattern("plain words") == ["plain words"]


def test_the_issue_sentence(extractor):
    found = values(
        extractor,
        "the CFO makes the final call, it's a new purchase for a 2000-person steel company",
    )
    assert found["role"] == {"decider"}
    assert found["purchase_situation"] == {"new_task"}
    assert found["company_size"] == {"large"}
    assert found["employees"] == {"2000"}
    assert found["sector"] == {"steel_metals"}
    assert found["job_title"] == {"cfo"}


@pytest.mark.parametrize(
    "text, role",
    [
        ("she makes the final call", "decider"),
        ("he writes the spec", "prescriber"),
        ("her assistant screens every email", "gatekeeper"),
        ("the operators will use it every day", "user"),
        ("procurement runs the tender", "buyer"),
    ],
)
def test_roles_from_behaviour(extractor, text, role):
    assert role in values(extractor, text)["role"]


@pytest.mark.parametrize(
    "text, role, not_role",
    [
        # "decides" about access is gatekeeping; the longer reading wins over "decides".
        ("his PA decides which vendors even get a slot in his diary", "gatekeeper", "decider"),
        ("she decides who is allowed to present to the board", "gatekeeper", "decider"),
        ("the md decides which supplier wins", "decider", "gatekeeper"),
        ("the receptionist vets any supplier call before it goes upstairs", "gatekeeper", None),
        ("the shift leads will be the ones running the new press", "user", None),
    ],
)
def test_gatekeeping_and_use_from_what_people_do(extractor, text, role, not_role):
    found = values(extractor, text).get("role", set())
    assert role in found
    assert not_role not in found


@pytest.mark.parametrize(
    "text, position",
    [
        ("we've hosted their webshop since 2018", "incumbent"),
        ("they're renewing our service deal for another year", "incumbent"),
        ("they lease their pallet wrappers from us", "incumbent"),
        ("their current payroll provider keeps getting it wrong", "challenger"),
        ("they want to switch their telecom provider", "challenger"),
        ("their present supplier, which is us, wants a price rise", "incumbent"),
    ],
)
def test_supplier_position_from_what_is_going_on(extractor, text, position):
    assert values(extractor, text)["supplier_position"] == {position}


@pytest.mark.parametrize(
    "text, stage",
    [
        ("they only just spotted that the old chillers can't cope", "need"),
        ("no one has contacted a single vendor so far", "need"),
        ("the quality lead is writing up what the new line must do", "specification"),
        ("it's us versus one other, they choose by the end of the month", "decision"),
        ("the quote is sitting with the CFO waiting for sign-off", "decision"),
        ("the framework agreement is being hammered out by both legal teams", "negotiation"),
    ],
)
def test_stage_from_what_is_happening(extractor, text, stage):
    assert values(extractor, text)["buying_stage"] == {stage}


def test_a_stage_phrase_holding_a_title_keeps_its_reading(extractor):
    found = values(extractor, "we're waiting on the CEO's signature")
    assert found["buying_stage"] == {"decision"}
    assert found["job_title"] == {"ceo"}
    # ... while a title's own words are no stage: a purchasing manager is no purchase.
    assert "buying_stage" not in values(extractor, "the purchasing manager called")


def test_several_roles_in_one_sentence(extractor):
    found = values(extractor, "the CFO makes the final call and the IT dir writes the spec")
    assert {"decider", "prescriber"} <= found["role"]


def test_a_job_title_alone_is_not_a_role(extractor):
    # The contract: "Petra is the CFO" has the title, no role (the interview may
    # still assume the title's usual role when it stores Petra).
    assert "role" not in values(extractor, "Petra is the CFO")
    found = values(extractor, "the CFO is only an advisor on this one")
    assert found["role"] == {"influencer"}
    assert found["job_title"] == {"cfo"}


def test_employee_count_gives_size(extractor):
    assert values(extractor, "they have about 150 people")["company_size"] == {"medium"}
    assert values(extractor, "2k staff")["company_size"] == {"large"}
    assert values(extractor, "a 20 person firm")["company_size"] == {"small"}


def test_typo_in_a_long_word_is_forgiven(extractor):
    assert values(extractor, "they are negotiatign the contract")["buying_stage"] == {"negotiation"}


def test_capitalised_name_is_not_spell_corrected(extractor):
    # "Steele" is one edit from "steel" but, capitalised mid-sentence, it is a name.
    assert "sector" not in values(extractor, "I met Mark Steele yesterday")


def test_curly_apostrophes_are_read_as_straight_ones(extractor):
    assert values(extractor, "it\u2019s a new purchase")["purchase_situation"] == {"new_task"}


def test_concepts_named_in_a_question(extractor):
    assert values(extractor, "what is a buying centre?")["concept"] == {"buying_centre"}
    assert values(extractor, "what does derived demand mean")["concept"] == {"derived_demand"}
    # A concept another entity already names comes through that entity only.
    found = values(extractor, "explain a modified rebuy")
    assert found == {"purchase_situation": {"modified_rebuy"}}


def test_spans_point_into_the_original_text(extractor):
    text = "Jan from procurement runs the tender"
    for entity in extractor.extract(text):
        assert text[entity.start : entity.end] == entity.text


def test_nothing_from_unrelated_text(extractor):
    found = values(extractor, "what's the weather like in Paris tomorrow")
    assert not (found.keys() - {"concept"})


def test_rule_table_round_trips_through_json(kb):
    table = RuleTable.from_knowledge(kb)
    again = RuleTable.from_json(table.to_json())
    assert again == table and again.fingerprint() == table.fingerprint()
    text = "new purchase, 300 employees, steelworks"
    assert EntityExtractor(again).extract(text) == EntityExtractor(table).extract(text)


def test_negation_marks_the_denied_value_only(extractor):
    roles = {
        (e.value, e.negated)
        for e in extractor.extract("no, Jan is the buyer, not the decider")
        if e.entity == "role"
    }
    assert roles == {("buyer", False), ("decider", True)}


def test_negated_role_and_a_stated_one_in_one_message(extractor):
    found = {
        (e.entity, e.value, e.negated)
        for e in extractor.extract("Eva doesn't use it, the operators will use it daily")
    }
    assert ("role", "user", True) in found
    assert ("role", "user", False) in found


def test_negated_fact(extractor):
    (situation,) = [
        e for e in extractor.extract("it's not a new purchase") if e.entity == "purchase_situation"
    ]
    assert situation.value == "new_task" and situation.negated


def test_a_negated_title_implies_no_role(extractor):
    found = {(e.entity, e.value) for e in extractor.extract("Milos is the controller, not the cfo")}
    assert ("role", "decider") not in found
    assert ("job_title", "cfo") in found


def test_a_job_title_overrides_a_purchase_situation_in_its_words(extractor):
    found = {(e.entity, e.value) for e in extractor.extract("Chiamaka is the new project manager")}
    assert found == {("job_title", "project_manager")}
    assert ("purchase_situation", "new_task") in {
        (e.entity, e.value) for e in extractor.extract("it's a new project for them")
    }
