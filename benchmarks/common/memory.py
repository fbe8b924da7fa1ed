"""This process's resident memory, now and at its peak while a block runs (Linux /proc).

Shared by the speed benchmark (the input pipelines' memory) and the scale benchmark (each
stage of a training child).

Example:
    >>> with PeakMemory() as memory:
    ...     block = bytearray(64 * 2**20)  # 64 MiB, written (zeroed) page by page
    >>> memory.growth > 32
    True
"""

from __future__ import annotations

import threading
from pathlib import Path


def resident_mib() -> float:
    """This process's resident memory now, in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class PeakMemory:
    """Highest resident memory seen while the `with` block runs, sampled every 5 ms."""

    def __enter__(self):
        self.start = self.peak = resident_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, resident_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_mib())

    @property
    def growth(self) -> float:
        return self.peak - self.start
