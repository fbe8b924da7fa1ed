"""Where benchmarks read and write: one place, so a moved module cannot miscount `parents`.

Example:
    >>> (REPO / "benchmarks" / "results") == RESULTS, DOCS.name
    (True, 'docs')
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # benchmarks/common/paths.py -> the checkout
RESULTS = REPO / "benchmarks" / "results"  # every benchmark's JSON; docs and tests read it
DOCS = REPO / "docs"  # BENCHMARKS.md's blocks and the plots
