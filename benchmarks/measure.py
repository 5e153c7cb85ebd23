"""What ``make bench`` measures with: latency summaries, peak memory, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Sequence

PROC = Path("/proc")


def latency_summary(seconds: Sequence[float]) -> Dict[str, Any]:
    """p50/p95/p99, mean and max in milliseconds (percentiles interpolated linearly)."""
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"messages": 0}
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "messages": len(ms),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "max_ms": round(ms[-1], 1),
    }


def _children(pid: int) -> List[int]:
    found = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return found


def process_tree(pid: int) -> List[int]:
    """``pid`` and every process below it."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def peak_rss_bytes(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process, plus its children's, in bytes.

    The children's peaks are added as if they coincided: an upper bound."""
    total = 0
    for member in process_tree(pid):
        try:
            status = (PROC / str(member) / "status").read_text()
        except OSError:
            continue  # exited meanwhile
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) * 1024
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory now (VmRSS) of a process and its children, in bytes."""
    total = 0
    for member in process_tree(pid):
        try:
            status = (PROC / str(member) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def file_bytes(path: Path) -> int:
    """A SQLite database's size on disk, with its journal or WAL files."""
    parts = (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
    return sum(p.stat().st_size for p in parts if p.exists())


def machine() -> Dict[str, Any]:
    """Cores, memory, CPU model, load and versions of the machine the bench runs on."""
    meminfo = (PROC / "meminfo").read_text()
    total_kb = next(int(line.split()[1]) for line in meminfo.splitlines() if "MemTotal" in line)
    cpu = "unknown"
    for line in (PROC / "cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(total_kb / 1024**2, 1),
        "cpu": cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "rasa": metadata.version("rasa"),
        "rasa_sdk": metadata.version("rasa-sdk"),
    }


def git_commit(root: Path) -> str:
    """The checked-out commit, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return head + ("+changes" if dirty else "") if head else "unknown"
