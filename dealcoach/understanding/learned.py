"""Learned reading of sales talk: spaCy models trained on annotated salesperson messages.

The rules (``dealcoach.understanding.extraction``) know the precise phrases; these models bring
recall on phrasings nobody wrote a pattern for. Two small spaCy pipelines, trained
from scratch when the Rasa model is trained (no pretrained vectors, nothing
downloaded) and saved inside the model archive:

* the **message model** reads a whole message: its message-level facts as
  multi-label text classification (``buying_stage=negotiation``,
  ``perceived_risk=high``, ``role=decider`` ...) and the names in it
  (``company``, ``person``) as named entities, on one shared token encoder;
* the **mention model** reads the same message once per person or title mentioned,
  with that mention marked, and classifies what the message says about *that*
  mention: its roles, stance and whether we met. This is how "the ops director
  Sofia runs the evaluation, she'll recommend a vendor to the CEO who signs" gives
  Sofia the evaluation and the CEO the signature.

Labels are ``type=value`` pairs whose values are the knowledge base's canonical
ids; the caller passes them in, so that a second language is more training data,
not more code. Everything here is plain spaCy: no Rasa import.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from dealcoach.knowledge_base.loader import KnowledgeBase
from dealcoach.knowledge_base.vocabulary import ROLES
from dealcoach.knowledge_base.yaml_files import read_yaml
from dealcoach.settings import ANNOTATED

log = logging.getLogger(__name__)

#: The annotated messages of this checkout (``annotated/*.yml``).
DEFAULT_FACTS_DIR = ANNOTATED

#: Message-level fact types the message model classifies.
MESSAGE_FACT_TYPES = (
    "buying_stage",
    "purchase_situation",
    "perceived_risk",
    "sector",
    "company_size",
    "supplier_position",
    "role",
)
#: What the mention model says about one person: roles, stance, met.
MENTION_FACT_TYPES = ("role", "stance", "met")
NAME_LABELS = ("company", "person")
#: The trained pipelines, each in a folder of that name (see ``build``).
MODELS = ("intent", "facts", "names", "mention")
TARGET = "xxtargetxx"
#: The words seen in training, one per line, beside the pipelines.
VOCABULARY_FILE = "vocabulary.txt"
OTHER = "xxotherxx"
#: Pronouns that point back at the last person mentioned ("she signs").
_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """How the models are built and trained. Defaults are the ones ``make eval`` reports."""

    width: int = 96
    depth: int = 3
    epochs: int = 6
    #: The intent classifier learns from fewer, shorter examples: more passes.
    intent_epochs: int = 10
    #: The name recogniser is the slowest to train (about 40 s a pass on 2 cores, every
    #: named message twice); four passes keep ``rasa train`` under five minutes.
    names_epochs: int = 4
    batch_size: int = 64
    dropout: float = 0.2
    seed: int = 1
    #: Extra copies of messages with typing slips and in lower case, per original.
    augment: float = 0.25
    #: Train two pipelines at once in a second process when there are two cores.
    parallel: bool = True

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Settings:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Person:
    """What one annotated message says about one person: ``who`` as written, or None."""

    who: str | None
    roles: List[str] = field(default_factory=list)
    stance: str | None = None
    met: bool | None = None

    def labels(self) -> List[str]:
        labels = [f"role={r}" for r in self.roles]
        if self.stance:
            labels.append(f"stance={self.stance}")
        if self.met is not None:
            labels.append(f"met={'met' if self.met else 'not_met'}")
        return labels


@dataclass
class Annotated:
    """One training message: its facts (type -> values), names, people, the question it answers."""

    text: str
    intent: str | None = None
    facts: Dict[str, List[str]] = field(default_factory=dict)
    names: List[Tuple[int, int, str]] = field(default_factory=list)  # (start, end, label)
    people: List[Person] = field(default_factory=list)
    context: str | None = None
    #: False when the names in the text are not annotated (only facts are).
    names_annotated: bool = True

    def message_labels(self) -> List[str]:
        return [f"{t}={v}" for t in MESSAGE_FACT_TYPES for v in self.facts.get(t, [])]


@dataclass(frozen=True)
class Mention:
    """A person or title in a message, by character offsets."""

    start: int
    end: int


def find_span(text: str, part: str, after: int = 0) -> Tuple[int, int] | None:
    """Where ``part`` stands in ``text`` as whole words (case-insensitive), or None."""
    pattern = r"(?<!\w)" + re.escape(part.strip()) + r"(?!\w)"
    match = re.compile(pattern, re.IGNORECASE).search(text, after)
    return (match.start(), match.end()) if match else None


def marked_text(text: str, mentions: Sequence[Mention], target: int) -> str:
    """The message with mention ``target`` and the pronouns pointing at it marked.

    Every other mention becomes ``OTHER``; a pronoun is taken for the mention closest
    before it, so "Sofia runs it, she'll recommend" marks both Sofia and she."""
    spans = [(m.start, m.end, TARGET if i == target else OTHER) for i, m in enumerate(mentions)]
    ordered = sorted(spans)
    for match in _PRONOUN.finditer(text):
        if any(s <= match.start() < e for s, e, _ in ordered):
            continue
        before = [span for span in ordered if span[1] <= match.start()]
        if before:
            spans.append((match.start(), match.end(), before[-1][2]))
    out, position = [], 0
    for start, end, marker in sorted(spans):
        if start < position:
            continue
        out.append(text[position:start])
        out.append(f" {marker} ")
        position = end
    out.append(text[position:])
    return " ".join("".join(out).split())


# --- the spaCy pipelines ----------------------------------------------------------


def _tok2vec(settings: Settings) -> Dict[str, Any]:
    return {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": settings.width,
            # NORM: the word; PREFIX/SUFFIX/SHAPE carry typos, capitals and names.
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [5000, 1000, 2500, 500],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": settings.width,
            "window_size": 1,
            "maxout_pieces": 3,
            "depth": settings.depth,
        },
    }


def _textcat_model(
    settings: Settings, tok2vec: Dict[str, Any], exclusive: bool = False
) -> Dict[str, Any]:
    # The encoder's vectors, averaged, then a linear layer: fast to train and to run.
    return {
        "@architectures": "spacy.TextCatCNN.v2",
        "exclusive_classes": exclusive,
        "tok2vec": tok2vec,
    }


def build(model: str, settings: Settings, labels: Iterable[str]) -> Language:
    """An untrained pipeline: ``intent`` (one class per message), ``facts`` (any number
    of fact labels), ``names`` (company and person spans), ``mention`` (fact labels of
    one marked mention). Each has its own token encoder: sharing one, the name
    recogniser's large gradients bent it away from what the classifiers need, and the
    intent classifier's away from the facts (both measured, both worse)."""
    nlp = spacy.blank("en")
    if model == "names":
        ner = nlp.add_pipe(
            "ner",
            config={
                "model": {
                    "@architectures": "spacy.TransitionBasedParser.v2",
                    "state_type": "ner",
                    "extra_state_tokens": False,
                    "hidden_width": 64,
                    "maxout_pieces": 2,
                    "use_upper": True,
                    "tok2vec": _tok2vec(settings),
                }
            },
        )
        for label in labels:
            ner.add_label(label)
        return nlp
    exclusive = model == "intent"
    textcat = nlp.add_pipe(
        "textcat" if exclusive else "textcat_multilabel",
        config={"model": _textcat_model(settings, _tok2vec(settings), exclusive)},
    )
    for label in labels:
        textcat.add_label(label)
    return nlp


# --- training ---------------------------------------------------------------------


def augmented(examples: Sequence[Annotated], share: float, rng: random.Random) -> List[Annotated]:
    """The examples plus copies with typing slips or in lower case (labels unchanged)."""
    out = list(examples)
    for example in examples:
        if rng.random() >= share:
            continue
        if rng.random() < 0.5:
            out.append(_lowercased(example))
        else:
            out.append(_with_typos(example, rng))
    return out


def _lowercased(example: Annotated) -> Annotated:
    return Annotated(
        text=example.text.lower(),
        intent=example.intent,
        facts=example.facts,
        names=example.names,
        people=example.people,
        context=example.context,
        names_annotated=example.names_annotated,
    )


def _with_typos(example: Annotated, rng: random.Random) -> Annotated:
    """One or two slips (swapped, dropped or doubled letters) in words outside names and
    mentions, so that the offsets of what is annotated can be carried over."""
    protected = [(s, e) for s, e, _ in example.names] + [
        span
        for p in example.people
        if p.who
        for span in [find_span(example.text, p.who)]
        if span is not None
    ]
    words = [
        m
        for m in re.finditer(r"[A-Za-z]{5,}", example.text)
        if not any(s < m.end() and m.start() < e for s, e in protected)
    ]
    if not words:
        return example
    chosen = {m.start(): m for m in rng.sample(words, min(len(words), rng.choice((1, 2))))}
    text, shift, position = "", 0, 0
    shifts: List[Tuple[int, int]] = []  # (original position, shift after it)
    for start in sorted(chosen):
        match = chosen[start]
        word = match.group()
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            slip = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        elif kind == "drop":
            slip = word[:i] + word[i + 1 :]
        else:
            slip = word[:i] + word[i] + word[i:]
        text += example.text[position:start] + slip
        position = match.end()
        shift += len(slip) - len(word)
        shifts.append((match.end(), shift))
    text += example.text[position:]

    def moved(offset: int) -> int:
        passed = [s for end, s in shifts if end <= offset]
        return offset + (passed[-1] if passed else 0)

    names = [(moved(s), moved(e), label) for s, e, label in example.names]
    return Annotated(
        text=text,
        intent=example.intent,
        facts=example.facts,
        names=names,
        people=example.people,
        context=example.context,
        names_annotated=example.names_annotated,
    )


def _train(nlp: Language, examples: List[Example], settings: Settings, rng: random.Random) -> None:
    # Each classifier keeps the labels it was given: left alone, spaCy would give every
    # classifier every label found in the examples.
    nlp.config["initialize"]["components"] = {
        name: {"labels": list(pipe.labels)}
        for name, pipe in nlp.pipeline
        if name in ("textcat", "textcat_multilabel")
    }
    optimizer = nlp.initialize(lambda: examples)
    for epoch in range(settings.epochs):
        rng.shuffle(examples)
        losses: Dict[str, float] = {}
        started = time.monotonic()
        for batch in minibatch(examples, size=settings.batch_size):
            nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses)
        log.debug(
            "epoch %d of %s: %.1f s, losses %s", epoch, nlp.pipe_names, time.monotonic() - started,
            {k: round(v, 2) for k, v in losses.items()},
        )  # fmt: skip


def mention_examples(example: Annotated) -> List[Tuple[str, List[str]]]:
    """(marked text, labels) for each person of an annotated message found in its text."""
    found: List[Tuple[Mention, Person]] = []
    for person in example.people:
        if not person.who:
            continue
        span = find_span(example.text, person.who)
        if span is None or any(m.start < span[1] and span[0] < m.end for m, _ in found):
            continue
        found.append((Mention(*span), person))
    found.sort(key=lambda pair: pair[0].start)
    mentions = [m for m, _ in found]
    marked = [
        (marked_text(example.text, mentions, i), person.labels())
        for i, (_, person) in enumerate(found)
    ]
    if example.context in ANSWER_CONTEXTS and not found:
        # "yes, met him at the kickoff" under "Have you met Jan?": about the person
        # the question named, who is not in the text.
        unnamed = [p for p in example.people if not p.who or find_span(example.text, p.who) is None]
        if len(unnamed) == 1:
            marked.append((answer_text(example.text), unnamed[0].labels()))
    return marked


#: Questions about one person, whose answers need not name them.
ANSWER_CONTEXTS = ("stance", "met")


def answer_text(text: str) -> str:
    """An answer about the person just asked about, marked for the mention model: that
    person stands first, and every he/she in the answer is them."""
    return " ".join(f"{TARGET} : {_PRONOUN.sub(f' {TARGET} ', text)}".split())


@dataclass
class MessageScores:
    intents: List[Tuple[str, float]]  # best first
    facts: Dict[str, float]  # "type=value" -> probability
    names: List[Tuple[int, int, str]]  # (start, end, label)


def training_examples(
    model: str, nlp: Language, data: Sequence[Annotated], labels: Sequence[str]
) -> List[Example]:
    """What ``model`` learns from: each annotated message in the form that model reads."""
    known = set(labels)
    out = []
    for example in data:
        if model == "intent":
            if example.intent in known:
                cats = {label: float(label == example.intent) for label in labels}
                out.append(Example.from_dict(nlp.make_doc(example.text), {"cats": cats}))
        elif model == "facts":
            found = set(example.message_labels())
            cats = {label: float(label in found) for label in labels}
            out.append(Example.from_dict(nlp.make_doc(example.text), {"cats": cats}))
        elif model == "names":
            if example.names_annotated:
                doc = nlp.make_doc(example.text)
                out.append(Example.from_dict(doc, {"entities": _name_tags(doc, example.names)}))
        else:
            for text, found_labels in mention_examples(example):
                cats = {label: float(label in found_labels) for label in labels}
                out.append(Example.from_dict(nlp.make_doc(text), {"cats": cats}))
    return out


def train_model(
    model: str, data: Sequence[Annotated], labels: Sequence[str], settings: Settings, out: Path
) -> None:
    """Build, train and save one of the pipelines (a function of its own so that two
    can train at once, in two processes)."""
    fix_random_seed(settings.seed)
    nlp = build(model, settings, labels)
    if model == "names":
        # Salespeople type names in lower case as often as not ("prep for valtek
        # tomorrow"): the name recogniser sees every named message in both forms.
        data = [*data, *(_lowercased(e) for e in data if e.names and e.text != e.text.lower())]
    examples = training_examples(model, nlp, data, labels)
    if model == "intent":
        settings = replace(settings, epochs=settings.intent_epochs)
    elif model == "names":
        settings = replace(settings, epochs=settings.names_epochs)
    _train(nlp, examples, settings, random.Random(settings.seed))
    nlp.to_disk(out / model)


class LearnedReader:
    """The trained pipelines and what they read from a message."""

    def __init__(self, models: Dict[str, Language], vocabulary: Iterable[str] = ()) -> None:
        self.models = models
        self.vocabulary = frozenset(vocabulary)

    @classmethod
    def train(
        cls,
        examples: Sequence[Annotated],
        labels: Dict[str, Sequence[str]],
        out: Path,
        settings: Settings | None = None,
    ) -> LearnedReader:
        """Train every pipeline into ``out``; ``labels`` per pipeline (``intent``,
        ``facts``, ``mention``; ``names`` has its own). Deterministic for one seed.

        With two or more cores, ``names`` (the slowest) trains in a second process
        while the three classifiers train here, one after the other: they take about
        as long together."""
        settings = settings or Settings()
        out.mkdir(parents=True, exist_ok=True)
        data = augmented(examples, settings.augment, random.Random(settings.seed))
        labels = {**labels, "names": NAME_LABELS}
        elsewhere = ("names",) if settings.parallel and (os.cpu_count() or 1) > 1 else ()
        vocabulary = sorted({w for e in data for w in words(e.text)})
        (out / VOCABULARY_FILE).write_text("\n".join(vocabulary), encoding="utf-8")
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            running = [
                pool.submit(train_model, m, data, labels[m], settings, out) for m in elsewhere
            ]
            for model in MODELS:
                if model not in elsewhere:
                    train_model(model, data, labels[model], settings, out)
            for job in running:
                job.result()
        return cls.from_disk(out)

    @classmethod
    def from_disk(cls, path: Path) -> LearnedReader:
        known = path / VOCABULARY_FILE
        vocabulary = known.read_text(encoding="utf-8").split() if known.exists() else ()
        return cls({model: spacy.load(path / model) for model in MODELS}, vocabulary)

    def familiarity(self, text: str, names: Sequence[Tuple[int, int, str]] = ()) -> float:
        """The share of the message's words seen in training, names left out (names
        are new by nature); 1.0 without a vocabulary or when only names are left."""
        if not self.vocabulary:
            return 1.0
        if not words(text):
            return 0.0
        outside = "".join(
            " " if any(s <= i < e for s, e, _ in names) else c for i, c in enumerate(text)
        )
        found = words(outside)
        if not found:
            return 1.0 if names else 0.0
        return sum(w in self.vocabulary for w in found) / len(found)

    def read_message(self, text: str) -> MessageScores:
        """The message's intent ranking, fact scores (label -> probability) and names."""
        intents = self.models["intent"](text).cats
        names = [(e.start_char, e.end_char, e.label_) for e in self.models["names"](text).ents]
        # A classifier trained on sales talk is sure of itself on anything: on words it
        # never saw (emoji, another script, markup) its confidence means nothing, so it
        # is scaled by how familiar the words are (squared: half the words unknown is
        # already a poor sign), and the fallback takes over.
        familiar = self.familiarity(text, names) ** 2
        if familiar == 0.0:
            names = []  # nothing here is sales talk: no name in it either
        ranking = sorted(
            ((name, p * familiar) for name, p in intents.items()),
            key=lambda pair: pair[1],
            reverse=True,
        )
        return MessageScores(ranking, self.read_facts(text), names)

    def read_facts(self, text: str) -> Dict[str, float]:
        """The facts model's scores for a message or a piece of it (a clause)."""
        return dict(self.models["facts"](text).cats)

    def read_answer(self, text: str) -> Dict[str, float]:
        """What an answer that names nobody says about the person just asked about."""
        return dict(self.models["mention"](answer_text(text)).cats)

    def read_mentions(self, text: str, mentions: Sequence[Mention]) -> List[Dict[str, float]]:
        """For each mention, the scores of what the message says about it."""
        if not mentions:
            return []
        texts = [marked_text(text, mentions, i) for i in range(len(mentions))]
        return [dict(doc.cats) for doc in self.models["mention"].pipe(texts)]


def words(text: str) -> List[str]:
    """The words of a message for the familiarity check: letters only, two or more."""
    return [w.lower() for w in re.findall(r"[^\W\d_]{2,}", text)]


def _name_tags(doc: Any, names: Sequence[Tuple[int, int, str]]) -> List[Tuple[int, int, str]]:
    """Name spans that fall on token boundaries, without overlaps (first one wins)."""
    kept: List[Tuple[int, int, str]] = []
    for start, end, label in sorted(names):
        if doc.char_span(start, end) is None:
            continue
        if any(start < e and s < end for s, e, _ in kept):
            continue
        kept.append((start, end, label))
    return kept


# --- annotated data files -----------------------------------------------------------


def annotated_from_dict(raw: Dict[str, Any]) -> Annotated:
    """One message of ``annotated/*.yml`` (the format of the evaluation sets plus
    ``people`` and ``context``). Names are found in the text by their value."""
    text = str(raw["text"])
    entities = raw.get("entities") or {}
    names: List[Tuple[int, int, str]] = []
    for label in NAME_LABELS:
        for value in entities.get(label) or []:
            position = 0
            while True:
                span = find_span(text, str(value), position)
                if span is None:
                    break
                names.append((span[0], span[1], label))
                position = span[1]
    people = [
        Person(
            who=str(p["who"]) if p.get("who") else None,
            roles=[str(r) for r in p.get("roles") or []],
            stance=p.get("stance"),
            met=_met(p.get("met")),
        )
        for p in raw.get("people") or []
    ]
    facts = {
        t: [str(v) for v in entities.get(t) or []] for t in MESSAGE_FACT_TYPES if entities.get(t)
    }
    context = raw.get("context")
    if context in ROLES:
        # "that'd be marta" says who, the question said which role: the text alone
        # does not carry the role, so it is not taught as if it did.
        facts.pop("role", None)
        people = [
            Person(p.who, [r for r in p.roles if r != context], p.stance, p.met) for p in people
        ]
    intent = str(raw["intent"]) if raw.get("intent") else None
    return Annotated(text, intent, facts, names, people, context)


def fact_labels(kb: KnowledgeBase) -> List[str]:
    """What the facts model classifies: every value of the message-level fact types."""
    return [f"{t}={v}" for t in MESSAGE_FACT_TYPES for v in kb.values(t)]


def mention_labels(kb: KnowledgeBase) -> List[str]:
    """What the mention model says of one person: roles, stances, met or not."""
    return [f"{t}={v}" for t in MENTION_FACT_TYPES for v in kb.values(t)]


def facts_data_files(path: Path | str | None = None) -> List[Path]:
    """The annotated data files: ``path`` (a file or a folder of them), or the default."""
    base = Path(path) if path else DEFAULT_FACTS_DIR
    return [base] if base.is_file() else sorted(base.glob("*.yml"))


def load_annotated(paths: Iterable[Path]) -> List[Annotated]:
    """Every message of these files, in order."""
    examples: List[Annotated] = []
    for path in paths:
        data = read_yaml(path) or {}
        examples += [annotated_from_dict(raw) for raw in data.get("examples") or []]
    return examples


def _met(value: Any) -> bool | None:
    # Written as true/false or as the entity's ids (met / not_met).
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.strip().lower() == "met"
    return bool(value)
