"""`make eval`: our NLU against Rasa's default pipeline, on the held-out test set.

Both parsers are scored by ``dealcoach.evaluation`` on ``tests/nlu/holdout.yml``
(never trained on): intents, and entities at the level of canonical values.

The baseline is what a team would otherwise run: the ``config.yml`` that
``rasa init`` writes (read from the installed Rasa, so it is exactly theirs),
trained on the same examples as our model. Our training files only mark the
names (company, person); the knowledge entities come from rules. So that the
baseline can learn them at all, its copy of the training data also marks every
knowledge entity our knowledge base finds in it, with the canonical value as a
synonym: the annotation a team would have written by hand.

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

from dealcoach.evaluation import (  # noqa: E402
    EVALUATED_ENTITIES,
    NAME_ENTITIES,
    Example,
    Parse,
    Report,
    evaluate,
    load_examples,
)
from dealcoach.extraction import KNOWLEDGE_ENTITIES, EntityExtractor  # noqa: E402
from dealcoach.knowledge import load_knowledge  # noqa: E402

HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
OUR_MODEL = ROOT / "models" / "dealcoach.tar.gz"
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
        axis.imshow(grid, cmap="Blues")
        axis.set_title(f"{name}: intent accuracy {report.intent_accuracy:.3f}")
        axis.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        axis.set_yticks(range(len(labels)), labels, fontsize=7)
        axis.set_xlabel("predicted")
        axis.set_ylabel("expected")
        for i, row in enumerate(grid):
            for j, count in enumerate(row):
                if count:
                    colour = "white" if i == j else "darkred"
                    axis.text(j, i, count, ha="center", va="center", fontsize=6, color=colour)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run(args: argparse.Namespace) -> Dict[str, Any]:
    examples: List[Example] = load_examples(args.testset)
    if args.limit:
        examples = examples[:: max(1, len(examples) // args.limit)][: args.limit]
    ours = evaluate(model_parser(args.model), examples, EVALUATED_ENTITIES)
    with tempfile.TemporaryDirectory(prefix="dealcoach-baseline-") as workdir:
        model, seconds = train_baseline(Path(workdir), args.baseline_epochs)
        baseline = evaluate(model_parser(model), examples, EVALUATED_ENTITIES)
    import rasa

    meta = {
        "testset": str(Path(args.testset).resolve().relative_to(ROOT)),
        "examples": len(examples),
        "rasa": rasa.__version__,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "baseline_epochs": args.baseline_epochs or "rasa default (100)",
        "baseline_train_seconds": round(seconds, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"meta": meta, "dealcoach": scores(ours), "baseline": scores(baseline)}
    (args.out / "eval.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    table = markdown(ours, baseline, meta)
    (args.out / "eval.md").write_text(table, encoding="utf-8")
    confusion_png({"dealcoach": ours, "baseline": baseline}, args.out / "eval_confusion.png")
    print(table)
    print(f"Errors of dealcoach ({len(ours.errors)}):")
    for error in ours.errors:
        print("  " + json.dumps(error, ensure_ascii=False))
    print(f"\nWritten: {args.out}/eval.json, eval.md, eval_confusion.png")
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=OUR_MODEL)
    parser.add_argument("--testset", type=Path, default=HOLDOUT)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--limit", type=int, default=0, help="score a sample of N messages")
    parser.add_argument(
        "--baseline-epochs", type=int, default=None, help="fewer epochs (smoke runs only)"
    )
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    run(args)


if __name__ == "__main__":
    main()
