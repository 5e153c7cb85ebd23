"""Load and validate the knowledge base in ``knowledge/``.

The knowledge base is the single source of truth for what the bot understands
(entity values and their surface forms) and what it teaches (concepts and their
sources). Every file is checked against its JSON schema, then the references
between files are checked; any problem raises ``KnowledgeError`` naming the file
and the field.

Layout::

    knowledge/sources.yml        the references every concept cites
    knowledge/concepts/*.yml     one file per topic: the concepts of the model
    knowledge/entities/*.yml     one file per entity type: canonical values and patterns
    knowledge/interview.yml      the deal review's questions, in the order they are asked
    knowledge/advice/*.yml       advice rules: conditions on a deal's facts, advice, reason
    knowledge/advice/deals/*.yml representative deals the rules are checked on (loaded by
                                 ``dealcoach.coaching.representative``, not at run time)
    knowledge/claims.yml         what an advice's reason may state about a deal, and when
                                 that is true (each rule lists the claims its reason makes)
    knowledge/risk_flags.yml     warning signs on a deal, for briefs and deal lists
    knowledge/quiz/*.yml         quiz questions set in situations (choices are concepts)
    knowledge/names.yml          cues that tell a client company from a person
    knowledge/phrases.yml        the coach's own words around those texts ("Noted: ...")
    knowledge/languages.yml      how the salesperson's language is told and asked for
    knowledge/web_page.yml       the web page's own words: sign-in sentences, panel labels

Every text a salesperson sees is written in every language (``languages.py`` gives the
shape: ``{en: ..., nl: ...}``); a text missing a language, or naming other placeholders
in one language than in another, stops the load with the file and field named.
``load_knowledge`` returns the English view; ``KnowledgeBase.in_language`` the others.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import jsonschema
import yaml

from dealcoach import settings
from dealcoach.knowledge_base import schemas
from dealcoach.knowledge_base.languages import (
    BILINGUAL,
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    SHOWN,
    bilingual_nodes,
    in_language,
)
from dealcoach.knowledge_base.placeholders import (
    INTERVIEW_PLACEHOLDERS,
    PERSON_PLACEHOLDERS,
    PLACEHOLDERS,
    fill_all,
    placeholders_in,
    problem,
    strings_of,
    unfilled,
)
from dealcoach.knowledge_base.vocabulary import (
    CONDITION_VALUES,
    COUNT_CONDITIONS,
    UNKNOWN,
    vocabulary_problems,
)

#: The knowledge folder of this checkout; ``DEALCOACH_KNOWLEDGE`` overrides it.
DEFAULT_KNOWLEDGE_DIR = settings.ROOT / settings.default("knowledge")


class KnowledgeError(ValueError):
    """A knowledge file is malformed or refers to something that does not exist."""

    def __init__(self, file: Path | str, field_path: str, message: str) -> None:
        self.file = str(file)
        self.field = field_path
        self.message = message
        super().__init__(f"{self.file}: {field_path}: {message}")


@dataclass(frozen=True)
class Source:
    id: str
    short: str
    citation: str
    #: research, law, industry, practitioner or teaching (``schemas.SOURCE_KINDS``).
    kind: str
    secondary: bool = False
    note: str | None = None

    @property
    def cited(self) -> str:
        """How the source is named where it is cited: its short name, what kind of
        source it is unless research or law, and "secondary" when it was seen only in
        summaries ("Gartner 2019, industry research, secondary")."""
        marks = [schemas.SOURCE_KINDS[self.kind]] + (["secondary"] if self.secondary else [])
        return ", ".join([self.short, *(m for m in marks if m)])

    @property
    def rank(self) -> Tuple[int, bool]:
        """Sort key: research before law, industry, practitioner and teaching sources;
        sources read in full before those seen only in summaries."""
        return list(schemas.SOURCE_KINDS).index(self.kind), self.secondary


@dataclass(frozen=True)
class Concept:
    id: str
    topic: str
    name: str
    aliases: Tuple[str, ...]
    definition: str
    explanation: str
    for_the_salesperson: Tuple[str, ...]
    example: str
    sources: Tuple[str, ...]
    related: Tuple[str, ...] = ()
    buyphases: Tuple[int, ...] = ()
    file: str = ""


@dataclass(frozen=True)
class NameCues:
    """The cue words of ``knowledge/names.yml``."""

    legal_forms: Tuple[str, ...] = ()
    group_words: Tuple[str, ...] = ()
    company_before: Tuple[str, ...] = ()
    company_after: Tuple[str, ...] = ()
    person_after: Tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: Dict[str, Sequence[str]]) -> NameCues:
        return cls(**{key: tuple(raw.get(key, ())) for key in cls.__dataclass_fields__})

    def as_dict(self) -> Dict[str, List[str]]:
        return {key: list(getattr(self, key)) for key in self.__dataclass_fields__}


@dataclass(frozen=True)
class LanguageCues:
    """How the salesperson's language is told (``knowledge/languages.yml``)."""

    #: Language -> words common in its chat and not in the other languages'.
    function_words: Dict[str, frozenset] = field(default_factory=dict)
    #: Particles that, before a capitalised word, belong to a name ("van der Berg").
    name_particles: frozenset = frozenset()
    #: Language -> phrases asking for it ("in het Nederlands", "English please").
    switch: Dict[str, Tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class EntityValue:
    id: str
    patterns: Tuple[str, ...]
    name: str | None = None
    concept: str | None = None
    implies_role: str | None = None
    min_employees: int | None = None
    max_employees: int | None = None
    #: For sectors: the family (public, regulated, commercial) that conditions can test.
    family: str | None = None


@dataclass(frozen=True)
class EntityType:
    name: str
    values: Dict[str, EntityValue]
    file: str


@dataclass(frozen=True)
class Question:
    """One question of the deal review (``knowledge/interview.yml``)."""

    key: str
    ask: str
    entity: str | None = None
    role: str | None = None
    per_person: str | None = None
    buttons: Tuple[str, ...] = ()
    only_if: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: The values a plain yes and a plain no give (a yes/no question), else None.
    yes: str | None = None
    no: str | None = None


@dataclass(frozen=True)
class AdviceRule:
    """One advice rule (``knowledge/advice/*.yml``): when the deal matches, advise, because."""

    id: str
    when: Tuple[Tuple[str, Any], ...]
    advice: str
    because: str
    priority: int
    concept: str
    #: The claims (``knowledge/claims.yml``) that ``because`` makes about the deal.
    asserts: Tuple[str, ...] = ()
    #: Claims that keep the rule silent when one of them is true ("a public tender is
    #: under way": no private meetings with the evaluators).
    unless: Tuple[str, ...] = ()
    file: str = ""


@dataclass(frozen=True)
class Claim:
    """Something an advice's reason states about the deal ("nobody who writes the
    specification has been met"), and the conditions under which that is true."""

    id: str
    says: str
    true_when: Tuple[Tuple[str, Any], ...]


@dataclass(frozen=True)
class RiskFlag:
    """A warning sign on a deal (``knowledge/risk_flags.yml``), shown in briefs and lists."""

    id: str
    when: Tuple[Tuple[str, Any], ...]
    flag: str
    severity: int
    concept: str


@dataclass(frozen=True)
class Scenario:
    """A quiz question set in a situation (``knowledge/quiz/*.yml``); choices are concepts."""

    id: str
    concept: str
    question: str
    choices: Tuple[str, ...]
    answer: str
    explanation: str


@dataclass(frozen=True)
class WebTexts:
    """The web page's own words (``knowledge/web_page.yml``)."""

    sign_in_again: str = ""
    sign_in_expired: str = ""
    #: The deal panel's headings and labels, sent to the page with every panel.
    panel: Dict[str, str] = field(default_factory=dict)
    #: A message with one of the ``print_words`` and one of the ``brief_words`` asks
    #: for the brief on paper.
    print_words: Tuple[str, ...] = ()
    brief_words: Tuple[str, ...] = ()


#: The labels the deal panel needs: a knowledge base without one of them does not load.
PANEL_LABELS = (
    "panel", "facts", "sector", "company_size", "employees", "purchase_situation",
    "supplier_position", "buying_stage", "perceived_risk", "unknown", "changed",
    "stage_reached", "stage_current", "map", "empty_seat", "no_role", "stance_unknown",
    "met", "not_met", "met_unknown", "assumed", "flags", "no_flags", "actions", "because",
    "deals", "stage_unknown", "updated", "open_deal", "print", "quiz", "quiz_scores",
    "quiz_topics",
)  # fmt: skip


def load_web_texts(root: Path | str | None = None, language: str = DEFAULT_LANGUAGE) -> WebTexts:
    """``knowledge/web_page.yml`` alone, in ``language``: the Rasa server's web channel
    needs its sign-in sentences without loading the whole knowledge base."""
    path = knowledge_dir(root) / "web_page.yml"
    raw = read_yaml(path, schemas.WEB_PAGE, language)
    missing = [key for key in PANEL_LABELS if key not in raw["panel"]]
    if missing:
        raise KnowledgeError(path, "panel", f"labels missing: {', '.join(missing)}")
    return WebTexts(
        sign_in_again=raw["sign_in"]["again"],
        sign_in_expired=raw["sign_in"]["expired"],
        panel=dict(raw["panel"]),
        print_words=tuple(w.lower() for w in raw["print_words"]),
        brief_words=tuple(w.lower() for w in raw["brief_words"]),
    )


@dataclass
class KnowledgeBase:
    root: Path
    sources: Dict[str, Source] = field(default_factory=dict)
    concepts: Dict[str, Concept] = field(default_factory=dict)
    entities: Dict[str, EntityType] = field(default_factory=dict)
    questions: List[Question] = field(default_factory=list)
    #: Opening words of a reply that answer a yes/no question: "yes", "no", "unsure".
    yes_no: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    #: Words of a reply naming a group of people ("words") and plurals that name
    #: none ("not_groups"): knowledge/interview.yml ``groups``.
    groups: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    rules: Dict[str, AdviceRule] = field(default_factory=dict)
    claims: Dict[str, Claim] = field(default_factory=dict)
    flags: Dict[str, RiskFlag] = field(default_factory=dict)
    scenarios: Dict[str, Scenario] = field(default_factory=dict)
    name_cues: NameCues = field(default_factory=NameCues)
    web: WebTexts = field(default_factory=WebTexts)
    language_cues: LanguageCues = field(default_factory=LanguageCues)
    #: The coach's own words in this view's language (``knowledge/phrases.yml``).
    phrases: Dict[str, str] = field(default_factory=dict)
    #: The language of this view's texts (``languages.LANGUAGES``).
    language: str = DEFAULT_LANGUAGE
    #: The same knowledge base in every language, this view included (``in_language``).
    views: Dict[str, KnowledgeBase] = field(default_factory=dict, repr=False, compare=False)

    def phrase(self, name: str, **values: object) -> str:
        """One of the coach's own phrases, its placeholders filled (``ValueError`` for
        one left without a value)."""
        return fill_all(self.phrases[name], {k: str(v) for k, v in values.items()})

    def fact_words(self, fact: str) -> str:
        """A deal fact in words, in this view's language ("buying stage", "aankoopfase")."""
        name = f"fact_{fact}"
        return self.phrase(name) if name in self.phrases else fact.replace("_", " ")

    def in_language(self, language: str) -> KnowledgeBase:
        """This knowledge base with its texts in ``language`` (itself for an unknown one)."""
        return self.views.get(language, self)

    def values(self, entity: str) -> List[str]:
        """The canonical ids of one entity type, in file order."""
        return list(self.entities[entity].values)

    def question(self, asking: str) -> Question | None:
        """The review question behind a deal's ``asking`` key ("met:Jan Smit" -> met)."""
        for key in (asking, asking.split(":", 1)[0]):
            for question in self.questions:
                if question.key == key:
                    return question
        return None

    def concepts_of_topic(self, topic: str) -> List[Concept]:
        return [c for c in self.concepts.values() if c.topic == topic]

    def label(self, entity: str, value: object) -> str:
        """A short human label for a canonical value: its ``name``, else its id in words."""
        known = self.entities.get(entity)
        if known and value in known.values and known.values[str(value)].name:
            return str(known.values[str(value)].name)
        return str(value).replace("_", " ")

    def implied_role(self, job_title: object) -> str | None:
        """The role a job title usually holds ("cfo" -> decider), or None."""
        titles = self.entities.get("job_title")
        value = titles.values.get(str(job_title)) if titles else None
        return value.implies_role if value else None

    def size_for(self, employees: int) -> str | None:
        """The ``company_size`` value whose band holds this employee count."""
        values = self.entities["company_size"].values.values()
        return size_band(((v.id, v.min_employees or 0, v.max_employees) for v in values), employees)

    def asked_roles(self) -> Tuple[str, ...]:
        """The roles the review asks who holds (``role:`` questions of interview.yml):
        the roles every deal should put a name against."""
        return tuple(q.role for q in self.questions if q.role)

    @property
    def sector_families(self) -> Dict[str, str]:
        """Sector -> its family ("public_sector" -> "public"), for ``sector_family`` conditions."""
        sectors = self.entities.get("sector")
        if sectors is None:
            return {}
        return {v.id: v.family for v in sectors.values.values() if v.family}


def size_band(bands: Iterable[Tuple[str, int, int | None]], employees: int) -> str | None:
    """The name of the band ``(name, min, max or None)`` that holds this employee count."""
    for name, low, high in bands:
        if employees >= low and (high is None or employees <= high):
            return name
    return None


def knowledge_dir(path: Path | str | None = None) -> Path:
    """The knowledge folder to use: the argument, ``DEALCOACH_KNOWLEDGE``, or the default."""
    if path is not None:
        return Path(path)
    return settings.path("knowledge")


def knowledge_files(root: Path | str | None = None) -> List[Path]:
    """Every YAML file of the knowledge base, in a stable order."""
    base = knowledge_dir(root)
    return sorted(p for p in base.rglob("*.yml") if p.is_file())


def fingerprint(root: Path | str | None = None) -> str:
    """A hash of the knowledge base's content (paths and bytes), for cache keys."""
    base = knowledge_dir(root)
    digest = hashlib.sha256()
    for path in knowledge_files(base):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_yaml(
    path: Path, schema: Dict[str, Any], language: str = DEFAULT_LANGUAGE
) -> Dict[str, Any]:
    """The file checked against its schema (every text in every language, with the
    same placeholders in each), as ``language`` sees it (``languages.in_language``)."""
    content = path.read_bytes()
    key = (str(path), content, id(schema))
    if key not in _CHECKED:
        if len(_CHECKED) > 256:
            _CHECKED.clear()
        _CHECKED[key] = _checked(path, content, schema)
    return in_language(schema, _CHECKED[key], language)


#: Files already parsed and checked, by (path, content, schema): the views of every
#: language read each file, and parsing and validating it once is enough.
_CHECKED: Dict[Tuple[str, bytes, int], Any] = {}


def _parse(path: Path, content: bytes) -> Any:
    try:
        return yaml.load(content.decode("utf-8"), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise KnowledgeError(path, "(file)", f"not valid YAML: {error}") from error


#: libyaml's loader where PyYAML has it (several times faster), else the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _checked(path: Path, content: bytes, schema: Dict[str, Any]) -> Any:
    """The file parsed and checked against its schema, both languages."""
    data = _parse(path, content)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = _field_path(error.absolute_path)
        raise KnowledgeError(path, where, _in_words(error))
    for where, kind, node in bilingual_nodes(schema, data):
        if kind == SHOWN:
            _check_same_placeholders(path, where, node)
    return data


def _in_words(error: jsonschema.ValidationError) -> str:
    """The schema's complaint, in words when a text lacks a language."""
    if isinstance(error.schema, dict) and BILINGUAL in error.schema:
        every = ", ".join(f"{code} ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)
        if error.validator == "required":
            given = error.instance if isinstance(error.instance, dict) else {}
            missing = [f"{c} ({LANGUAGE_NAMES[c]})" for c in LANGUAGES if c not in given]
            return f"no text in {', '.join(missing)}: every text is written in {every}"
        if error.validator == "type":
            return f"a text in one language only: write it in each of {every}"
    return error.message


def _braces(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names)) or "none"


def _check_same_placeholders(path: Path, where: str, node: Dict[str, str]) -> None:
    """Each language of a text names the same placeholders: a Dutch advice without
    ``{company}``, or with one the English lacks, is refused."""
    english = set(placeholders_in(node[DEFAULT_LANGUAGE]))
    for language in LANGUAGES[1:]:
        other = set(placeholders_in(node[language]))
        if other != english:
            raise KnowledgeError(
                path,
                f"{where}.{language}",
                f"placeholders differ between languages: {DEFAULT_LANGUAGE} has "
                f"{_braces(english)}, {language} has {_braces(other)}",
            )


def _field_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load_knowledge(root: Path | str | None = None) -> KnowledgeBase:
    """Read, validate and cross-check every file of the knowledge base, in every
    language: the English view, from which ``in_language`` gives the others."""
    base = knowledge_dir(root)
    if not base.is_dir():
        raise KnowledgeError(base, "(folder)", "knowledge folder not found")
    views = {language: _load_view(base, language) for language in LANGUAGES}
    for view in views.values():
        view.views = views
    return views[DEFAULT_LANGUAGE]


def _load_view(base: Path, language: str) -> KnowledgeBase:
    """The knowledge base with its texts in one language, checked."""
    kb = KnowledgeBase(root=base, language=language)
    _load_sources(kb, base / "sources.yml")
    concept_files = sorted((base / "concepts").glob("*.yml"))
    entity_files = sorted((base / "entities").glob("*.yml"))
    if not concept_files:
        raise KnowledgeError(base / "concepts", "(folder)", "no concept files")
    for path in concept_files:
        _load_concepts(kb, path)
    for path in entity_files:
        _load_entities(kb, path)
    if (base / "interview.yml").is_file():
        _load_interview(kb, base / "interview.yml")
    if (base / "claims.yml").is_file():
        _load_claims(kb, base / "claims.yml")
    for path in sorted((base / "advice").glob("*.yml")):
        _load_advice(kb, path)
    if (base / "risk_flags.yml").is_file():
        _load_flags(kb, base / "risk_flags.yml")
    for path in sorted((base / "quiz").glob("*.yml")):
        _load_scenarios(kb, path)
    if (base / "names.yml").is_file():
        names = read_yaml(base / "names.yml", schemas.NAMES, language)
        kb.name_cues = NameCues.from_dict(names)
    if (base / "phrases.yml").is_file():
        kb.phrases = read_yaml(base / "phrases.yml", schemas.PHRASES, language)["phrases"]
    if (base / "languages.yml").is_file():
        cues = read_yaml(base / "languages.yml", schemas.LANGUAGE_CUES, language)
        kb.language_cues = LanguageCues(
            function_words={k: frozenset(v) for k, v in cues["function_words"].items()},
            name_particles=frozenset(cues["name_particles"]),
            switch={k: tuple(v) for k, v in cues["switch"].items()},
        )
    if (base / "web_page.yml").is_file():
        kb.web = load_web_texts(base, language)
    _check_references(kb)
    _check_vocabulary(kb)
    _check_interview(kb, base / "interview.yml")
    _check_advice(kb)
    for flag in kb.flags.values():
        _check_when(kb, base / "risk_flags.yml", flag.id, flag.when, flag.concept)
    for claim in kb.claims.values():
        _check_when(kb, base / "claims.yml", claim.id, claim.true_when)
    if language == DEFAULT_LANGUAGE:  # (it reads every language's texts at once)
        _check_plain_texts(base)
    return kb


def _when(raw: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in raw.items())


def _load_scenarios(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.QUIZ, kb.language)
    for i, raw in enumerate(data["questions"]):
        where = f"questions[{i}]"
        if raw["id"] in kb.scenarios:
            raise KnowledgeError(path, f"{where}.id", f"duplicate question id {raw['id']!r}")
        for name in [raw["concept"], raw["answer"], *raw["choices"]]:
            if name not in kb.concepts:
                raise KnowledgeError(path, f"{where}", f"unknown concept {name!r}")
        if raw["answer"] not in raw["choices"]:
            raise KnowledgeError(path, f"{where}.answer", "the answer is not among the choices")
        kb.scenarios[raw["id"]] = Scenario(
            id=raw["id"],
            concept=raw["concept"],
            question=" ".join(raw["question"].split()),
            choices=tuple(raw["choices"]),
            answer=raw["answer"],
            explanation=" ".join(raw["explanation"].split()),
        )


def _load_flags(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.RISK_FLAGS, kb.language)
    for i, raw in enumerate(data["flags"]):
        if raw["id"] in kb.flags:
            raise KnowledgeError(path, f"flags[{i}].id", f"duplicate flag id {raw['id']!r}")
        kb.flags[raw["id"]] = RiskFlag(
            id=raw["id"],
            when=_when(raw["when"]),
            flag=raw["flag"],
            severity=raw["severity"],
            concept=raw["concept"],
        )


def _load_interview(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.INTERVIEW, kb.language)
    for raw in data["questions"]:
        kb.questions.append(
            Question(
                key=raw["key"],
                ask=raw["ask"],
                entity=raw.get("entity"),
                role=raw.get("role"),
                per_person=raw.get("per_person"),
                buttons=tuple(raw.get("buttons", ())),
                only_if=tuple((k, tuple(v)) for k, v in raw.get("only_if", {}).items()),
                yes=raw.get("yes"),
                no=raw.get("no"),
            )
        )
    kb.yes_no = {k: tuple(v) for k, v in (data.get("yes_no") or {}).items()}
    kb.groups = {k: tuple(v) for k, v in (data.get("groups") or {}).items()}


def _load_advice(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.ADVICE, kb.language)
    for i, raw in enumerate(data["rules"]):
        if raw["id"] in kb.rules:
            raise KnowledgeError(path, f"rules[{i}].id", f"duplicate rule id {raw['id']!r}")
        kb.rules[raw["id"]] = AdviceRule(
            id=raw["id"],
            when=_when(raw["when"]),
            advice=" ".join(raw["advice"].split()),
            because=" ".join(raw["because"].split()),
            priority=raw["priority"],
            concept=raw["concept"],
            asserts=tuple(raw["asserts"]),
            unless=tuple(raw.get("unless", ())),
            file=str(path),
        )


def _load_claims(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.CLAIMS, kb.language)
    for i, raw in enumerate(data["claims"]):
        if raw["id"] in kb.claims:
            raise KnowledgeError(path, f"claims[{i}].id", f"duplicate claim id {raw['id']!r}")
        kb.claims[raw["id"]] = Claim(
            id=raw["id"], says=" ".join(raw["says"].split()), true_when=_when(raw["true_when"])
        )


def _check_advice(kb: KnowledgeBase) -> None:
    """Each rule's conditions, concept, placeholders and claims refer to what exists."""
    for rule in kb.rules.values():
        _check_when(kb, rule.file, rule.id, rule.when, rule.concept)
        for part in ("advice", "because"):
            _check_placeholders(rule.file, f"{rule.id}.{part}", getattr(rule, part), PLACEHOLDERS)
        for part in ("asserts", "unless"):
            for claim in getattr(rule, part):
                if claim not in kb.claims:
                    raise KnowledgeError(
                        rule.file, f"{rule.id}.{part}", f"unknown claim {claim!r} (see claims.yml)"
                    )


def _check_placeholders(file: Path | str, field: str, text: str, allowed: Any) -> None:
    """The text uses only the placeholders its code fills in (``allowed``)."""
    for bad in unfilled(text, allowed):
        raise KnowledgeError(file, field, problem(bad, allowed))


#: Texts the code fills in, by file: (file pattern, field pattern). They are checked
#: with their own placeholders (advice rules in ``_check_advice``, interview questions
#: in ``_check_interview``); every other text of the knowledge base is shown as written.
_TEMPLATES = (
    ("advice/*.yml", re.compile(r"rules\[\d+\]\.(advice|because)\.[a-z]+")),
    ("interview.yml", re.compile(r"questions\[\d+\]\.ask\.[a-z]+")),
    # The coach's phrases are filled by the code that says them (``KnowledgeBase.phrase``).
    ("phrases.yml", re.compile(r"phrases\.\w+\.[a-z]+")),
)


def _check_plain_texts(base: Path) -> None:
    """No text shown as written (concepts, sources, quiz, flags, labels, ...) holds a
    placeholder or a brace: nothing would fill it in. Entity patterns (regular
    expressions) and names.yml (cues) are never shown."""
    for path in sorted(base.rglob("*.yml")):
        relative = path.relative_to(base)
        if relative.parts[:2] == ("advice", "deals") or relative.name == "names.yml":
            continue  # representative deals are test cases; names.yml holds cues
        data = _parse(path, path.read_bytes())
        templates = [fields for pattern, fields in _TEMPLATES if relative.match(pattern)]
        for where, text in strings_of(data):
            if ".patterns[" in f".{where}" or any(t.fullmatch(where) for t in templates):
                continue
            _check_placeholders(path, where, text, ())


def _check_when(
    kb: KnowledgeBase, file: Path | str, owner: str, when: Any, concept: str | None = None
) -> None:
    """A rule's, flag's or claim's concept exists and its conditions name real values."""
    if concept is not None and concept not in kb.concepts:
        raise KnowledgeError(file, f"{owner}.concept", f"unknown concept {concept!r}")
    for key, values in when:
        if key == "sector_family":
            allowed, entity = set(kb.sector_families.values()) | {UNKNOWN}, "sector family"
        elif key in COUNT_CONDITIONS or CONDITION_VALUES.get(key, key) not in kb.entities:
            continue
        else:
            entity = CONDITION_VALUES.get(key, key)
            allowed = set(kb.entities[entity].values) | {UNKNOWN}
        for value in values:
            if value not in allowed:
                raise KnowledgeError(
                    file, f"{owner}.when.{key}", f"{value!r} is not a {entity} value"
                )


def _check_interview(kb: KnowledgeBase, path: Path) -> None:
    per_person_entity = {"stance": "stance", "met": "met"}
    for question in kb.questions:
        where = f"questions.{question.key}"
        allowed = PERSON_PLACEHOLDERS if question.per_person else INTERVIEW_PLACEHOLDERS
        _check_placeholders(path, f"{where}.ask", question.ask, allowed)
        entity = question.entity or per_person_entity.get(question.per_person or "")
        if entity and entity not in kb.entities:
            raise KnowledgeError(path, f"{where}.entity", f"unknown entity {entity!r}")
        if question.role and question.role not in kb.entities["role"].values:
            raise KnowledgeError(path, f"{where}.role", f"unknown role {question.role!r}")
        for button in question.buttons:
            if not entity or button not in kb.entities[entity].values:
                raise KnowledgeError(path, f"{where}.buttons", f"{button!r} is not a value")
        for answer, value in (("yes", question.yes), ("no", question.no)):
            if value is not None and (not entity or value not in kb.entities[entity].values):
                raise KnowledgeError(path, f"{where}.{answer}", f"{value!r} is not a value")
        for fact, values in question.only_if:
            if fact not in kb.entities or not set(values) <= set(kb.entities[fact].values):
                raise KnowledgeError(path, f"{where}.only_if.{fact}", "unknown fact or value")


def _load_sources(kb: KnowledgeBase, path: Path) -> None:
    if not path.is_file():
        raise KnowledgeError(path, "(file)", "missing: every concept cites its sources here")
    data = read_yaml(path, schemas.SOURCES, kb.language)
    for i, raw in enumerate(data["sources"]):
        if raw["id"] in kb.sources:
            raise KnowledgeError(path, f"sources[{i}].id", f"duplicate source id {raw['id']!r}")
        kb.sources[raw["id"]] = Source(**raw)


def _load_concepts(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.CONCEPTS, kb.language)
    for i, raw in enumerate(data["concepts"]):
        if raw["id"] in kb.concepts:
            raise KnowledgeError(path, f"concepts[{i}].id", f"duplicate concept id {raw['id']!r}")
        kb.concepts[raw["id"]] = Concept(
            id=raw["id"],
            topic=data["topic"],
            name=raw["name"],
            aliases=tuple(a.lower() for a in raw["aliases"]),
            definition=raw["definition"].strip(),
            explanation=raw["explanation"].strip(),
            for_the_salesperson=tuple(t.strip() for t in raw["for_the_salesperson"]),
            example=raw["example"].strip(),
            sources=tuple(raw["sources"]),
            related=tuple(raw.get("related", ())),
            buyphases=tuple(raw.get("buyphases", ())),
            file=str(path),
        )


def _load_entities(kb: KnowledgeBase, path: Path) -> None:
    data = read_yaml(path, schemas.ENTITIES, kb.language)
    name = data["entity"]
    if name in kb.entities:
        raise KnowledgeError(path, "entity", f"entity type {name!r} is defined twice")
    values: Dict[str, EntityValue] = {}
    for i, raw in enumerate(data["values"]):
        if raw["id"] in values:
            raise KnowledgeError(path, f"values[{i}].id", f"duplicate value {raw['id']!r}")
        values[raw["id"]] = EntityValue(
            id=raw["id"],
            patterns=tuple(raw["patterns"]),
            name=raw.get("name"),
            concept=raw.get("concept"),
            implies_role=raw.get("implies_role"),
            min_employees=raw.get("min_employees"),
            max_employees=raw.get("max_employees"),
            family=raw.get("family"),
        )
        if name == "sector" and not raw.get("family"):
            raise KnowledgeError(
                path, f"values[{i}].family", "every sector needs a family (public, regulated, ...)"
            )
    kb.entities[name] = EntityType(name=name, values=values, file=str(path))


def _check_vocabulary(kb: KnowledgeBase) -> None:
    """The entity values the code acts on by name (``vocabulary``) are those of the files."""
    entities = {name: list(entity.values) for name, entity in kb.entities.items()}
    for name, disagreement in vocabulary_problems(entities):
        known = kb.entities.get(name)
        path = known.file if known else kb.root / "entities" / f"{name}.yml"
        raise KnowledgeError(
            path, "values", f"{disagreement} (dealcoach/knowledge_base/vocabulary.py names them)"
        )


def _check_references(kb: KnowledgeBase) -> None:
    """Every id a file refers to must exist; aliases must point at one concept only."""
    owner_of_alias: Dict[str, str] = {}
    for concept in kb.concepts.values():
        path = concept.file
        for source in concept.sources:
            if source not in kb.sources:
                raise KnowledgeError(path, f"{concept.id}.sources", f"unknown source {source!r}")
        for related in concept.related:
            if related not in kb.concepts:
                raise KnowledgeError(path, f"{concept.id}.related", f"unknown concept {related!r}")
        for alias in concept.aliases:
            other = owner_of_alias.setdefault(alias, concept.id)
            if other != concept.id:
                raise KnowledgeError(
                    path, f"{concept.id}.aliases", f"alias {alias!r} also names {other!r}"
                )
    roles = kb.entities.get("role")
    for entity in kb.entities.values():
        for value in entity.values.values():
            where = f"values.{value.id}"
            if value.concept and value.concept not in kb.concepts:
                raise KnowledgeError(
                    entity.file, f"{where}.concept", f"unknown concept {value.concept!r}"
                )
            if value.implies_role and (roles is None or value.implies_role not in roles.values):
                raise KnowledgeError(
                    entity.file, f"{where}.implies_role", f"unknown role {value.implies_role!r}"
                )
            low, high = value.min_employees, value.max_employees
            if low is not None and high is not None and low > high:
                raise KnowledgeError(
                    entity.file, f"{where}.min_employees", "greater than max_employees"
                )
