"""WIP (issue 11): train the learned models outside Rasa and score rules+learned on block 1 and dev.

Usage: .venv/bin/python benchmarks/learned_quick.py all '{"epochs":6}' '{}' OUTDIR [types,to,print]
"""

import glob
import json
import sys
import time
from pathlib import Path as _P

ROOT = str(_P(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)
from pathlib import Path

from dealcoach.evaluation import EVALUATED_ENTITIES, NAME_ENTITIES, evaluate, load_examples
from dealcoach.extraction import KNOWLEDGE_ENTITIES, EntityExtractor, RuleTable
from dealcoach.knowledge import load_knowledge
from dealcoach.learned import LearnedReader, Settings, load_annotated
from dealcoach.names import NameCues, NameResolver
from dealcoach.understanding import MessageReader, ReadingPolicy

sys.path.insert(0, ROOT + "/nlu_components")
import logging

logging.basicConfig(level=logging.WARNING)
logging.getLogger("dealcoach.learned").setLevel(logging.DEBUG)


def main():
    kb = load_knowledge(ROOT + "/knowledge")
    table = RuleTable.from_knowledge(kb)
    rules = EntityExtractor(table)
    files = (
        sorted(glob.glob(ROOT + "/data/facts/*.yml"))
        if sys.argv[1] == "all"
        else sys.argv[1].split(",")
    )
    settings = Settings.from_dict(json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
    policy = ReadingPolicy.from_dict(json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
    ex = load_annotated([Path(f) for f in files])
    # silver from rasa data
    import importlib.util

    from rasa.shared.nlu.training_data.loading import load_data

    spec = importlib.util.spec_from_file_location(
        "ke", ROOT + "/nlu_components/knowledge_entities.py"
    )
    ke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ke)
    td = load_data(ROOT + "/data/nlu")
    ex += ke._rasa_examples(td, rules)
    print("examples", len(ex))
    t = time.time()
    import tempfile

    out = Path(sys.argv[4]) if len(sys.argv) > 4 else Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    reader = LearnedReader.train(
        ex,
        {
            "intent": sorted({e.intent for e in ex if e.intent}),
            "facts": ke.message_labels(kb),
            "mention": ke.mention_labels(kb),
        },
        out,
        settings,
    )
    print("train s", round(time.time() - t, 1))
    mr = MessageReader(rules, reader, NameResolver(NameCues.from_dict(table.name_cues)), policy)

    def parse(text):
        r = mr.read(text)
        return {"intent": {"name": r.intents[0][0] if r.intents else None}, "entities": r.entities}

    for name in [ROOT + "/tests/nlu/blind/block1/messages.yml", ROOT + "/tests/nlu/dev.yml"]:
        rep = evaluate(parse, load_examples(name), EVALUATED_ENTITIES)
        s = rep.summary()
        print(
            name.split("/")[-2],
            "intent mF1",
            round(rep.intent_macro_f1, 3),
            "acc",
            round(rep.intent_accuracy, 3),
            "knowledge",
            round(rep.combined(KNOWLEDGE_ENTITIES).f1, 3),
            "names",
            round(rep.combined(NAME_ENTITIES).f1, 3),
            {k: v["f1"] for k, v in s["per_entity"].items()},
        )
        json.dump(
            rep.errors, open("/tmp/learned_errors_" + name.split("/")[-2] + ".json", "w"), indent=1
        )
    import yaml

    if len(sys.argv) > 5:
        types = sys.argv[5].split(",")
        exs = yaml.safe_load(open(ROOT + "/tests/nlu/blind/block1/messages.yml"))["examples"]
        for e in exs:
            gold = {t: (e.get("entities") or {}).get(t) for t in types}
            if not any(gold.values()):
                continue
            sc = reader.read_message(e["text"]).facts
            r = mr.read(e["text"])
            got = {
                t: sorted(
                    {x["value"] for x in r.entities if x["entity"] == t and not x.get("negated")}
                )
                for t in types
            }
            if all(sorted(gold[t] or []) == got[t] for t in types):
                continue
            top = {
                t: sorted(
                    (
                        (round(p, 2), l.split("=")[1])
                        for l, p in sc.items()
                        if l.startswith(t + "=")
                    ),
                    reverse=True,
                )[:2]
                for t in types
            }
            print(e["text"][:110], "| gold", gold, "| got", got, "| learned", top)


if __name__ == "__main__":
    main()
