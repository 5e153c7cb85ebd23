"""``make bench``: how fast dealcoach answers, how much memory it takes, how long it trains.

Starts the action server and the Rasa server on loopback (``testkit.loopback``) and
a floor beside them, a bare Rasa assistant (``benchmarks.floor``), then over the REST
webhook:

1. sends ``--messages`` messages of deal-review conversations one at a time, each
   message to our server and then the same text to the floor, so both are measured
   under the same load of the machine; every conversation has its own sender id;
2. runs ``--concurrency`` conversations at once on our server for
   ``--concurrent-messages`` messages (latency and messages per second);
3. reads each server's peak memory (VmHWM, with its child processes);
4. times ``rasa train`` of the project into a temporary folder, from an empty
   training cache, as ``make train`` after a fresh clone (``--skip-train``: not);
5. with ``--long-history``: one salesperson sends ``--history-messages`` (1,200)
   messages of the same conversations under one sender id, then a fresh salesperson
   sends the last ``--history-window`` (200) of them: latency of the first and the
   last window against the fresh salesperson's (same messages, no history), the
   tracker database's size and the
   Rasa server's memory after each (issue 13: a message's cost must not grow with the
   salesperson's history). ``--long-history-only`` runs the servers and this alone.
6. the team run (``benchmarks/team.py``): the whole team topology (HAProxy,
   PostgreSQL, Redis, two action servers) with 1 and then with 2 Rasa replicas, the
   same ``--concurrency`` conversations at once for ``--concurrent-messages``
   messages through HAProxy: throughput, latencies, each replica's peak memory.
   ``--skip-team`` leaves it out, ``--team-only`` runs it alone.

Writes ``bench.json`` and ``bench.md`` into ``--out`` (``results/``).
Run: ``make bench`` or ``.venv/bin/python -m benchmarks.bench --help``.
The smoke test (``tests/benchmarks``) runs it with tiny numbers and ``--quick-floor``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from benchmarks.conversations import conversation, conversations
from benchmarks.floor import Floor
from benchmarks.measure import (
    file_bytes,
    git_commit,
    latency_summary,
    machine,
    peak_rss_bytes,
    rss_bytes,
)
from dealcoach.settings import ROOT
from testkit.loopback import DEFAULT_MODEL, RASA, LoopbackServers, rasa_env

MB = 1_000_000

#: The speed goals of issue 6: (key, what, limit, unit); p50 "at most", the rest "under".
GOALS = (
    ("p50_ratio", "p50 one at a time, ours/floor", 1.5, "x"),
    ("p95_ms", "p95 one at a time", 150, "ms"),
    ("rasa_rss_mb", "Rasa server peak RSS", 1500, "MB"),
    ("actions_rss_mb", "action server peak RSS", 200, "MB"),
    ("train_s", "make train", 300, "s"),
)
#: The goals of issue 13, with --long-history: late messages as fast as a fresh start.
LONG_GOALS = (
    ("long_p50_ratio", "p50 at the last messages of a long history, over a fresh "
     "salesperson's", 1.2, "x"),
    ("long_p95_ms", "p95 at the last messages of a long history", 150, "ms"),
    ("long_rss_growth_mb", "Rasa server RSS growth over the long history (after its "
     "first window to its end)", 50, "MB"),
)  # fmt: skip
AT_MOST = {"p50_ratio", "long_p50_ratio"}


class Timings:
    """Latencies of one server, with the failures and the slowest messages."""

    def __init__(self) -> None:
        self.seconds: List[float] = []
        self.errors: List[str] = []
        self.silent = 0  # messages the bot answered with nothing
        self.slowest: List[tuple] = []
        self._lock = threading.Lock()

    def timed(self, send: Callable[[str, str], list], sender: str, text: str) -> Optional[float]:
        """Send one message and record it; its seconds (None when it failed)."""
        started = time.perf_counter()
        try:
            replies = send(sender, text)
        except Exception as error:  # noqa: BLE001 (a failed message is a result too)
            with self._lock:
                self.errors.append(f"{text!r}: {error}")
            return None
        took = time.perf_counter() - started
        with self._lock:
            self.seconds.append(took)
            self.silent += not replies
            self.slowest = sorted(self.slowest + [(took, text)], reverse=True)[:5]
        return took

    def summary(self) -> Dict[str, Any]:
        return {
            **latency_summary(self.seconds),
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            "no_reply": self.silent,
            "slowest": [{"ms": round(s * 1000, 1), "text": t} for s, t in self.slowest],
        }


def first_reply_after(
    send: Callable[[str, str], list], spawned_at: float, text: str, need_text: bool = True
) -> float:
    """Seconds from a server's spawn to its first answer over the webhook.

    ``need_text``: the answer must hold a message (a quickly trained floor may say nothing).
    """
    if not send("bench-first", text) and need_text:
        raise RuntimeError(f"no reply to {text!r}")
    return time.monotonic() - spawned_at


def warm_up(targets: Sequence[Callable[[str, str], list]], count: int) -> None:
    """The first few messages of a fresh server are slower (graphs built on first use)."""
    _, messages = conversation(0)
    for text in messages[:count]:
        for send in targets:
            send("bench-warmup", text)


def one_at_a_time(ours: Timings, floor: Timings, ours_send: Callable, floor_send: Callable,
                  count: int) -> None:  # fmt: skip
    sent = 0
    for index, _, messages in conversations():
        for text in messages:
            if sent == count:
                return
            sender = f"bench-seq-{index}"
            ours.timed(ours_send, sender, text)
            floor.timed(floor_send, sender, text)
            sent += 1


def at_once(send: Callable, conversations_at_once: int, count: int) -> Dict[str, Any]:
    """``conversations_at_once`` senders, each running conversation after conversation,
    until ``count`` messages were sent; latencies and messages per second."""
    timings, lock = Timings(), threading.Lock()
    numbers, budget = itertools.count(10_000), [count]

    def take_one() -> bool:
        with lock:
            if budget[0] == 0:
                return False
            budget[0] -= 1
            return True

    def sender_loop() -> None:
        while True:
            with lock:
                index = next(numbers)
            _, messages = conversation(index)
            for text in messages:
                if not take_one():
                    return
                timings.timed(send, f"bench-many-{index}", text)

    threads = [threading.Thread(target=sender_loop) for _ in range(conversations_at_once)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        **timings.summary(),
        "conversations_at_once": conversations_at_once,
        "seconds": round(wall, 1),
        "messages_per_s": round(len(timings.seconds) / wall, 2),
    }


def history_messages(count: int) -> List[str]:
    """The first ``count`` messages of one salesperson using the coach day after day:
    the bench's conversations one after the other (reviews, advice, briefs, learning,
    quizzes, managing deals), all under the same sender id."""
    texts: List[str] = []
    for _, _, messages in conversations(start=1_000):
        texts += messages
        if len(texts) >= count:
            return texts[:count]
    return texts  # pragma: no cover (conversations never end)


def long_history(servers: LoopbackServers, total: int, window: int) -> Dict[str, Any]:
    """One salesperson's ``total`` messages, then a fresh salesperson sending the last
    ``window`` of them (the same messages without the history), on the same servers:
    latencies of the first and the last window and of the fresh salesperson, the median
    of every hundred messages, and the tracker database's size and the Rasa server's
    memory after each part."""
    texts = history_messages(total)
    window = min(window, total)
    every, first, late, fresh = Timings(), Timings(), Timings(), Timings()
    by_hundred: List[List[float]] = []
    memory: Dict[str, float] = {}
    for number, text in enumerate(texts, start=1):
        took = every.timed(servers.send, "bench-long-history", text)
        # Sorted into the windows after the fact: every message is sent the same way.
        for timings, inside in ((first, number <= window), (late, number > total - window)):
            if inside and took is not None:
                timings.seconds.append(took)
        if took is not None:
            if (number - 1) % 100 == 0:
                by_hundred.append([])
            by_hundred[-1].append(took)
        if number == window:
            memory["after_first_window"] = _mb(rss_bytes(servers.rasa.pid))
        if number % 200 == 0:
            print(f"  long history: {number}/{total} messages", flush=True)
    memory["after_history"] = _mb(rss_bytes(servers.rasa.pid))
    tracker_after_history = file_bytes(servers.tracker_db)
    for text in texts[total - window :]:
        fresh.timed(servers.send, "bench-fresh-salesperson", text)
    memory["after_fresh"] = _mb(rss_bytes(servers.rasa.pid))
    late_summary, fresh_summary = late.summary(), fresh.summary()
    return {
        "messages": total,
        "window": window,
        "first": first.summary(),
        "late": late_summary,
        "fresh": fresh_summary,
        "late_over_fresh_p50": round(late_summary["p50_ms"] / fresh_summary["p50_ms"], 2),
        "errors": len(every.errors) + len(fresh.errors),
        "no_reply": every.silent + fresh.silent,
        "tracker_db_mb": _mb(tracker_after_history),
        "tracker_db_mb_with_fresh": _mb(file_bytes(servers.tracker_db)),
        "rasa_rss_mb": memory,
        "rasa_rss_growth_mb": round(memory["after_history"] - memory["after_first_window"], 1),
        "p50_ms_by_hundred": [latency_summary(b).get("p50_ms") for b in by_hundred],
    }


def time_training(folder: Path) -> float:
    """Seconds ``rasa train`` of the project takes, as ``make train`` runs it, into
    ``folder`` with an empty training cache (nothing reused from earlier trainings)."""
    env = rasa_env(RASA_CACHE_DIRECTORY=str(folder / "cache"))
    started = time.monotonic()
    with open(folder / "train.log", "ab") as log:
        subprocess.run(
            [RASA, "train", "--fixed-model-name", "bench", "--out", str(folder / "models"),
             "--quiet"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    return time.monotonic() - started


def _mb(value: int) -> float:
    return round(value / MB, 1)


def run(args: argparse.Namespace) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(ROOT),
        "machine": machine(),
        "settings": {
            "messages": args.messages,
            "concurrency": args.concurrency,
            "concurrent_messages": args.concurrent_messages,
            "warmup_messages": args.warmup,
            "train_timed": not args.skip_train,
            "floor_config": "quick (smoke test)" if args.quick_floor else "rasa init",
            "long_history": args.long_history or args.long_history_only,
            "history_messages": args.history_messages,
            "history_window": args.history_window,
            "team": not args.skip_team,
        },
    }
    if args.long_history_only:
        return run_long_history_only(args, result)
    if args.team_only:
        result["team"] = team_run(args)
        result["machine"]["load_average_end"] = machine()["load_average"]
        result["goals"] = goals(result)
        return result
    with tempfile.TemporaryDirectory(prefix="dealcoach-bench-") as tmp:
        work = Path(tmp)
        (work / "ours").mkdir()
        floor = Floor(work / "floor")
        print("Training the floor (rasa init's assistant)...", flush=True)
        floor_train_s = floor.train(quick=args.quick_floor)
        ours = LoopbackServers(work / "ours", model=args.model)
        ours_timings, floor_timings = Timings(), Timings()
        try:
            print("Starting the action server and the Rasa server...", flush=True)
            ours.start_actions()
            ours.start_rasa()
            ours_first = first_reply_after(ours.send, ours.spawned_at["rasa"], "my deals")
            floor.start()
            floor_first = first_reply_after(
                floor.send, floor.spawned_at, "hello", need_text=not args.quick_floor
            )
            warm_up([ours.send, floor.send], args.warmup)
            print(f"{args.messages} messages one at a time (ours, then the floor)...", flush=True)
            one_at_a_time(ours_timings, floor_timings, ours.send, floor.send, args.messages)
            floor_rss = peak_rss_bytes(floor.process.pid)
            floor.stop()
            print(f"{args.concurrency} conversations at once...", flush=True)
            many = at_once(ours.send, args.concurrency, args.concurrent_messages)
            rasa_rss = peak_rss_bytes(ours.rasa.pid)
            actions_rss = peak_rss_bytes(ours.actions.pid)
            if args.long_history:
                print(f"Long history: {args.history_messages} messages...", flush=True)
                result["long_history"] = long_history(
                    ours, args.history_messages, args.history_window
                )
        finally:
            ours.stop()
            floor.stop()
        result["ours"] = {
            "one_at_a_time": ours_timings.summary(),
            "at_once": many,
            "rasa_rss_mb": _mb(rasa_rss),
            "actions_rss_mb": _mb(actions_rss),
            "rasa_start_s": round(ours.ready_after["rasa"], 1),
            "rasa_first_reply_s": round(ours_first, 1),
            "actions_start_s": round(ours.ready_after["actions"], 1),
        }
        result["floor"] = {
            "one_at_a_time": floor_timings.summary(),
            "rasa_rss_mb": _mb(floor_rss),
            "rasa_start_s": round(floor.ready_after, 1),
            "rasa_first_reply_s": round(floor_first, 1),
            "train_s": round(floor_train_s, 1),
        }
        if not args.skip_train:
            print("Timing make train (rasa train from an empty cache)...", flush=True)
            (work / "train").mkdir()
            result["train_s"] = round(time_training(work / "train"), 1)
    if not args.skip_team:
        result["team"] = team_run(args)
    result["machine"]["load_average_end"] = machine()["load_average"]
    seq, floor_seq = result["ours"]["one_at_a_time"], result["floor"]["one_at_a_time"]
    result["ratio"] = {
        "p50": round(seq["p50_ms"] / floor_seq["p50_ms"], 2),
        "p95": round(seq["p95_ms"] / floor_seq["p95_ms"], 2),
    }
    result["goals"] = goals(result)
    return result


def team_run(args: argparse.Namespace) -> Dict[str, Any]:
    from benchmarks.team import run_team

    return run_team(args.model, at_once, args.concurrency, args.concurrent_messages, args.warmup)


def run_long_history_only(args: argparse.Namespace, result: Dict[str, Any]) -> Dict[str, Any]:
    """``--long-history-only``: our servers and the long-history run, nothing else."""
    with tempfile.TemporaryDirectory(prefix="dealcoach-bench-") as tmp:
        ours = LoopbackServers(Path(tmp), model=args.model)
        try:
            print("Starting the action server and the Rasa server...", flush=True)
            ours.start_actions()
            ours.start_rasa()
            warm_up([ours.send], args.warmup)
            print(f"Long history: {args.history_messages} messages...", flush=True)
            result["long_history"] = long_history(ours, args.history_messages, args.history_window)
        finally:
            ours.stop()
    result["machine"]["load_average_end"] = machine()["load_average"]
    result["goals"] = goals(result)
    return result


def goals(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each speed goal with the measured value and whether it was met (None: not measured)."""
    ours, history = result.get("ours"), result.get("long_history")
    measured: Dict[str, Any] = {}
    listed = list(LONG_GOALS) if history else []
    if ours is not None:
        listed = list(GOALS) + listed
        measured.update(
            p50_ratio=result["ratio"]["p50"],
            p95_ms=ours["one_at_a_time"]["p95_ms"],
            rasa_rss_mb=ours["rasa_rss_mb"],
            actions_rss_mb=ours["actions_rss_mb"],
            train_s=result.get("train_s"),
        )
    if history:
        measured.update(
            long_p50_ratio=history["late_over_fresh_p50"],
            long_p95_ms=history["late"]["p95_ms"],
            long_rss_growth_mb=history["rasa_rss_growth_mb"],
        )
    checked = []
    for key, what, limit, unit in listed:
        value = measured[key]
        met: Optional[bool] = None
        if value is not None:
            met = value <= limit if key in AT_MOST else value < limit
        checked.append({"goal": key, "what": what, "value": value, "limit": limit,
                        "unit": unit, "met": met})  # fmt: skip
    return checked


def markdown(result: Dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# make bench, {result['when']} (commit {result['commit']})",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, "
        f"load average {' '.join(map(str, m['load_average']))} at the start and "
        f"{' '.join(map(str, m['load_average_end']))} at the end; Python {m['python']}, "
        f"Rasa {m['rasa']}, rasa-sdk {m['rasa_sdk']}.",
        "",
    ]
    if "ours" in result:
        lines += speed_tables(result)
    if "long_history" in result:
        lines += long_history_table(result["long_history"])
    if "team" in result:
        from benchmarks.team import team_table

        lines += team_table(result["team"])
    if result["goals"]:
        lines += [
            "| goal | measured | limit | met |",
            "|---|---|---|---|",
        ]
    for goal in result["goals"]:  # none for the team run alone
        met = {True: "yes", False: "**no**", None: "not measured"}[goal["met"]]
        value = "" if goal["value"] is None else f"{goal['value']} {goal['unit']}"
        bound = "at most" if goal["goal"] in AT_MOST else "under"
        limit = f"{bound} {goal['limit']} {goal['unit']}"
        lines.append(f"| {goal['what']} | {value} | {limit} | {met} |")
    if "ours" in result:
        lines += ["", "Slowest messages one at a time (dealcoach):", ""]
        seq = result["ours"]["one_at_a_time"]
        lines += [f"- {s['ms']} ms: {s['text']}" for s in seq["slowest"]]
    return "\n".join(lines) + "\n"


def long_history_table(history: Dict[str, Any]) -> List[str]:
    """The long-history run as a markdown table, with the curve per hundred messages."""
    n, w = history["messages"], history["window"]
    parts = (
        (f"one salesperson, messages 1-{w:,}", history["first"], "after_first_window"),
        (f"same salesperson, messages {n - w + 1:,}-{n:,}", history["late"], "after_history"),
        (
            f"a fresh salesperson, the same {w:,} messages, afterwards",
            history["fresh"],
            "after_fresh",
        ),
    )
    lines = [
        "| long history | p50 (ms) | p95 (ms) | Rasa server RSS after (MB) |",
        "|---|---|---|---|",
    ]
    for what, summary, memory in parts:
        lines.append(
            f"| {what} | {summary['p50_ms']} | {summary['p95_ms']} | "
            f"{history['rasa_rss_mb'][memory]} |"
        )
    curve = " ".join(str(ms) for ms in history["p50_ms_by_hundred"])
    return lines + [
        "",
        f"Tracker database after the {n:,} messages: {history['tracker_db_mb']} MB. "
        f"Errors / messages without reply: {history['errors']} / {history['no_reply']}. "
        f"p50 of every hundred messages (ms): {curve}.",
        "",
    ]


def speed_tables(result: Dict[str, Any]) -> List[str]:
    ours, floor = result["ours"], result["floor"]
    seq, many, fseq = ours["one_at_a_time"], ours["at_once"], floor["one_at_a_time"]
    ratio = result["ratio"]
    n = many["conversations_at_once"]
    train = result.get("train_s")
    rows = [
        ("messages one at a time", seq["messages"], fseq["messages"], ""),
        ("p50 one at a time (ms)", seq["p50_ms"], fseq["p50_ms"], ratio["p50"]),
        ("p95 one at a time (ms)", seq["p95_ms"], fseq["p95_ms"], ratio["p95"]),
        ("p99 one at a time (ms)", seq["p99_ms"], fseq["p99_ms"], ""),
        (f"p50 / p95 / p99, {n} conversations at once (ms)",
         f"{many['p50_ms']} / {many['p95_ms']} / {many['p99_ms']}", "", ""),
        (f"throughput, {n} at once (messages/s)", many["messages_per_s"], "", ""),
        ("peak RSS, Rasa server (MB)", ours["rasa_rss_mb"], floor["rasa_rss_mb"], ""),
        ("peak RSS, action server (MB)", ours["actions_rss_mb"], "", ""),
        ("Rasa server: start until it answers / first reply (s)",
         f"{ours['rasa_start_s']} / {ours['rasa_first_reply_s']}",
         f"{floor['rasa_start_s']} / {floor['rasa_first_reply_s']}", ""),
        ("action server: start until it answers (s)", ours["actions_start_s"], "", ""),
        ("training (s)", "not timed" if train is None else train, floor["train_s"], ""),
        ("errors / messages without reply", f"{seq['errors'] + many['errors']} / "
         f"{seq['no_reply'] + many['no_reply']}", f"{fseq['errors']} / {fseq['no_reply']}", ""),
    ]  # fmt: skip
    return [
        "| | dealcoach | floor (rasa init) | dealcoach/floor |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
    ]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="sent one at a time")
    parser.add_argument("--concurrency", type=int, default=8, help="conversations at once")
    parser.add_argument("--concurrent-messages", type=int, default=300,
                        help="messages sent by the conversations at once, in all")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=5, help="messages not counted, per server")
    parser.add_argument("--skip-train", action="store_true", help="do not time make train")
    parser.add_argument("--quick-floor", action="store_true",
                        help="a floor without TensorFlow, quick to train (smoke test)")  # fmt: skip
    parser.add_argument(
        "--long-history",
        action="store_true",
        help="also one salesperson's long history beside a fresh one",
    )
    parser.add_argument(
        "--long-history-only",
        action="store_true",
        help="only the long history (no floor, no other runs, no training)",
    )
    parser.add_argument(
        "--history-messages", type=int, default=1200, help="messages of the long history"
    )
    parser.add_argument(
        "--history-window",
        type=int,
        default=200,
        help="messages compared at its start, its end and for a fresh one",
    )
    parser.add_argument(
        "--skip-team", action="store_true", help="leave out the 1-vs-2-replica team run"
    )
    parser.add_argument(
        "--team-only", action="store_true", help="only the team run (no floor, no training)"
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if not args.model.is_file():
        print(f"bench: no trained model at {args.model} (run `make train`)", file=sys.stderr)
        return 1
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    report = markdown(result)
    (args.out / "bench.md").write_text(report)
    print(report)
    print(f"Written: {args.out / 'bench.json'}, {args.out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
