"""`make eval`: our understanding on text it was never tuned on, and whole reviews.

Scores our model (``testkit.evaluation``) on every blind block of
``tests/nlu/blind/`` (English) and ``tests/nlu/blind_nl/`` (Dutch), written by people
who saw only the README's entity contract, and on the development set
``tests/nlu/dev.yml``: intents, and entities at the level of canonical values. Plays
every scripted review of the blind blocks over REST against the real servers (a
Dutch block's salesperson answers in Dutch) and compares the stored deal with the
expected one (``testkit.scripted_reviews``). Dutch is reported in its own table.

The baseline is what a team would otherwise run: the ``config.yml`` that
``rasa init`` writes (read from the installed Rasa, so it is exactly theirs),
trained on the same examples as our model and scored on the newest blind block. Our
training files only mark the names (company, person); the knowledge entities come
from rules. So that the baseline can learn them at all, its copy of the training
data also marks every knowledge entity our knowledge base finds in it, with the
canonical value as a synonym: the annotation a team would have written by hand.

Outputs in ``results/``: eval.json, eval.md and eval_confusion.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dealcoach import settings  # noqa: E402
from dealcoach.knowledge_base.loader import load_knowledge  # noqa: E402
from dealcoach.understanding.extraction import KNOWLEDGE_ENTITIES, EntityExtractor  # noqa: E402
from testkit.evaluation import (  # noqa: E402
    EVALUATED_ENTITIES,
    NAME_ENTITIES,
    Example,
    Parse,
    Report,
    evaluate,
    load_examples,
)

BLIND = ROOT / "tests" / "nlu" / "blind"
BLIND_NL = ROOT / "tests" / "nlu" / "blind_nl"
DEV = ROOT / "tests" / "nlu" / "dev.yml"
OUR_MODEL = settings.path("model")
RASA = str(Path(sys.executable).parent / "rasa")
OTHER_FACTS = tuple(
    e for e in EVALUATED_ENTITIES if e not in KNOWLEDGE_ENTITIES and e not in NAME_ENTITIES
)
#: The rows of the table: (label, entity types).
ENTITY_GROUPS: Sequence[Tuple[str, Sequence[str]]] = (
    ("knowledge entities (contract)", KNOWLEDGE_ENTITIES),
    ("other facts (count, title, stance, met, position)", OTHER_FACTS),
    ("names (company, person)", NAME_ENTITIES),
)


def rasa_init_config() -> Path:
    """The config.yml ``rasa init`` writes, from the installed Rasa package."""
    import rasa.cli

    return Path(rasa.cli.__file__).parent / "initial_project" / "config.yml"


def baseline_training_data(nlu_dir: Path, knowledge_dir: Path) -> str:
    """Our training examples as Rasa YAML, with knowledge entities marked as well."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(nlu_dir))
    extractor = EntityExtractor.from_knowledge(load_knowledge(knowledge_dir))
    for message in data.training_examples:
        text = message.get("text") or ""
        marked = list(message.get("entities") or [])
        for found in sorted(extractor.extract(text), key=lambda e: e.start - e.end):
            # Rasa's format has one entity per span and no overlaps: the longest wins.
            if any(found.start < m["end"] and m["start"] < found.end for m in marked):
                continue
            marked.append(
                {
                    "entity": found.entity,
                    "value": found.value,
                    "start": found.start,
                    "end": found.end,
                }
            )
        message.set("entities", sorted(marked, key=lambda m: m["start"]))
    return RasaYAMLWriter().dumps(data)


def train_baseline(workdir: Path, epochs: int | None) -> Tuple[Path, float]:
    """Train Rasa's default pipeline on our data; return the model and seconds taken."""
    (workdir / "nlu").mkdir(parents=True, exist_ok=True)
    (workdir / "nlu" / "training.yml").write_text(
        baseline_training_data(ROOT / "data" / "nlu", ROOT / "knowledge"), encoding="utf-8"
    )
    config = workdir / "config.yml"
    text = rasa_init_config().read_text(encoding="utf-8")
    if epochs is not None:
        # Smoke runs only: the default pipeline spelled out with fewer epochs.
        text = _default_pipeline_with_epochs(epochs)
    config.write_text(text, encoding="utf-8")
    started = time.monotonic()
    subprocess.run(
        [RASA, "train", "nlu", "--config", str(config), "--nlu", str(workdir / "nlu"),
         "--out", str(workdir), "--fixed-model-name", "baseline", "--quiet"],
        check=True, cwd=workdir, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return workdir / "baseline.tar.gz", time.monotonic() - started


def _default_pipeline_with_epochs(epochs: int) -> str:
    steps = [
        "WhitespaceTokenizer",
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "CountVectorsFeaturizer\n    analyzer: char_wb\n    min_ngram: 1\n    max_ngram: 4",
        f"DIETClassifier\n    epochs: {epochs}",
        "EntitySynonymMapper",
        "FallbackClassifier\n    threshold: 0.3\n    ambiguity_threshold: 0.1",
    ]
    listed = "\n".join(f"  - name: {step}" for step in steps)
    return f"recipe: default.v1\nlanguage: en\nassistant_id: baseline\npipeline:\n{listed}\n"


def model_parser(model: Path) -> Parse:
    """Text -> Rasa's parse dict, from a trained model loaded in this process."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def scores(report: Report) -> Dict[str, Any]:
    summary = report.summary()
    summary["groups"] = {label: report.combined(types).as_dict() for label, types in ENTITY_GROUPS}
    summary["errors"] = report.errors
    return summary


def error_ratio(ours: float, baseline: float) -> str:
    """Our error (1 - score) as a fraction of the baseline's."""
    if 1 - baseline <= 0:
        return "n/a"
    return f"{(1 - ours) / (1 - baseline):.2f}"


def markdown(ours: Report, baseline: Report, meta: Dict[str, Any]) -> str:
    rows = [
        ("intent accuracy", ours.intent_accuracy, baseline.intent_accuracy),
        ("intent macro-F1", ours.intent_macro_f1, baseline.intent_macro_f1),
    ]
    for label, types in ENTITY_GROUPS:
        rows.append((f"{label} F1", ours.combined(types).f1, baseline.combined(types).f1))
    lines = [
        f"Held-out set: {meta['examples']} messages ({meta['testset']}), never trained on.",
        f"Baseline: the config.yml of `rasa init` (Rasa {meta['rasa']}), same training data.",
        "",
        "| measure | dealcoach | baseline | our error / baseline's |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {o:.3f} | {b:.3f} | {error_ratio(o, b)} |" for n, o, b in rows]
    lines += [
        "",
        "Per entity type (canonical values): precision / recall / F1 (support)",
        "",
        "| entity | dealcoach | baseline |",
        "|---|---|---|",
    ]
    for name in EVALUATED_ENTITIES:
        o, b = ours.entities.get(name), baseline.entities.get(name)
        if o is None or b is None:
            continue
        lines.append(
            f"| {name} | {o.precision:.3f} / {o.recall:.3f} / {o.f1:.3f} ({o.tp + o.fn})"
            f" | {b.precision:.3f} / {b.recall:.3f} / {b.f1:.3f} |"
        )
    lines += ["", f"Baseline training time: {meta['baseline_train_seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def confusion_png(reports: Dict[str, Report], path: Path) -> None:
    """Intent confusion matrices side by side (rows: expected, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({g for r in reports.values() for g, p in r.intent_pairs for g in (g, p)}
                    - {None})  # fmt: skip
    index = {label: i for i, label in enumerate(labels)}
    figure, axes = plt.subplots(1, len(reports), figsize=(9 * len(reports), 8.5))
    for axis, (name, report) in zip(axes, reports.items(), strict=True):
        grid = [[0] * len(labels) for _ in labels]
        for gold, predicted in report.intent_pairs:
            grid[index[gold]][index.get(predicted, index[gold])] += predicted is not None
        # Colour by share of the row, so that small intents are as readable as big ones.
        shares = [[count / (sum(row) or 1) for count in row] for row in grid]
        axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        axis.set_title(f"{name}: intent accuracy {report.intent_accuracy:.3f}")
        axis.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        axis.set_yticks(range(len(labels)), labels, fontsize=7)
        axis.set_xlabel("predicted")
        axis.set_ylabel("expected")
        for i, row in enumerate(grid):
            for j, count in enumerate(row):
                if count:
                    colour = "white" if shares[i][j] > 0.5 else ("black" if i == j else "darkred")
                    axis.text(j, i, count, ha="center", va="center", fontsize=6, color=colour)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def test_sets(names: Sequence[str] | None) -> List[Path]:
    """The message sets to score: the English blind blocks, newest first, the
    development set, then the Dutch blind blocks, newest first."""
    if names:
        return [Path(n) for n in names]
    english = sorted(BLIND.glob("*/messages.yml"), reverse=True)
    return english + [DEV] + sorted(BLIND_NL.glob("*/messages.yml"), reverse=True)


def language_of(path: Path) -> str:
    """The language a blind set is written in, from its folder."""
    return "nl" if BLIND_NL in path.resolve().parents else "en"


def block_label(path: Path) -> str:
    full = path.resolve()
    return str(full.relative_to(ROOT)) if full.is_relative_to(ROOT) else str(path)


def sample(examples: List[Example], limit: int) -> List[Example]:
    return examples[:: max(1, len(examples) // limit)][:limit] if limit else examples


def play_reviews(model: Path, paths: Sequence[Path], limit: int) -> Dict[str, Any]:
    """Every scripted review over REST against the real servers; scores per file."""
    from testkit.loopback import LoopbackServers
    from testkit.scripted_reviews import load_reviews, run_reviews

    kb = load_knowledge(ROOT / "knowledge")
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="dealcoach-eval-") as workdir:
        servers = LoopbackServers(Path(workdir), model)
        servers.start_actions()
        servers.start_rasa()
        try:
            for path in paths:
                reviews = load_reviews(path, language_of(path))[: limit or None]

                def stored(sender: str, company: str) -> Dict[str, Any] | None:
                    deals = servers.export(sender)
                    return deals[0] if len(deals) == 1 else _named(deals, company)

                report = run_reviews(
                    kb,
                    reviews,
                    lambda s: lambda t: servers.send(s, t),
                    stored,
                    client_questions(),
                    prefix=f"{path.parent.parent.name}-{path.parent.name}-",
                )
                results[block_label(path)] = {
                    **report.summary(),
                    "per_review": [s.as_dict() for s in report.scored],
                    "conversations": {
                        p.review.id: [f"{who}> {text}" for who, text in p.messages]
                        for p in report.played
                    },
                }
        finally:
            servers.stop()
    return results


def client_questions() -> List[str]:
    """How the bot asks which client a review is about (domain.yml, every language's
    variant), each up to its first '?'."""
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [v["text"].split("?")[0] for v in domain["responses"]["utter_which_client"]]


def _named(deals: List[Dict[str, Any]], company: str) -> Dict[str, Any] | None:
    from dealcoach.deals.deal import name_key

    return next((d for d in deals if name_key(d["company"]) == name_key(company)), None)


def sets_markdown(sets: Dict[str, Report], reviews: Dict[str, Any]) -> str:
    """Our scores on every set: the groups, then F1 per entity type; reviews after."""
    names = list(sets)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines.append("| messages | " + " | ".join(str(sets[n].examples) for n in names) + " |")
    lines.append(
        "| intent macro-F1 | " + " | ".join(f"{sets[n].intent_macro_f1:.3f}" for n in names) + " |"
    )
    for label, types in ENTITY_GROUPS:
        row = " | ".join(f"{sets[n].combined(types).f1:.3f}" for n in names)
        lines.append(f"| {label} F1 | {row} |")
    for name in EVALUATED_ENTITIES:
        cells = []
        for n in names:
            s = sets[n].entities.get(name)
            cells.append(f"{s.f1:.3f} ({s.tp + s.fn})" if s else "-")
        lines.append(f"| {name} F1 (support) | " + " | ".join(cells) + " |")
    if reviews:
        lines += [
            "",
            "Whole reviews (scripted, over REST):",
            "",
            "| reviews | facts stored right | extra people | extra roles | "
            "question 3 times in a row | yes/no checks |",
            "|---|---|---|---|---|---|",
        ]
        for path, r in reviews.items():
            lines.append(
                f"| {path} ({r['reviews']}) | {r['right']} of {r['facts']} "
                f"({100 * r['share_right']:.1f}%) | {r['extra_people']} | {r['extra_roles']} | "
                f"{r['reviews_with_a_question_3_times_in_a_row']} reviews | {r['checks']} |"
            )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> Dict[str, Any]:
    import rasa

    args.out.mkdir(parents=True, exist_ok=True)
    ours_parse = model_parser(args.model)
    sets = {block_label(p): sample(load_examples(p), args.limit) for p in test_sets(args.testset)}
    ours = {
        label: evaluate(ours_parse, examples, EVALUATED_ENTITIES)
        for label, examples in sets.items()
    }
    review_files = (
        [Path(p) for p in args.reviews]
        if args.reviews
        else sorted(BLIND.glob("*/reviews.yml"), reverse=True)
        + sorted(BLIND_NL.glob("*/reviews.yml"), reverse=True)
    )
    reviews = play_reviews(args.model, review_files, args.review_limit) if review_files else {}
    headline = next(iter(sets))
    meta: Dict[str, Any] = {
        "sets": {label: len(examples) for label, examples in sets.items()},
        "headline": headline,
        "rasa": rasa.__version__,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
    }
    results: Dict[str, Any] = {
        "meta": meta,
        "dealcoach": {label: scores(report) for label, report in ours.items()},
        "reviews": reviews,
    }

    def in_language(items: Dict[str, Any], language: str) -> Dict[str, Any]:
        return {k: v for k, v in items.items() if language_of(ROOT / k) == language}

    table = sets_markdown(in_language(ours, "en"), in_language(reviews, "en"))
    dutch = in_language(ours, "nl")
    if dutch:
        table += "\nDutch (blind blocks written in Dutch, scored the same way):\n\n"
        table += sets_markdown(dutch, in_language(reviews, "nl"))
    if not args.no_baseline:
        with tempfile.TemporaryDirectory(prefix="dealcoach-baseline-") as workdir:
            model, seconds = train_baseline(Path(workdir), args.baseline_epochs)
            baseline = evaluate(model_parser(model), sets[headline], EVALUATED_ENTITIES)
        meta.update(
            examples=len(sets[headline]),
            testset=headline,
            baseline_epochs=args.baseline_epochs or "rasa default (100)",
            baseline_train_seconds=round(seconds, 1),
        )
        results["baseline"] = scores(baseline)
        table += "\nAgainst the baseline, on " + headline + ":\n\n"
        table += markdown(ours[headline], baseline, meta)
        confusion_png(
            {"dealcoach": ours[headline], "baseline": baseline}, args.out / "eval_confusion.png"
        )
    (args.out / "eval.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (args.out / "eval.md").write_text(table, encoding="utf-8")
    print(table)
    extra = "" if args.no_baseline else ", eval_confusion.png"
    print(f"\nWritten: {args.out}/eval.json, eval.md{extra}")
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=OUR_MODEL)
    parser.add_argument("--testset", action="append", help="a message set (repeatable)")
    parser.add_argument("--reviews", action="append", help="a scripted-review file (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--limit", type=int, default=0, help="score a sample of N messages per set")
    parser.add_argument("--review-limit", type=int, default=0, help="play the first N reviews")
    parser.add_argument("--no-baseline", action="store_true", help="skip Rasa's default pipeline")
    parser.add_argument(
        "--baseline-epochs", type=int, default=None, help="fewer epochs (smoke runs only)"
    )
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    run(args)


if __name__ == "__main__":
    main()
