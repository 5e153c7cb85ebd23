"""Knowledge-backed entity extraction: sales talk in, canonical entity values out.

Two steps, so that a trained model can carry its own rules:

1. ``RuleTable.from_knowledge(kb)`` compiles the knowledge base into plain data
   (expanded phrase patterns, title-to-role hints, size bands, the spelling
   vocabulary). It serialises to JSON; the Rasa component stores it in the model.
2. ``EntityExtractor(table)`` builds a spaCy pipeline (blank English tokenizer and
   an EntityRuler) from that table and turns a text into ``Entity`` objects.

Rules of interpretation, beyond the patterns themselves:

* Where a role, a buying stage, a stance or a meeting compete for the same words,
  the longest match wins ("makes the final decision" is a role, "final decision"
  alone a buying stage); every other type is matched on its own and may overlap
  ("robotics startup" is both a sector and a size).
* A word of five or more letters that is one edit away from exactly one pattern
  word is read as that word ("negotiatoin"), unless it is capitalised mid-sentence
  (likely a name).
* A job title is not a role: "Petra is the CFO" gives the title only. (The
  interview may still assume a title's typical role, ``implies_role``, when it
  stores the person: ``dealcoach.coaching.interview``.)
* An employee count ("2k staff") gives both ``employees`` and ``company_size``.
* ``concept`` names a concept of the knowledge base ("what is a buying centre?")
  where no other entity already stands for it ("a modified rebuy" is a
  ``purchase_situation``, whose value points at its concept).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Iterable, List, Tuple

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from dealcoach.knowledge_base.loader import KnowledgeBase, size_band
from dealcoach.understanding.numbers import find_employee_counts
from dealcoach.understanding.turns import Entity

#: Entity types whose values are canonical ids from the knowledge base.
KNOWLEDGE_ENTITIES = (
    "role",
    "purchase_situation",
    "buying_stage",
    "perceived_risk",
    "company_size",
    "sector",
)
#: Everything the extractor can emit besides ``company`` and ``person`` (which DIET learns).
EXTRACTED_ENTITIES = KNOWLEDGE_ENTITIES + (
    "employees",
    "job_title",
    "stance",
    "met",
    "supplier_position",
    "concept",
)

#: Entity types whose phrasings compete for the same words; see ``ruler_groups``.
COMPETING_ENTITIES = ("role", "buying_stage", "stance", "met")

NEGATIONS = ("not", "never", "no")
NEGATION_WINDOW = 4
UNNEGATABLE_ENTITIES = ("met", "employees", "concept")

MIN_TYPO_LENGTH = 5
#: A wrong letter is only read as a typo in longer words: "report" is not "resort".
MIN_SUBSTITUTION_LENGTH = 7
#: In a pattern, "..." stands for up to ``WILDCARD_TOKENS`` words ("buy ... from us").
WILDCARD = "..."
WILDCARD_TOKENS = 3
_ALTERNATION = re.compile(r"\(([^()]*)\)")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def expand_pattern(pattern: str) -> List[str]:
    """Expand ``(a|b|)`` alternations into every phrase they stand for.

    >>> expand_pattern("(makes|has) the final (call|say)")
    ['makes the final call', 'makes the final say', 'has the final call', 'has the final say']
    """
    parts = _ALTERNATION.split(pattern)
    # split() with one group alternates literal text and group contents.
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    phrases = []
    for combination in itertools.product(*choices):
        phrase = " ".join("".join(combination).split())
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return phrases


@dataclass
class RuleTable:
    """The knowledge base compiled into what the extractor needs, as plain data."""

    patterns: List[Dict[str, Any]] = field(default_factory=list)
    concept_aliases: List[Dict[str, str]] = field(default_factory=list)
    size_bands: List[Tuple[str, int, int | None]] = field(default_factory=list)
    #: Real words never read as typos of a pattern word ("tracking" is not "trucking").
    known_words: List[str] = field(default_factory=list)
    #: Cues telling companies from people (``knowledge/names.yml``).
    name_cues: Dict[str, List[str]] = field(default_factory=dict)
    #: Language -> phrases asking for it (``knowledge/languages.yml`` ``switch``).
    language_switch: Dict[str, List[str]] = field(default_factory=dict)

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase) -> RuleTable:
        table = cls()
        tokenizer = spacy.blank("en").tokenizer
        for entity in kb.entities.values():
            for value in entity.values.values():
                for pattern in value.patterns:
                    for phrase in expand_pattern(pattern.lower()):
                        table.patterns.append(
                            {
                                "label": entity.name,
                                "id": value.id,
                                "pattern": _token_pattern(tokenizer, phrase)
                                if WILDCARD in phrase.split()
                                else phrase,
                            }
                        )
                if entity.name == "company_size":
                    low = value.min_employees or 0
                    table.size_bands.append((value.id, low, value.max_employees))
        words = set()
        for concept in kb.concepts.values():
            for alias in concept.aliases:
                table.concept_aliases.append({"id": concept.id, "pattern": alias})
            for text in (concept.definition, concept.explanation, concept.example):
                words.update(_words(text))
            for tip in concept.for_the_salesperson:
                words.update(_words(tip))
        table.known_words = sorted(words)
        table.name_cues = kb.name_cues.as_dict()
        table.language_switch = {k: list(v) for k, v in kb.language_cues.switch.items()}
        return table

    def learn_words(self, texts: Iterable[str]) -> None:
        """Add the words of these texts (e.g. the NLU training data) to ``known_words``."""
        words = set(self.known_words)
        for text in texts:
            words.update(_words(text))
        self.known_words = sorted(words)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RuleTable:
        data = json.loads(text)
        data["size_bands"] = [tuple(band) for band in data["size_bands"]]
        return cls(**data)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def size_for(self, employees: int) -> str | None:
        """The ``company_size`` value whose band holds this employee count."""
        return size_band(self.size_bands, employees)


class EntityExtractor:
    """Extracts knowledge entities from text with a spaCy EntityRuler built from a ``RuleTable``."""

    def __init__(self, table: RuleTable) -> None:
        self.table = table
        self.nlp = spacy.blank("en")
        self._rulers = []
        for group in ruler_groups(p["label"] for p in table.patterns):
            ruler = self.nlp.add_pipe(
                "entity_ruler",
                name=f"rules_{'_'.join(sorted(group))}",
                config={"phrase_matcher_attr": "NORM", "validate": False},
            )
            ruler.add_patterns([p for p in table.patterns if p["label"] in group])
            self._rulers.append(ruler)
        self._concepts = PhraseMatcher(self.nlp.vocab, attr="NORM")
        for alias in table.concept_aliases:
            self._concepts.add(alias["id"], [self.nlp.make_doc(alias["pattern"])])
        self._vocabulary = {
            token.lower_
            for phrase in itertools.chain(
                (p["pattern"] for p in table.patterns if isinstance(p["pattern"], str)),
                (a["pattern"] for a in table.concept_aliases),
            )
            for token in self.nlp.make_doc(phrase)
        } | {
            token["NORM"]
            for p in table.patterns
            if isinstance(p["pattern"], list)
            for token in p["pattern"]
            if "NORM" in token
        }
        self._known_words = self._vocabulary | set(table.known_words)
        self._by_deletion: Dict[str, set] = {}
        for word in self._vocabulary:
            if len(word) >= MIN_TYPO_LENGTH and word.isalpha():
                for variant in _deletions(word) | {word}:
                    self._by_deletion.setdefault(variant, set()).add(word)

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase) -> EntityExtractor:
        return cls(RuleTable.from_knowledge(kb))

    def extract(self, text: str) -> List[Entity]:
        """All knowledge entities, employee counts, titles and concepts named in ``text``."""
        text = text.translate(_QUOTES)
        doc = self.nlp.make_doc(text)
        self._correct_spelling(doc)
        counts = find_employee_counts(text)
        entities: List[Entity] = []
        for count in counts:
            span = text[count.start : count.end]
            entities.append(
                Entity("employees", str(count.value), count.start, count.end, span, "count")
            )
            size = self.table.size_for(count.value)
            if size:
                entities.append(Entity("company_size", size, count.start, count.end, span, "count"))
        for ruler in self._rulers:
            doc.ents = ()
            for span in ruler(doc).ents:
                if any(span.start_char < c.end and c.start < span.end_char for c in counts):
                    continue
                entities.append(
                    Entity(
                        span.label_,
                        span.ent_id_,
                        span.start_char,
                        span.end_char,
                        span.text,
                        "pattern",
                    )
                )
        if counts:
            # A number beats a word: "family business, ~80 employees" is medium.
            entities = [e for e in entities if e.entity != "company_size" or e.source == "count"]
        entities = [_mark_negation(doc, e) for e in entities if not _inside_a_title(e, entities)]
        concept_ids = {(s, e): self.nlp.vocab.strings[m] for m, s, e in self._concepts(doc)}
        for span in filter_spans([doc[s:e] for s, e in concept_ids]):
            concept_id = concept_ids[(span.start, span.end)]
            if any(span.start_char < e.end and e.start < span.end_char for e in entities):
                continue  # "a modified rebuy" is already a purchase_situation naming it
            entities.append(
                Entity("concept", concept_id, span.start_char, span.end_char, span.text, "concept")
            )
        return sorted(entities, key=lambda e: (e.start, e.entity))

    def _correct_spelling(self, doc: Doc) -> None:
        """Read a near-miss of a pattern word as that word, by setting the token's NORM."""
        for token in doc:
            word = token.lower_
            if len(word) < MIN_TYPO_LENGTH or not word.isalpha() or word in self._known_words:
                continue
            starts_sentence = token.i == 0 or doc[token.i - 1].text in ".!?"
            if token.text[0].isupper() and not starts_sentence:
                continue
            candidates = set(self._by_deletion.get(word, ()))
            for variant in _deletions(word):
                candidates |= self._by_deletion.get(variant, set())
            best = _closest(word, candidates)
            if best:
                token.norm_ = best


def _mark_negation(doc: Doc, entity: Entity) -> Entity:
    """Flag an entity that a "not", "n't", "never" or "no" just before it denies.

    The look-back stops at punctuation and at "but", so in "no, Jan is the buyer,
    not the decider" only the decider is denied. ``met`` carries its own negation
    in its values ("haven't met" is not_met).
    """
    if entity.entity in UNNEGATABLE_ENTITIES:
        return entity
    first = next((t.i for t in doc if t.idx >= entity.start), len(doc))
    for token in reversed(doc[max(0, first - NEGATION_WINDOW) : first]):
        if token.is_punct or token.lower_ == "but":
            break
        if token.norm_ in NEGATIONS:
            return replace(entity, negated=True)
    return entity


#: Facts a job title overrides where their words overlap ("the new project manager").
_TITLE_OVERRIDES = ("purchase_situation", "buying_stage")


def _inside_a_title(entity: Entity, entities: List[Entity]) -> bool:
    """Whether a title overlaps this reading of its words ("purchasing manager" is no buyer).

    A longer phrase that merely contains a title keeps its reading: "waiting on the
    MD's signature" is the decision stage.
    """
    return entity.entity in _TITLE_OVERRIDES and any(
        t.entity == "job_title"
        and entity.start < t.end
        and t.start < entity.end
        and not (
            entity.start <= t.start
            and t.end <= entity.end
            and entity.end - entity.start > t.end - t.start
        )
        for t in entities
    )


def ruler_groups(labels: Iterable[str]) -> List[set]:
    """Which entity types share a ruler: those whose phrasings compete for the same words.

    Within a ruler the longest match wins, so "makes the final decision" is a role
    and not also a buying stage, and "is blocking it" a stance, not a gatekeeper.
    Every other type gets a ruler of its own and may overlap freely: "robotics
    startup" is a sector and a size, "they reorder from us" a straight rebuy and
    an incumbent.
    """
    labels = set(labels)
    shared = labels & set(COMPETING_ENTITIES)
    return ([shared] if shared else []) + [{label} for label in sorted(labels - shared)]


def _token_pattern(tokenizer: Any, phrase: str) -> List[Dict[str, Any]]:
    """A phrase with "..." as a spaCy Matcher pattern on NORM, the wildcard as optional words."""
    tokens: List[Dict[str, Any]] = []
    for part in phrase.split(WILDCARD):
        if tokens:
            tokens += [{"IS_PUNCT": False, "OP": "?"}] * WILDCARD_TOKENS
        tokens += [{"NORM": token.norm_} for token in tokenizer(part.strip())]
    return tokens


def _words(text: str) -> set:
    return {w.lower() for w in re.findall(rf"[A-Za-z]{{{MIN_TYPO_LENGTH},}}", text)}


def _deletions(word: str) -> set:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _closest(word: str, candidates: set) -> str | None:
    """The one candidate a single typo away from ``word``, or None if none or a tie.

    Swapped neighbours are the commonest typing slip, then a letter too many or too
    few, then a wrong letter; a tie within the same kind stays unread.
    """
    ranked: Dict[int, List[str]] = {}
    for candidate in candidates:
        kind = _edit_kind(word, candidate)
        if kind == 2 and len(word) < MIN_SUBSTITUTION_LENGTH:
            continue
        if kind is not None:
            ranked.setdefault(kind, []).append(candidate)
    for kind in sorted(ranked):
        return ranked[kind][0] if len(ranked[kind]) == 1 else None
    return None


def _edit_kind(a: str, b: str) -> int | None:
    """0 for swapped neighbours, 1 for one letter added or dropped, 2 for one wrong letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return None
    if len(a) != len(b):
        short, long = (a, b) if len(a) < len(b) else (b, a)
        return 1 if any(long[:i] + long[i + 1 :] == short for i in range(len(long))) else None
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return 2
    i, j = diff[0], diff[-1]
    if len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]:
        return 0
    return None
