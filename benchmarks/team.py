"""The team run of ``make bench``: 1 Rasa replica against 2, same messages, same machine.

Each run starts the whole topology (``testkit.team.TeamTopology``: PostgreSQL, Redis,
two action servers behind HAProxy, the replicas behind HAProxy), warms every replica
up, then sends the same conversations at once through HAProxy's front door as the
main run does (``bench.at_once``): throughput and latencies, and each replica's and
action server's peak memory. The two topologies run one after the other, never
beside each other, so that they share the machine only with its other users.
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List

from benchmarks.measure import peak_rss_bytes
from testkit.team import TeamTopology

MB = 1_000_000


def sender_to(url: str) -> Callable[[str, str], list]:
    def send(sender: str, text: str) -> list:
        request = urllib.request.Request(
            f"{url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read() or b"[]")

    return send


def one_topology(replicas: int, model: Path, at_once: Callable, concurrency: int,
                 messages: int, warmup: int) -> Dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix=f"dealcoach-bench-team{replicas}-") as tmp:
        topology = TeamTopology(Path(tmp), replicas=replicas, action_servers=2, model=model)
        print(f"Team run: {replicas} Rasa replica(s), 2 action servers...", flush=True)
        topology.start_all()
        try:
            for name in topology.replica_ports:  # each replica's first messages are slow
                send = sender_to(topology.replica_url(name))
                for index in range(warmup):
                    send(f"bench-team-warmup-{name}", "my deals" if index % 2 else "hello")
            result = at_once(sender_to(topology.url), concurrency, messages)
            result["replicas"] = replicas
            result["rasa_rss_mb"] = [
                round(peak_rss_bytes(topology.processes[n].pid) / MB, 1)
                for n in topology.replica_ports
            ]
            result["actions_rss_mb"] = [
                round(peak_rss_bytes(topology.processes[n].pid) / MB, 1)
                for n in topology.action_ports
            ]
        finally:
            topology.stop()
    return result


def run_team(model: Path, at_once: Callable, concurrency: int, messages: int,
             warmup: int) -> Dict[str, Any]:  # fmt: skip
    """The same load on 1 and on 2 replicas; the two results and the ratio."""
    runs = [one_topology(n, model, at_once, concurrency, messages, warmup) for n in (1, 2)]
    one, two = runs
    return {
        "runs": runs,
        "throughput_ratio": round(two["messages_per_s"] / one["messages_per_s"], 2)
        if one["messages_per_s"]
        else None,
    }


def team_table(team: Dict[str, Any]) -> List[str]:
    """The team run as a markdown table, 1 replica beside 2."""
    one, two = team["runs"]
    n = one["conversations_at_once"]
    rows = [
        ("messages sent", one["messages"], two["messages"]),
        (f"throughput, {n} conversations at once (messages/s)",
         one["messages_per_s"], two["messages_per_s"]),
        ("p50 / p95 / p99 (ms)", f"{one['p50_ms']} / {one['p95_ms']} / {one['p99_ms']}",
         f"{two['p50_ms']} / {two['p95_ms']} / {two['p99_ms']}"),
        ("peak RSS per Rasa replica (MB)", ", ".join(map(str, one["rasa_rss_mb"])),
         ", ".join(map(str, two["rasa_rss_mb"]))),
        ("peak RSS per action server (MB)", ", ".join(map(str, one["actions_rss_mb"])),
         ", ".join(map(str, two["actions_rss_mb"]))),
        ("errors / messages without reply", f"{one['errors']} / {one['no_reply']}",
         f"{two['errors']} / {two['no_reply']}"),
    ]  # fmt: skip
    return [
        "| team topology (HAProxy, PostgreSQL, Redis, 2 action servers) | 1 Rasa replica "
        "| 2 Rasa replicas |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
        f"Throughput with 2 replicas / with 1: {team['throughput_ratio']}.",
        "",
    ]
