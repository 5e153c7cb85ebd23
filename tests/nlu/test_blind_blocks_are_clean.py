"""The blind blocks stay unseen: no text of theirs, exact or nearly, in training data.

Texts are compared normalised (lower case, punctuation and spacing dropped); a near
duplicate shares most of its word trigrams (and at least four) with a training text.
The development set (``dev.yml``, tuned on) is not checked: its figures are not
claimed as unseen.
"""

import re

from dealcoach.knowledge_base.yaml_files import read_yaml
from tests.conftest import ROOT

#: English blind blocks (blind/) and Dutch ones (blind_nl/).
BLIND_DIRS = [ROOT / "tests" / "nlu" / "blind", ROOT / "tests" / "nlu" / "blind_nl"]
BLIND = sorted(p for d in BLIND_DIRS for p in d.glob("*/messages.yml"))
REVIEWS = sorted(p for d in BLIND_DIRS for p in d.glob("*/reviews.yml"))
#: Share of a message's word trigrams found in one training text that makes it a near duplicate.
NEAR = 0.6
#: ... and at least this many trigrams (six words in a row, or more) in common.
SHARED = 4
#: Messages shorter than this (in words) are commands anyone would type, not distinctive.
SHORT = 7


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def trigrams(text: str) -> set:
    words = normalised(text).split()
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def training_texts() -> list:
    annotation = re.compile(r"\[([^\]]+)\]\([^)]+\)")
    texts = [
        annotation.sub(r"\1", line.strip()[2:])
        for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- ")
    ]
    for path in sorted((ROOT / "annotated").glob("**/*.yml")):
        texts += [str(e["text"]) for e in read_yaml(path)["examples"]]
    return texts


def blind_texts() -> list:
    texts = [str(e["text"]) for path in BLIND for e in read_yaml(path)["examples"]]
    for path in REVIEWS:
        for review in read_yaml(path)["reviews"]:
            texts += [str(t) for t in review.get("turns") or [] if isinstance(t, str)]
    return texts


def test_there_are_blind_blocks():
    assert BLIND and all(len(read_yaml(p)["examples"]) >= 300 for p in BLIND)


def test_no_blind_message_is_a_training_text_or_a_near_duplicate_of_one():
    training = training_texts()
    exact = {normalised(t) for t in training}
    index: dict = {}
    for number, text in enumerate(training):
        for gram in trigrams(text):
            index.setdefault(gram, set()).add(number)
    copied, near = [], []
    for text in blind_texts():
        if len(normalised(text).split()) < SHORT:
            continue  # "quiz me", "what should i do next": everyone writes those
        if normalised(text) in exact:
            copied.append(text)
            continue
        grams = trigrams(text)
        shared: dict = {}
        for gram in grams:
            for number in index.get(gram, ()):
                shared[number] = shared.get(number, 0) + 1
        most = max(shared.values(), default=0)
        if most >= SHARED and most / len(grams) >= NEAR:
            near.append(text)
    assert not copied and not near, (copied, near)


def blind_names() -> set:
    """Client and stakeholder names of several words in the blind blocks ("Chen Wei").

    One-word first names ("Lars") are everybody's; a full name or a client's name in
    training data would hand the model a blind answer.
    """
    names = set()
    for path in BLIND:
        for example in read_yaml(path)["examples"]:
            for label in ("company", "person"):
                names |= {str(n) for n in (example.get("entities") or {}).get(label, [])}
    for path in REVIEWS:
        for review in read_yaml(path)["reviews"]:
            names.add(str(review.get("company") or ""))
    return {normalised(n) for n in names if len(normalised(n).split()) > 1}


def word_runs(texts: list, lengths: set) -> set:
    """Every run of ``lengths`` words in the texts (normalised), for exact lookups."""
    runs = set()
    for text in texts:
        words = normalised(text).split()
        for n in lengths:
            runs |= {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
    return runs


def test_no_blind_name_of_several_words_is_in_training_data():
    names = blind_names()
    training = word_runs(training_texts(), {len(n.split()) for n in names})
    found = sorted(n for n in names if n in training)
    assert not found, found
