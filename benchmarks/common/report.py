"""Writing benchmark figures: mean ± spread over seeds, Markdown tables, marked blocks.

Each benchmark owns one block of `docs/BENCHMARKS.md` between `<!-- NAME:begin -->` and
`<!-- NAME:end -->` and rewrites only that block, so hand-written notes (what was tried
and why) and the other benchmarks' blocks survive a rerun.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Sequence

from amnn.evaluate.metrics import MetricsTable

METRIC_COLUMNS = ("P@1", "P@3", "P@5", "R@1", "R@3", "R@5", "A@1", "A@3", "A@5", "F1@5")
_FIELDS = {"P": "precision", "R": "recall", "A": "accuracy", "F1": "f1"}


def flat_metrics(table: MetricsTable) -> dict[str, float]:
    """The report's columns (P@1 ... F1@5) from one MetricsTable.

    Example:
        >>> from amnn.evaluate.metrics import metrics_at_k
        >>> flat_metrics(metrics_at_k([["a", "b", "c", "d", "e"]], [["a"]], 5))["P@5"]
        0.2
    """
    values = {}
    for column in METRIC_COLUMNS:
        name, k = column.split("@")
        values[column] = float(getattr(table, _FIELDS[name])[int(k) - 1])
    return values


def mean_and_spread(per_seed: Sequence[dict[str, float]]) -> tuple[dict, dict]:
    """Mean and sample standard deviation of each column over seeds (0 for one seed).

    Example:
        >>> mean_and_spread([{"P@1": 0.5}, {"P@1": 0.7}])
        ({'P@1': 0.6}, {'P@1': 0.1414})
    """
    mean, spread = {}, {}
    for column in per_seed[0]:
        values = [row[column] for row in per_seed]
        mean[column] = round(statistics.fmean(values), 4)
        spread[column] = round(statistics.stdev(values), 4) if len(values) > 1 else 0.0
    return mean, spread


def markdown_table(rows: Sequence[dict], columns: Sequence[str] = METRIC_COLUMNS) -> str:
    """Rows of {"method", "mean", "spread", "note"} as a Markdown table of mean ± spread.

    Example:
        >>> print(markdown_table([{"method": "x", "mean": {"P@1": 0.5}, "spread": {"P@1": 0.01},
        ...                        "note": "3 seeds"}], ["P@1"]))
        | method | P@1 | runs |
        |---|---|---|
        | x | 0.500 ± 0.010 | 3 seeds |
    """
    lines = ["| method | " + " | ".join(columns) + " | runs |",
             "|" + "---|" * (len(columns) + 2)]
    for row in rows:
        cells = [f"{row['mean'][c]:.3f} ± {row['spread'][c]:.3f}" for c in columns]
        lines.append(f"| {row['method']} | " + " | ".join(cells) + f" | {row['note']} |")
    return "\n".join(lines)


def replace_block(path: Path, name: str, text: str) -> None:
    """Put `text` between the `name` markers of `path` (appended when absent); atomic.

    Example:
        >>> import tempfile
        >>> doc = Path(tempfile.mkdtemp()) / "B.md"
        >>> replace_block(doc, "speed", "fast"); replace_block(doc, "speed", "faster")
        >>> doc.read_text().count("faster"), doc.read_text().count("fast\\n")
        (1, 0)
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        updated = head + block + rest.split(end, 1)[1]
    else:
        updated = (current.rstrip() + "\n\n" if current.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(updated, encoding="utf-8")
    os.replace(temporary, path)
