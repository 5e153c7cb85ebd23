"""`make eval` end to end on a sample, so that the command never rots.

The real run scores all held-out messages against a fully trained baseline; here
the baseline gets one epoch and the sample is small. Only the shape and sanity of
the output are checked: the quality goals live in the benchmark's own output.
"""

import json
import os
import subprocess
import sys

from tests.conftest import MODEL, ROOT


def test_make_eval_writes_its_tables(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    command = [sys.executable, str(ROOT / "benchmarks" / "nlu_eval.py"), "--model", str(MODEL),
               "--limit", "12", "--baseline-epochs", "1", "--out", str(tmp_path)]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]

    results = json.loads((tmp_path / "eval.json").read_text())
    assert results["meta"]["examples"] == 12
    for side in ("dealcoach", "baseline"):
        scores = results[side]
        assert 0.0 <= scores["intent_accuracy"] <= 1.0
        assert set(scores["groups"]) == {
            "knowledge entities (contract)",
            "other facts (count, title, stance, met, position)",
            "names (company, person)",
        }
        assert isinstance(scores["errors"], list)
    # Our trained model gets most of a sample right; one epoch of the baseline need not.
    assert results["dealcoach"]["intent_accuracy"] >= 0.5

    table = (tmp_path / "eval.md").read_text()
    assert "| measure | dealcoach | baseline | our error / baseline's |" in table
    assert "| intent macro-F1 |" in table
    assert table in run.stdout
    assert (tmp_path / "eval_confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
