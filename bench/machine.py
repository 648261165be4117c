"""How busy the machine is with work that is not the bench's: figures taken while other processes use the
cores are not figures of the provider, so the runner waits for quiet and reports what it could not avoid.

Reads /proc only (Linux): all CPU time from /proc/stat, the bench's own from its process tree."""
from __future__ import annotations

import os
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PATIENCE = 60.0  # seconds wait_for_quiet waits at most; the runner's --quiet-wait sets it


def _busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (all cores), not idle or waiting for I/O."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = list(map(int, fields))
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICK


def tree_seconds(root: int) -> float:
    """CPU seconds of root, its live descendants, and the children it has reaped (cutime, cstime)."""
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(stat[1])
        times[int(entry)] = sum(map(int, stat[11:15]))  # utime stime cutime cstime
    mine, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in mine:
                mine.add(child)
                frontier.append(child)
    return sum(times.get(pid, 0) for pid in mine) / TICK


class OtherLoad:
    """Cores used by processes outside the bench's tree between start() and stop()."""

    def __init__(self):
        self.start()

    def start(self) -> "OtherLoad":
        self._t, self._busy, self._mine = time.perf_counter(), _busy_seconds(), tree_seconds(os.getpid())
        return self

    def stop(self) -> float:
        elapsed = time.perf_counter() - self._t
        busy, mine = _busy_seconds() - self._busy, tree_seconds(os.getpid()) - self._mine
        return max(0.0, (busy - mine) / elapsed) if elapsed > 0 else 0.0


def wait_for_quiet(threshold: float = 0.25, window: float = 1.0, patience: float | None = None) -> float:
    """Wait (at most patience seconds, default PATIENCE) until other processes use less than threshold
    cores over a window; return the last measured load (NaN when not waiting at all)."""
    patience = PATIENCE if patience is None else patience
    if patience <= 0:
        return float("nan")
    deadline = time.monotonic() + patience
    while True:
        meter = OtherLoad()
        time.sleep(window)
        load = meter.stop()
        if load < threshold or time.monotonic() >= deadline:
            return load
