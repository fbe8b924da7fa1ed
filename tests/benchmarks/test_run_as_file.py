"""`python benchmarks/NAME.py` and `python benchmarks/FAMILY` (the folder) work like
`python -m benchmarks.NAME` and `python -m benchmarks.FAMILY`, from any folder."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _entry_points():
    for path in sorted((REPO / "benchmarks").rglob("*.py")):
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"):
            yield path


def test_every_benchmark_entry_point_restarts_itself_as_the_module():
    missing = []
    for path in _entry_points():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {node.func.id for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        if "run_as_module" not in calls:
            missing.append(str(path.relative_to(REPO)))
    assert list(_entry_points()), "no benchmark entry points found"
    assert missing == []


@pytest.mark.parametrize("target, flag", [
    ("segmentation", "--labels"),  # a family: the folder runs its __main__.py
    ("tune.py", "--folds"),  # a command kept at the top, forwarding into its family
    ("speed/extract.py", "--images"),  # a family's child process, run as a file
])
def test_a_benchmark_run_as_a_file_from_another_folder_parses_its_arguments(tmp_path, target,
                                                                            flag):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / target), "--help"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert flag in done.stdout
