"""`make eval` end to end on a sample, so that the command never rots.

The real run scores every blind block and the development set, plays every scripted
review over REST, and compares with a fully trained baseline; here each set is a
small sample, two reviews are played and the baseline gets one epoch. Only the
shape and sanity of the output are checked: the quality goals live in the
benchmark's own output (docs/benchmarks.md).
"""

import json
import os
import subprocess
import sys

from tests.conftest import MODEL, ROOT


def test_make_eval_writes_its_tables(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    command = [sys.executable, str(ROOT / "benchmarks" / "nlu_eval.py"), "--model", str(MODEL),
               "--limit", "12", "--review-limit", "2", "--baseline-epochs", "1",
               "--out", str(tmp_path)]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]

    results = json.loads((tmp_path / "eval.json").read_text())
    sets = results["meta"]["sets"]
    blocks = sorted((ROOT / "tests" / "nlu" / "blind").glob("*/messages.yml"))
    newest = str(blocks[-1].relative_to(ROOT))
    assert "tests/nlu/dev.yml" in sets and {str(b.relative_to(ROOT)) for b in blocks} <= set(sets)
    assert all(count == 12 for count in sets.values())
    assert results["meta"]["headline"] == newest  # the newest blind block
    for scores in [*results["dealcoach"].values(), results["baseline"]]:
        assert 0.0 <= scores["intent_accuracy"] <= 1.0
        assert set(scores["groups"]) == {
            "knowledge entities (contract)",
            "other facts (count, title, stance, met, position)",
            "names (company, person)",
        }
        assert isinstance(scores["errors"], list)
    # Our trained model gets most of a sample right; one epoch of the baseline need not.
    assert results["dealcoach"]["tests/nlu/dev.yml"]["intent_accuracy"] >= 0.5

    reviews = results["reviews"][newest.replace("messages.yml", "reviews.yml")]
    assert reviews["reviews"] == 2
    assert 0 <= reviews["right"] <= reviews["facts"] and reviews["facts"] > 0
    assert all(len(lines) >= 2 for lines in reviews["conversations"].values())

    table = (tmp_path / "eval.md").read_text()
    assert "| intent macro-F1 |" in table
    assert "Whole reviews (scripted, over REST):" in table
    assert "| measure | dealcoach | baseline | our error / baseline's |" in table
    assert table in run.stdout
    assert (tmp_path / "eval_confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
