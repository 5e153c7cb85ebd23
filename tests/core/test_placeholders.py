"""Every {placeholder} of a text is one its code fills in, checked when the text is loaded:
advice rules, interview questions, the rest of the knowledge base (none) and the
domain.yml responses (the values the actions give each). A wrong one stops the load
with the file, the field and the placeholder."""

import shutil

import pytest
import yaml

from dealcoach.coaching.advice import _placeholders
from dealcoach.deals.deal import Deal
from dealcoach.knowledge_base.loader import KnowledgeError, load_knowledge
from dealcoach.knowledge_base.placeholders import (
    PLACEHOLDERS,
    RESPONSE_VALUES,
    PlaceholderError,
    check_responses,
    fill_all,
)
from tests.conftest import ROOT


def test_the_repositorys_domain_passes():
    check_responses(ROOT / "domain.yml")


@pytest.fixture
def domain(tmp_path):
    path = tmp_path / "domain.yml"
    shutil.copy(ROOT / "domain.yml", path)

    def edit(response, text):
        data = yaml.safe_load(path.read_text())
        data["responses"][response] = [{"text": text}]
        path.write_text(yaml.safe_dump(data))
        return path

    return edit


@pytest.mark.parametrize(
    "response, text, placeholder",
    [
        # A misspelt value: Rasa would send "{compnay}" as it is.
        ("utter_no_such_deal", "You have no deal called {compnay}.", "{compnay}"),
        # A response uttered by a rule is given no value at all.
        ("utter_greet", "Hi! Tell me about {company}.", "{company}"),
        ("utter_confirm_delete", "Delete {company}? {name} will know.", "{name}"),
    ],
)
def test_a_response_placeholder_the_actions_do_not_fill_stops_the_load(
    domain, response, text, placeholder
):
    path = domain(response, text)
    with pytest.raises(PlaceholderError) as error:
        check_responses(path)
    assert (error.value.file, error.value.field, error.value.placeholder) == (
        str(path),
        f"responses.{response}[0].text",
        placeholder,
    )
    assert f"unknown placeholder {placeholder}" in str(error.value)


def test_a_brace_that_is_no_placeholder_stops_the_load(domain):
    path = domain("utter_help", "Say {stop to end.")
    with pytest.raises(PlaceholderError, match="part of no placeholder would be shown"):
        check_responses(path)


def test_every_response_the_actions_fill_exists(domain, tmp_path):
    data = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert set(RESPONSE_VALUES) <= set(data["responses"])
    del data["responses"]["utter_paused"]
    path = tmp_path / "domain.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="responses.utter_paused: no such response"):
        check_responses(path)


def test_a_question_naming_a_person_it_is_not_about_stops_the_load(broken_kb):
    root, edit = broken_kb
    path = edit(
        "interview.yml",
        lambda d: d["questions"][0].update(
            ask={
                "en": "Does {name} know which sector {company} is in?",
                "nl": "Weet {name} in welke sector {company} zit?",
            }
        ),
    )
    key = yaml.safe_load(path.read_text())["questions"][0]["key"]
    with pytest.raises(KnowledgeError, match=r"unknown placeholder \{name\}") as error:
        load_knowledge(root)
    assert (error.value.file, error.value.field) == (str(path), f"questions.{key}.ask")


def test_a_question_about_one_person_may_name_them(kb):
    per_person = [q for q in kb.questions if q.per_person]
    assert per_person and any("{name}" in q.ask for q in per_person)


def test_a_placeholder_in_a_text_shown_as_written_stops_the_load(broken_kb):
    root, edit = broken_kb
    path = edit(
        "concepts/buying_centre.yml",
        lambda d: d["concepts"][0].update(
            definition={
                "en": "Everyone at {company} who decides.",
                "nl": "Iedereen bij {company} die beslist.",
            }
        ),
    )
    with pytest.raises(KnowledgeError, match=r"unknown placeholder \{company\}") as error:
        load_knowledge(root)
    assert (error.value.file, error.value.field) == (str(path), "concepts[0].definition.en")


def test_advice_fills_every_placeholder_the_loader_allows(kb):
    # What the loader allows in advice texts is exactly what the advice engine fills.
    assert set(_placeholders(kb, Deal(owner="rest:anna", company="Acme"))) == set(PLACEHOLDERS)


def test_fill_all_refuses_to_leave_a_placeholder():
    assert fill_all("Call {decider} at {company}.", {"decider": "Petra", "company": "Acme"}) == (
        "Call Petra at Acme."
    )
    with pytest.raises(ValueError, match=r"no value for \{company\}"):
        fill_all("Call {decider} at {company}.", {"decider": "Petra"})
    # A value is inserted as it is, braces and all: it is not read as a template.
    assert fill_all("New deal: {company}.", {"company": "{x}"}) == "New deal: {x}."
