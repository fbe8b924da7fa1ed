"""`python benchmarks/NAME.py` works like `python -m benchmarks.NAME`, from any folder."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _entry_points():
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"):
            yield path


def test_every_benchmark_entry_point_restarts_itself_as_the_module():
    missing = []
    for path in _entry_points():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {node.func.id for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        if "run_as_module" not in calls:
            missing.append(path.name)
    assert list(_entry_points()), "no benchmark entry points found"
    assert missing == []


def test_a_benchmark_run_as_a_file_from_another_folder_parses_its_arguments(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "segmentation.py"), "--help"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--labels" in done.stdout
