"""The resumable record of a long benchmark: one JSON line per finished run, keyed by its settings.

A benchmark that is interrupted (Ctrl-C, a closed Colab tab) runs again from where it
stopped: each finished run is appended as soon as it ends, and a run whose key is already
in the log is read back instead of recomputed. A key holds every setting the run used, so
a changed setting is a new run.

Example:
    >>> import tempfile
    >>> log = RunLog(Path(tempfile.mkdtemp()) / "runs.jsonl")
    >>> log.get("k") is None
    True
    >>> log.add("k", [0.5, 0.6])
    >>> RunLog(log.path).get("k")
    [0.5, 0.6]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from benchmarks.common.paths import REPO


class RunLog:
    """Finished runs in a JSON-lines file; `restart=True` forgets them first."""

    def __init__(self, path: Path, restart: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if restart:
            self.path.unlink(missing_ok=True)
        self._values: dict[str, Any] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line) if line.strip() else {}
                if "value" in record:  # lines of an older layout are runs to redo
                    self._values[record["key"]] = record["value"]

    def get(self, key: str) -> Optional[Any]:
        """The value of the finished run `key`, or None when it has not run."""
        return self._values.get(key)

    def add(self, key: str, value: Any) -> None:
        """Record a finished run at once, so an interruption keeps it."""
        self._values[key] = value
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps({"key": key, "value": value}) + "\n")


def shared_data_root() -> Path:
    """The team's real posts: $AMNN_SHARED_DATA, else `../shared/data` beside the checkout.

    Example:
        >>> shared_data_root().name
        'data'
    """
    default = REPO.parent / "shared" / "data"
    return Path(os.environ.get("AMNN_SHARED_DATA", default))


def missing_sets(data_root: Path, sets: Sequence[str]) -> bool:
    """Print one error line and return True when a set has no `train` folder under `data_root`.

    Example:
        >>> missing_sets(Path("/nowhere"), ["mediaeval"])
        True
    """
    missing = [name for name in sets if not (Path(data_root) / name / "train").is_dir()]
    if missing:
        print(f"error: {data_root} has no {missing} train folders; pass --data-root or set "
              "AMNN_SHARED_DATA", file=sys.stderr)
    return bool(missing)
