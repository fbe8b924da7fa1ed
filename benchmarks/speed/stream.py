"""Streaming prediction: scripts/predict.py over a large text-only CSV, memory bounded.

The CSV is made of real captions repeated to the asked size, with empty `image_names`,
and predict.py runs as a user runs it, in its own process; its peak resident memory comes
from the kernel's accounting of that one child (`os.wait4`), not from sampling.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from benchmarks.common.paths import REPO


def write_text_csv(texts: Sequence[str], rows: int, path: Path) -> Path:
    """A prediction CSV of `rows` posts cycling through `texts`, without photos.

    Example:
        >>> import tempfile
        >>> p = write_text_csv(["a", "b"], 3, Path(tempfile.mkdtemp()) / "x.csv")
        >>> p.read_text().splitlines()
        ['image_names,tweets', ',a', ',b', ',a']
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["image_names", "tweets"])
        for row in range(rows):
            writer.writerow(["", texts[row % len(texts)]])
    return path


def run_with_peak_memory(command: list[str], env: dict) -> tuple[float, float, str]:
    """Run `command`; return (seconds, peak resident MiB of that process, stderr tail)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env, cwd=REPO)
    stderr = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stderr[-500:]  # ru_maxrss is in KiB on Linux


def measure_streaming(model_dir: Path, texts: Sequence[str], rows: int, work: Path) -> dict:
    """Posts per second and peak RSS of predict.py over a `rows`-post text-only CSV."""
    source = write_text_csv(texts, rows, work / "stream_input.csv")
    out = work / "stream_predictions.csv"
    command = [sys.executable, str(REPO / "scripts" / "predict.py"), "--model", str(model_dir),
               "--data", str(source), "--out", str(out), "--overwrite", "--quiet"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    seconds, peak_mib, _ = run_with_peak_memory(command, env)
    with out.open(encoding="utf-8") as stream:
        written = sum(1 for _ in csv.reader(stream)) - 1
    if written != rows:
        raise RuntimeError(f"predict.py wrote {written} rows for {rows} posts")
    source.unlink()
    out.unlink()
    return {"stream_rows": rows, "stream_seconds": round(seconds, 1),
            "stream_posts_per_s": round(rows / seconds, 1),
            "stream_peak_rss_mib": round(peak_mib, 1)}
