"""bot.serving.processes: a server's process tree, its CPU time and memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bot.serving import processes


def test_a_process_tree_includes_children_and_their_memory() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert {os.getpid(), child.pid} <= set(processes.process_tree(os.getpid()))
        assert processes.memory_mb(child.pid) > 1
    finally:
        child.kill()
        child.wait()
    assert processes.process_tree(child.pid) == []


def test_cpu_time_grows_while_busy_and_stands_still_while_stopped() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        before = processes.cpu_seconds(busy.pid)
        time.sleep(0.3)
        assert processes.cpu_seconds(busy.pid) > before
        processes.signal_tree([busy.pid], signal.SIGSTOP)
        time.sleep(0.1)
        stopped = processes.cpu_seconds(busy.pid)
        time.sleep(0.3)
        assert processes.cpu_seconds(busy.pid) == stopped
    finally:
        busy.kill()
        busy.wait()
