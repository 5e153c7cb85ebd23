"""JSON schemas for the YAML files in ``knowledge/``.

One schema per kind of file. ``dealcoach.knowledge_base.loader`` validates every file against
its schema before it checks the cross-references between files.
"""

from typing import Any, Dict

from dealcoach.knowledge_base.languages import LANGUAGES, shown, understood
from dealcoach.knowledge_base.vocabulary import PER_PERSON_FACTS

#: What kind of source each is, in the order advice cites them (research first), and
#: how it is marked where it is cited (research and law need no mark).
SOURCE_KINDS = {
    "research": "",
    "law": "",
    "industry": "industry research",
    "practitioner": "practitioner framework",
    "teaching": "teaching source",
}

_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 1}
#: One word, lower case, as a message is split into words.
_WORD = {"type": "string", "pattern": "^[a-z'\u00e0-\u00ff]+$"}
_ID_LIST = {"type": "array", "items": _ID, "uniqueItems": True}
#: A text the salesperson sees, written in every language (``languages.py``).
_SHOWN = shown(_TEXT)

SOURCES: Dict[str, Any] = {
    "type": "object",
    "required": ["sources"],
    "additionalProperties": False,
    "properties": {
        "sources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "short", "kind", "citation"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "short": _TEXT,
                    "citation": _TEXT,
                    "kind": {"enum": list(SOURCE_KINDS)},
                    "secondary": {"type": "boolean"},
                    "note": _TEXT,
                },
            },
        }
    },
}

CONCEPTS: Dict[str, Any] = {
    "type": "object",
    "required": ["topic", "concepts"],
    "additionalProperties": False,
    "properties": {
        "topic": _ID,
        "concepts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "name",
                    "aliases",
                    "definition",
                    "explanation",
                    "for_the_salesperson",
                    "example",
                    "sources",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "name": _SHOWN,
                    "aliases": understood({"type": "array", "minItems": 1, "items": _TEXT}),
                    "definition": _SHOWN,
                    "explanation": _SHOWN,
                    "for_the_salesperson": {"type": "array", "minItems": 1, "items": _SHOWN},
                    "example": _SHOWN,
                    "sources": {**_ID_LIST, "minItems": 1},
                    "related": _ID_LIST,
                    "buyphases": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1, "maximum": 8},
                    },
                },
            },
        },
    },
}

ENTITIES: Dict[str, Any] = {
    "type": "object",
    "required": ["entity", "values"],
    "additionalProperties": False,
    "properties": {
        "entity": _ID,
        "values": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "patterns"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "name": _SHOWN,
                    "concept": _ID,
                    "implies_role": _ID,
                    "family": _ID,
                    "min_employees": {"type": "integer", "minimum": 0},
                    "max_employees": {"type": "integer", "minimum": 0},
                    "patterns": {"type": "array", "items": _TEXT},
                },
            },
        },
    },
}

_WORDS = understood({"type": "array", "minItems": 1, "items": _TEXT, "uniqueItems": True})
INTERVIEW: Dict[str, Any] = {
    "type": "object",
    "required": ["questions"],
    "additionalProperties": False,
    "properties": {
        "yes_no": {
            "type": "object",
            "required": ["yes", "no", "unsure"],
            "additionalProperties": False,
            "properties": {"yes": _WORDS, "no": _WORDS, "unsure": _WORDS},
        },
        "groups": {
            "type": "object",
            "required": ["words", "not_groups"],
            "additionalProperties": False,
            "properties": {"words": _WORDS, "not_groups": _WORDS},
        },
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "ask"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "pattern": "^[a-z_]+(:[a-z_]+)?$"},
                    "entity": _ID,
                    "role": _ID,
                    "per_person": {"enum": list(PER_PERSON_FACTS)},
                    "ask": _SHOWN,
                    "buttons": _ID_LIST,
                    "yes": _ID,
                    "no": _ID,
                    "only_if": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": _ID},
                    },
                },
                "oneOf": [
                    {"required": ["entity"]},
                    {"required": ["role"]},
                    {"required": ["per_person"]},
                ],
            },
        },
    },
}

_VALUES = {"type": "array", "minItems": 1, "items": _ID, "uniqueItems": True}
_COUNT = {"type": "integer", "minimum": 0}

#: Conditions on a deal (see ``dealcoach.coaching.conditions``), shared by advice and risk flags.
WHEN: Dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        **{
            key: _VALUES
            for key in (
                "sector",
                "sector_family",
                "company_size",
                "purchase_situation",
                "supplier_position",
                "buying_stage",
                "perceived_risk",
                "missing_role",
                "has_role",
                "confirmed_role",
                "assumed_role",
                "unmet_role",
                "met_role",
                "nobody_met",
                "stance_present",
                "stance_absent",
            )
        },  # fmt: skip
        "stakeholders_min": _COUNT,
        "stakeholders_max": _COUNT,
    },
}

ADVICE: Dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id", "when", "advice", "because", "asserts", "priority", "concept"
                ],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "when": WHEN,
                    "advice": _SHOWN,
                    "because": _SHOWN,
                    # What ``because`` states about the deal: ids of knowledge/claims.yml.
                    "asserts": _ID_LIST,
                    # Claims (knowledge/claims.yml) that keep the rule silent when true.
                    "unless": _ID_LIST,
                    "priority": {"type": "integer", "minimum": 1, "maximum": 100},
                    "concept": _ID,
                },
            },
        }
    },
}  # fmt: skip

#: What an advice text may state about a deal, and the conditions under which it is true.
CLAIMS: Dict[str, Any] = {
    "type": "object",
    "required": ["claims"],
    "additionalProperties": False,
    "properties": {
        "claims": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "says", "true_when"],
                "additionalProperties": False,
                "properties": {"id": _ID, "says": _SHOWN, "true_when": WHEN},
            },
        }
    },
}

RISK_FLAGS: Dict[str, Any] = {
    "type": "object",
    "required": ["flags"],
    "additionalProperties": False,
    "properties": {
        "flags": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "when", "flag", "severity", "concept"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "when": WHEN,
                    "flag": _SHOWN,
                    "severity": {"type": "integer", "minimum": 1, "maximum": 5},
                    "concept": _ID,
                },
            },
        }
    },
}

QUIZ: Dict[str, Any] = {
    "type": "object",
    "required": ["questions"],
    "additionalProperties": False,
    "properties": {
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "concept", "question", "choices", "answer", "explanation"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "concept": _ID,
                    "question": _SHOWN,
                    "choices": {**_ID_LIST, "minItems": 2, "maxItems": 4},
                    "answer": _ID,
                    "explanation": _SHOWN,
                },
            },
        }
    },
}


_PHRASES = {"type": "array", "items": _TEXT, "uniqueItems": True}
NAMES: Dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "legal_forms": _PHRASES,
        "group_words": _PHRASES,
        "company_before": _PHRASES,
        "company_after": _PHRASES,
        "person_after": _PHRASES,
    },
}


#: The web page's own words (knowledge/web_page.yml): sign-in sentences, panel labels.
WEB_PAGE: Dict[str, Any] = {
    "type": "object",
    "required": ["sign_in", "panel", "print_words", "brief_words"],
    "additionalProperties": False,
    "properties": {
        "sign_in": {
            "type": "object",
            "required": ["again", "expired"],
            "additionalProperties": False,
            "properties": {"again": _SHOWN, "expired": _SHOWN},
        },
        "panel": {"type": "object", "additionalProperties": _SHOWN},
        "print_words": understood({"type": "array", "items": _TEXT, "minItems": 1}),
        "brief_words": understood({"type": "array", "items": _TEXT, "minItems": 1}),
    },
}


#: The representative deals (knowledge/advice/deals/*.yml): deals a trainer would
#: recognise, with the advice each must get and must never get.
REPRESENTATIVE_DEALS: Dict[str, Any] = {
    "type": "object",
    "required": ["deals"],
    "additionalProperties": False,
    "properties": {
        "deals": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "company", "about", "facts", "gives", "never"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "company": _TEXT,
                    "about": _SHOWN,
                    "facts": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "sector": _ID,
                            "employees": {"type": "integer", "minimum": 1},
                            "company_size": _ID,
                            "purchase_situation": _ID,
                            "supplier_position": _ID,
                            "buying_stage": _ID,
                            "perceived_risk": _ID,
                        },
                    },
                    "people": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "additionalProperties": False,
                            "properties": {
                                "name": _TEXT,
                                "title": _TEXT,
                                "named": {"type": "boolean"},
                                "roles": _ID_LIST,
                                "assumed": _ID_LIST,
                                "stance": _ID,
                                "met": {"type": "boolean"},
                            },
                        },
                    },
                    # Rules that must be among the advice given (the top three).
                    "gives": {**_ID_LIST, "maxItems": 3},
                    # Rules that must fire on this deal, given or not.
                    "fires": _ID_LIST,
                    # Rules that must not fire on this deal at all.
                    "never": _ID_LIST,
                },
            },
        }
    },
}


def _per_language(item: Dict[str, Any]) -> Dict[str, Any]:
    """One ``item`` for each language, keyed by its code (not a translation: each
    language's own words)."""
    return {
        "type": "object",
        "required": list(LANGUAGES),
        "additionalProperties": False,
        "properties": {language: item for language in LANGUAGES},
    }


#: How the salesperson's language is told (knowledge/languages.yml).
LANGUAGE_CUES: Dict[str, Any] = {
    "type": "object",
    "required": ["function_words", "name_particles", "switch"],
    "additionalProperties": False,
    "properties": {
        "function_words": _per_language(
            {"type": "array", "minItems": 1, "items": _WORD, "uniqueItems": True}
        ),
        "name_particles": {"type": "array", "items": _WORD, "uniqueItems": True},
        "switch": _per_language(_PHRASES),
    },
}

#: The coach's own words (knowledge/phrases.yml): id -> a text in every language.
PHRASES: Dict[str, Any] = {
    "type": "object",
    "required": ["phrases"],
    "additionalProperties": False,
    "properties": {
        "phrases": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": _SHOWN,
        }
    },
}
