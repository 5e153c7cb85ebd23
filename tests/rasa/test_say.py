"""The actions utter domain.yml responses only through ``actions.shared.say``, which sends
exactly the values a response's placeholders take, or refuses (a raw ``{company}``
otherwise reaches the salesperson: Rasa leaves a placeholder it has no value for)."""

import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import say
from tests.conftest import ROOT


def test_a_response_goes_out_with_its_values():
    dispatcher = CollectingDispatcher()
    say(dispatcher, "utter_no_such_deal", company="Zyxco")
    say(dispatcher, "utter_which_client")
    assert [(m["response"], m.get("company")) for m in dispatcher.messages] == [
        ("utter_no_such_deal", "Zyxco"),
        ("utter_which_client", None),
    ]


@pytest.mark.parametrize(
    "response, values",
    [
        ("utter_no_such_deal", {}),  # the bug of issue 14: sent without its company
        ("utter_no_such_deal", {"company": None}),
        ("utter_no_such_deal", {"company": ""}),
        ("utter_which_client", {"company": "Zyxco"}),  # a value its text does not take
        ("utter_check_fact", {"fact": "sector"}),
    ],
)
def test_a_response_without_exactly_its_values_is_refused(response, values):
    dispatcher = CollectingDispatcher()
    with pytest.raises(ValueError, match=response):
        say(dispatcher, response, **values)
    assert dispatcher.messages == []


def test_every_action_utters_responses_through_say():
    # The coach names the responses; the actions send them, through say only.
    for path in [
        *sorted((ROOT / "actions").glob("*.py")),
        ROOT / "dealcoach" / "serving" / "coach.py",
    ]:
        text = path.read_text()
        direct = re.findall(r"utter_message\(\s*response=", text)
        assert len(direct) == (1 if path.name == "shared.py" else 0), path  # say's own
        # Every response named in an action is one of domain.yml's.
        for name in set(re.findall(r'"(utter_\w+)"', text)) - {"utter_action"}:  # (metadata key)
            assert f"  {name}:" in (ROOT / "domain.yml").read_text(), (path, name)
