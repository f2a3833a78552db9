"""What the operating system says about a server's processes (Linux ``/proc``).

A server here is a process and its descendants: Rasa's Sanic worker, PostgreSQL's
backends (each of which leads a process group of its own, so a process group is not
enough). Used by the watchdog (is a silent server busy or stuck?) and by the load tests
(memory, pausing PostgreSQL). Standard library only.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (just ``pid`` if it has none; empty if gone)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                children[int(_stat_fields(int(entry.name))[1])].append(int(entry.name))
    if not Path(f"/proc/{pid}").exists():
        return []
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its descendants."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = _stat_fields(member)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS_PER_S


def memory_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def signal_tree(pids: list[int], sig: int) -> None:
    """Send ``sig`` to each of ``pids`` that still exists."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
