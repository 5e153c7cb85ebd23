"""The placeholders an advice text may use ({company}, {decider}, ...) and what each
stands for. The loader refuses a rule with any other placeholder; the advice engine
fills them from the deal; the trainer's page shows them in words."""

from __future__ import annotations

import re
from typing import Dict, List

from dealcoach.deal import DEAL_FACTS

#: Placeholders naming people of the buying centre: the holders of the role, by name
#: (or "the CFO" when only the title is known), else "the <role>".
ROLE_PLACEHOLDERS = ("decider", "gatekeeper", "buyer", "prescriber", "user", "initiator")

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

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders_in(text: str) -> List[str]:
    """The placeholder names a text uses, in order."""
    return _PLACEHOLDER.findall(text)


def fill(template: str, values: Dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (unknown ones left as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
