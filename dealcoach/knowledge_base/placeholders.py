"""The placeholders each kind of text may use, and the checks that hold them to it.

A text with a placeholder its code does not fill in reaches the salesperson as it is:
Rasa leaves ``{company}`` in a response it was not given a company for, and says so
only in its log. So every template is checked when it is loaded against what its code
fills in, and the code fills templates only through ``fill_all``, which refuses to
leave one unfilled:

* advice texts (``knowledge/advice/``): ``PLACEHOLDERS``, filled from the deal by
  ``dealcoach.coaching.advice``; the trainer's page shows them in words;
* interview questions (``knowledge/interview.yml``): ``INTERVIEW_PLACEHOLDERS``, and
  ``{name}`` in a question about one person (``PERSON_PLACEHOLDERS``);
* domain.yml responses: ``RESPONSE_VALUES``, the values the actions give each one
  (``actions.shared.say`` sends exactly these, no more, no fewer);
* every other text of the knowledge base: none, and no brace at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Collection, Dict, Iterator, List, Tuple

import yaml

from dealcoach.knowledge_base.vocabulary import DEAL_FACTS, ROLES

#: Placeholders naming people of the buying centre: the holders of the role, by name
#: (or "the CFO" when only the title is known), else "the <role>". Every role.
ROLE_PLACEHOLDERS = ROLES

#: Placeholder -> what it stands for, in words (shown in brackets on the trainer's
#: page, where the name or value would be: "Get a meeting with [decider not met]").
PLACEHOLDERS: Dict[str, str] = {
    "company": "client",
    "contact": "first contact",
    **{role: role for role in ROLE_PLACEHOLDERS},
    "unmet_decider": "decider not met",
    "met_prescriber": "prescriber met",
    "opponent": "opponent",
    "supporter": "supporter",
    "champion": "champion",
    **{fact: fact.replace("_", " ") for fact in DEAL_FACTS},
}

#: What every interview question may name; a question about one person (``per_person``)
#: may name that person too.
INTERVIEW_PLACEHOLDERS = ("company",)
PERSON_PLACEHOLDERS = ("company", "name")

#: domain.yml response -> the values the actions give it. A response not listed here is
#: given none (Rasa's rules utter most of them), so it may use no placeholder.
RESPONSE_VALUES: Dict[str, Tuple[str, ...]] = {
    "utter_review_started": ("company",),
    "utter_review_resumed": ("company",),
    "utter_no_such_deal": ("company",),
    "utter_update_not_understood": ("company",),
    "utter_confirm_delete": ("company",),
    "utter_review_complete": ("company",),
    "utter_paused": ("company",),
    "utter_check_fact": ("fact", "value"),
    "utter_check_denied": ("value",),
    "utter_question_deferred": ("topic",),
    "utter_question_left_open": ("topic",),
}


def check_response_values(response: str, values: Dict[str, Any]) -> None:
    """``ValueError`` unless ``values`` are exactly those ``RESPONSE_VALUES`` lists for
    the response, none empty: Rasa would send a missing one as a raw ``{company}``."""
    expected = set(RESPONSE_VALUES.get(response, ()))
    given = {name for name, value in values.items() if value is not None and value != ""}
    if given != expected or len(values) != len(given):
        raise ValueError(
            f"{response} takes {sorted(expected) or 'no values'}, was given {values!r}"
        )


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PlaceholderError(ValueError):
    """A text uses a placeholder its code does not fill in (or a brace that is none)."""

    def __init__(
        self, file: Path | str, field: str, placeholder: str, allowed: Collection[str]
    ) -> None:
        self.file, self.field, self.placeholder = str(file), field, placeholder
        super().__init__(f"{self.file}: {field}: {problem(placeholder, allowed)}")


def problem(placeholder: str, allowed: Collection[str]) -> str:
    """What is wrong with ``placeholder`` (found by ``unfilled``) in a text allowing
    ``allowed``, in words."""
    filled = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
    if _PLACEHOLDER.fullmatch(placeholder):
        return f"unknown placeholder {placeholder} (filled in here: {filled})"
    return f"a {placeholder!r} that is part of no placeholder would be shown as it is"


def placeholders_in(text: str) -> List[str]:
    """The placeholder names a text uses, in order."""
    return _PLACEHOLDER.findall(text)


def fill(template: str, values: Dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (unknown ones left as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def fill_all(template: str, values: Dict[str, str]) -> str:
    """The text with every placeholder replaced; a ValueError if one has no value
    (which the load-time checks rule out for the texts in the repository)."""
    missing = [name for name in placeholders_in(template) if values.get(name) is None]
    if missing:
        raise ValueError(f"no value for {{{missing[0]}}} in {template!r}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def unfilled(text: str, allowed: Collection[str]) -> List[str]:
    """What in ``text`` would reach a reader as a raw brace: each placeholder not in
    ``allowed`` (as ``{name}``), and each ``{`` or ``}`` that is part of no placeholder."""
    found = [f"{{{name}}}" for name in placeholders_in(text) if name not in allowed]
    stray = _PLACEHOLDER.sub("", text)
    found += [brace for brace in stray if brace in "{}"][:1]
    return found


def check_text(file: Path | str, field: str, text: str, allowed: Collection[str]) -> None:
    """Raise ``PlaceholderError`` naming file, field and placeholder if ``text`` uses
    anything but ``allowed``."""
    for bad in unfilled(text, allowed):
        raise PlaceholderError(file, field, bad, allowed)


def check_responses(domain_file: Path | str) -> None:
    """Every response of a domain file uses only the values the actions give it."""
    data = yaml.safe_load(Path(domain_file).read_text(encoding="utf-8")) or {}
    responses: Dict[str, Any] = data.get("responses") or {}
    for name in RESPONSE_VALUES:
        if name not in responses:
            # The table names a response the domain lost: the table is out of date.
            raise ValueError(f"{domain_file}: responses.{name}: no such response")
    for name, variants in responses.items():
        allowed = RESPONSE_VALUES.get(name, ())
        for field, text in _texts(variants, f"responses.{name}"):
            if not field.endswith(".payload"):  # (an intent and its JSON, never shown)
                check_text(domain_file, field, text, allowed)


def _texts(value: Any, field: str) -> Iterator[Tuple[str, str]]:
    """Every string inside ``value`` with where it is (``a.b[0].c``)."""
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{field}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, f"{field}[{i}]")


def strings_of(value: Any, field: str = "") -> Iterator[Tuple[str, str]]:
    """Every string in parsed YAML, with its field path (for the knowledge checks)."""
    for where, text in _texts(value, field):
        yield where.lstrip("."), text
