"""benchmarks.tune on the embedded demo laid out as a data set: folds of the training posts only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.quality.tune import mean_scores, objective

REPO = Path(__file__).resolve().parents[2]


def test_objective_and_fold_means():
    assert mean_scores([[0.2, 0.4, 0.6], [0.4, 0.4, 0.8]]) == [0.3, 0.4, 0.7]
    assert objective([0.3, 0.4, 0.8]) == 0.5


@pytest.mark.slow
def test_tune_chooses_on_folds_of_train_without_reading_val(tmp_path):
    data = tmp_path / "data" / "demo"
    data.mkdir(parents=True)
    (data / "train").symlink_to(REPO / "dataset")  # no val folder: tuning must not need one
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "BENCHMARKS.md").write_text("# kept by hand\n", encoding="utf-8")
    env = dict(os.environ, AMNN_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "benchmarks.tune", "--data-root", str(tmp_path / "data"),
               "--sets", "demo", "--folds", "2", "--work",
               str(tmp_path / "work"), "--docs", str(tmp_path / "docs"),
               "--results", str(tmp_path / "tune.json")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "tune.json").read_text())
    result = results["demo"]
    assert set(result["chosen"]) == {"popular", "text-knn", "image-knn", "multimodal-knn",
                                     "AMNN", "AMNN vote alone", "AMNN memory off",
                                     "AMNN memory off, sequence", "AMNN lexical off",
                                     "AMNN lexical off, memory off", "AMNN paper preset",
                                     "AMNN stop on val loss", "AMNN stop on val loss, memory off",
                                     "AMNN remaining loss", "AMNN remaining loss, memory off"}
    amnn = [c for c in result["candidates"] if c["method"] == "AMNN"]
    assert len(amnn) == 1  # each fold's model chose its own mix: one candidate
    assert "memory choice" not in results
    assert all(len(c["folds"]) == 2 for c in result["candidates"])
    assert all(1 <= epochs <= 60 for epochs in result["chosen"]["AMNN"]["epochs_run"])
    doc = (tmp_path / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "# kept by hand" in doc and "| AMNN |" in doc and "chosen mix" in doc
