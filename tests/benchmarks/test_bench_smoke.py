"""`make bench` end to end with tiny numbers, so that it never rots.

Real servers, a real (quickly trained) floor, real messages over REST; checks the shape
and the sanity of what it writes. The speed goals live in the benchmark's output, not
here: no timing thresholds.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import MODEL, ROOT

MESSAGES, AT_ONCE, AT_ONCE_MESSAGES = 10, 2, 6
HISTORY, WINDOW = 12, 4


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    out = tmp_path_factory.mktemp("bench")
    command = [
        sys.executable, "-m", "benchmarks.bench", "--messages", str(MESSAGES),
        "--concurrency", str(AT_ONCE), "--concurrent-messages", str(AT_ONCE_MESSAGES),
        "--warmup", "1", "--skip-train", "--quick-floor", "--model", str(MODEL),
        "--out", str(out), "--long-history", "--history-messages", str(HISTORY),
        "--history-window", str(WINDOW), "--skip-team",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "bench.json").read_text()), (out / "bench.md").read_text()


def ordered(summary):
    values = [summary[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
    return values == sorted(values) and values[0] > 0


def test_every_message_got_an_answer(bench):
    result, _ = bench
    ours, floor = result["ours"], result["floor"]
    assert ours["one_at_a_time"]["messages"] == MESSAGES
    assert floor["one_at_a_time"]["messages"] == MESSAGES
    assert ours["at_once"]["messages"] == AT_ONCE_MESSAGES
    assert ours["at_once"]["conversations_at_once"] == AT_ONCE
    for summary in (ours["one_at_a_time"], ours["at_once"], floor["one_at_a_time"]):
        assert summary["errors"] == 0, summary["first_errors"]
    # Our bot answers every message of a deal review (the quick floor may not).
    assert ours["one_at_a_time"]["no_reply"] == ours["at_once"]["no_reply"] == 0


def test_latencies_memory_and_starts_are_sane(bench):
    result, _ = bench
    ours, floor = result["ours"], result["floor"]
    assert ordered(ours["one_at_a_time"]) and ordered(ours["at_once"])
    assert ordered(floor["one_at_a_time"])
    assert ours["at_once"]["messages_per_s"] > 0
    # A Rasa server holds at least its Python and Rasa; the action server is smaller.
    assert ours["rasa_rss_mb"] > 200 and floor["rasa_rss_mb"] > 200
    assert 20 < ours["actions_rss_mb"] < ours["rasa_rss_mb"]
    assert 0 < ours["rasa_start_s"] <= ours["rasa_first_reply_s"]
    assert 0 < floor["rasa_start_s"] <= floor["rasa_first_reply_s"]
    assert ours["actions_start_s"] > 0 and floor["train_s"] > 0
    seq, fseq = ours["one_at_a_time"], floor["one_at_a_time"]
    assert result["ratio"]["p50"] == round(seq["p50_ms"] / fseq["p50_ms"], 2)


def test_machine_settings_and_goals_are_recorded(bench):
    result, report = bench
    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["memory_gb"] > 0 and machine["cpu"]
    assert result["settings"]["train_timed"] is False and "train_s" not in result
    goals = {g["goal"]: g for g in result["goals"]}
    assert set(goals) == {
        "p50_ratio", "p95_ms", "rasa_rss_mb", "actions_rss_mb", "train_s",
        "long_p50_ratio", "long_p95_ms", "long_rss_growth_mb",
    }  # fmt: skip
    assert goals["train_s"]["met"] is None
    assert goals["p95_ms"]["met"] == (result["ours"]["one_at_a_time"]["p95_ms"] < 150)
    assert goals["rasa_rss_mb"]["value"] == result["ours"]["rasa_rss_mb"]
    assert f"{machine['cores']} cores" in report
    assert "| p50 one at a time (ms) |" in report and "| goal | measured |" in report


def test_the_long_history_is_measured_beside_a_fresh_salesperson(bench):
    result, report = bench
    history = result["long_history"]
    assert (history["messages"], history["window"]) == (HISTORY, WINDOW)
    for part in ("first", "late", "fresh"):
        assert history[part]["messages"] == WINDOW and ordered(history[part])
    assert history["errors"] == history["no_reply"] == 0
    assert history["late_over_fresh_p50"] == round(
        history["late"]["p50_ms"] / history["fresh"]["p50_ms"], 2
    )
    # One hundred holds all twelve messages; the tracker store holds them.
    assert len(history["p50_ms_by_hundred"]) == 1 and history["tracker_db_mb"] > 0
    assert history["tracker_db_mb_with_fresh"] >= history["tracker_db_mb"]
    memory = history["rasa_rss_mb"]
    assert set(memory) == {"after_first_window", "after_history", "after_fresh"}
    assert all(mb > 200 for mb in memory.values())
    goals = {g["goal"]: g for g in result["goals"]}
    assert goals["long_p95_ms"]["value"] == history["late"]["p95_ms"]
    assert f"same salesperson, messages {HISTORY - WINDOW + 1}-{HISTORY}" in report
