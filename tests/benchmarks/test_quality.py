"""The quality benchmark end to end on the embedded demo, laid out as a shared data root.

The demo's `dataset/` plays mediaeval/train and `test_dataset/` mediaeval/val, so the real
script trains real AMNN variants on real photos with the defaults and mediaeval's fold
choices (benchmarks/results/tune.json), scores every method and writes its Markdown block,
plots and JSON; a second run must reuse every finished run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(tmp_path, *extra):
    env = dict(os.environ, AMNN_CACHE_DIR=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "benchmarks.quality",
               "--data-root", str(tmp_path / "data"), "--sets", "mediaeval",
               "--seeds", "1", "2", "--work", str(tmp_path / "work"),
               "--docs", str(tmp_path / "docs"),
               "--results", str(tmp_path / "results" / "quality.json"), *extra]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_quality_benchmark_scores_every_method_and_resumes(tmp_path):
    (tmp_path / "data" / "mediaeval").mkdir(parents=True)
    (tmp_path / "data" / "mediaeval" / "train").symlink_to(REPO / "dataset")
    (tmp_path / "data" / "mediaeval" / "val").symlink_to(REPO / "test_dataset")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "BENCHMARKS.md").write_text("# kept by hand\n", encoding="utf-8")
    _run(tmp_path)

    result = json.loads((tmp_path / "results" / "quality.json").read_text(encoding="utf-8"))
    methods = result["results"]["mediaeval"]
    assert set(methods) == {"ceiling", "popular", "text-knn", "image-knn", "multimodal-knn", "AMNN",
                            "AMNN · vote alone", "AMNN · memory off", "AMNN · sequence",
                            "AMNN · sequence, memory off", "AMNN lexical off",
                            "AMNN paper preset", "AMNN paper preset · rank"}
    assert methods["AMNN"]["seeds"] == [1, 2] and methods["popular"]["seeds"] == [0]
    assert methods["AMNN"]["settings"] == {}  # the headline row is the defaults
    assert len(methods["AMNN"]["mixes"]) == 2  # what each seed's train.py chose is kept
    assert {c["data_set"] for c in result["network_check"]} == {"mediaeval"}
    for entry in methods.values():
        assert 0.0 <= entry["mean"]["P@1"] <= 1.0 and entry["mean"]["A@5"] >= entry["mean"]["A@1"]
    # No method can score above the ceiling: a method over it would be a scoring bug.
    for column in ("P@1", "P@5", "R@5", "A@5"):
        assert all(entry["mean"][column] <= methods["ceiling"]["mean"][column] + 1e-9
                   for entry in methods.values())
    assert {c["metric"] for c in result["goal_check"]} == {"P@1", "R@5", "A@5"}
    assert all(c["ceiling"] == methods["ceiling"]["mean"][c["metric"]]
               for c in result["goal_check"])
    doc = (tmp_path / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "# kept by hand" in doc and "| AMNN paper preset |" in doc
    assert (tmp_path / "docs" / "quality_mediaeval.png").stat().st_size > 1000

    runs_log = tmp_path / "work" / "runs.jsonl"
    finished = runs_log.read_text(encoding="utf-8")
    again = _run(tmp_path)  # everything is finished: nothing is trained again
    assert runs_log.read_text(encoding="utf-8") == finished
    assert "done in" not in again.stderr


def test_missing_data_root_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "benchmarks.quality",
                           "--data-root", str(tmp_path / "nowhere")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 2 and "AMNN_SHARED_DATA" in done.stderr
