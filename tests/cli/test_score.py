"""Tests of scripts/result_accuracy.py, scripts/_bootstrap.py and amnn.evaluate.plots."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from amnn.errors import DataError
from amnn.data.hashtags import parse_hashtags
from amnn.evaluate.metrics import metrics_at_k
from amnn.atomic_files import atomic_output
from amnn.train.curves import plot_training_curves

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "result_accuracy.py"

POSTS = pd.DataFrame({
    "image_names": ["a.jpg", "b.jpg", "c.jpg", "d.jpg"],
    "tweets": ["storm", "marathon", "quiet", "quake"],
    "hashtags": ["#Sandy nyc", "['Boston', 'marathon']", "", "nepal"],
    "predicted_hashtags": ["sandy boston nyc", "marathon marathon boston", "sandy", "sandy"],
})


@pytest.fixture(scope="module")
def script():
    """The program behind scripts/result_accuracy.py, run in this process."""
    return importlib.import_module("amnn.cli.score")


@pytest.fixture
def pred_csv(tmp_path):
    path = tmp_path / "val.preds.csv"  # a dot in the stem must survive the default names
    POSTS.to_csv(path, index=False)
    return path


def expected_table(max_k):
    return metrics_at_k([c.split() for c in POSTS["predicted_hashtags"]],
                        [parse_hashtags(c) for c in POSTS["hashtags"]], max_k)


def test_default_outputs_match_metrics_at_k(script, pred_csv, capsys):
    assert script.main([str(pred_csv), "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    # k=1: hits 1, 1, 0; recall 1/2, 1/2, 0; F1 = 2(2/3)(1/3) / (2/3 + 1/3) = 4/9.
    assert " 1  0.6667  0.3333  0.6667  0.4444" in out
    assert "evaluated 3 posts; skipped 1" in out
    stem = pred_csv.parent / "val.preds_metrics"
    report = json.loads(Path(f"{stem}.json").read_text())
    expected = expected_table(3).to_dict()
    assert {key: report[key] for key in expected} == expected
    assert report["truth_column"] == "hashtags"
    frame = pd.read_csv(f"{stem}.csv")
    assert frame["recall"].tolist() == pytest.approx(expected["recall"])
    assert Path(f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in pred_csv.parent.iterdir() if p.name.endswith(".tmp")]


def test_metrics_never_replace_a_file_without_overwrite_nor_an_input(script, pred_csv,
                                                                     capsys):
    assert script.main([str(pred_csv), "--top-k", "3"]) == 0
    stem = pred_csv.parent / "val.preds_metrics"
    before = {suffix: Path(f"{stem}{suffix}").read_bytes() for suffix in (".csv", ".json", ".png")}
    capsys.readouterr()
    assert script.main([str(pred_csv), "--top-k", "1"]) == 2  # checked before scoring
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == (
        f"error: {stem}.csv exists; pass --overwrite to replace it or choose another --csv\n")
    assert {s: Path(f"{stem}{s}").read_bytes() for s in before} == before
    assert script.main([str(pred_csv), "--top-k", "1", "--overwrite"]) == 0
    assert all(Path(f"{stem}{s}").read_bytes() != before[s] for s in before)
    capsys.readouterr()
    assert script.main([str(pred_csv), "--csv", str(pred_csv), "--overwrite"]) == 2
    assert "is an input file" in capsys.readouterr().err
    assert "predicted_hashtags" in pred_csv.read_text()


def test_explicit_outputs_and_truth_from_another_file(script, tmp_path, capsys):
    POSTS[["predicted_hashtags"]].to_csv(tmp_path / "pred.csv", index=False)
    # utf-8-sig: a byte-order mark (Excel's UTF-8) must not rename the first column.
    POSTS[["hashtags"]].to_csv(tmp_path / "truth.csv", index=False, encoding="utf-8-sig")
    out = tmp_path / "out"
    argv = [str(tmp_path / "pred.csv"), "--truth", str(tmp_path / "truth.csv"),
            "--json", str(out / "m.json"), "--csv", str(out / "m.csv"),
            "--plot", str(out / "m.png")]
    assert script.main(argv) == 0
    assert json.loads((out / "m.json").read_text())["f1"] == expected_table(5).f1
    assert (out / "m.csv").exists() and (out / "m.png").exists()


def test_captions_column_is_the_fallback_truth(script, tmp_path):
    frame = POSTS.rename(columns={"hashtags": "captions"})
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv"), "--top-k", "2"]) == 0
    report = json.loads((tmp_path / "p_metrics.json").read_text())
    assert report["truth_column"] == "captions"
    assert report["precision"] == expected_table(2).precision


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_missing_prediction_column(script, tmp_path, capsys):
    POSTS.drop(columns="predicted_hashtags").to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    assert "predicted_hashtags" in one_error_line(capsys)


def test_missing_truth_column(script, tmp_path, capsys):
    POSTS[["predicted_hashtags"]].to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    assert "--truth" in one_error_line(capsys)


def test_missing_file(script, tmp_path, capsys):
    assert script.main([str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in one_error_line(capsys)


def test_row_count_mismatch_names_both_files(script, pred_csv, tmp_path, capsys):
    POSTS[["hashtags"]].head(2).to_csv(tmp_path / "truth.csv", index=False)
    assert script.main([str(pred_csv), "--truth", str(tmp_path / "truth.csv")]) == 2
    line = one_error_line(capsys)
    assert "truth.csv" in line and "val.preds.csv" in line
    assert "2 rows" in line and "has 4" in line


def test_no_post_with_a_true_tag(script, tmp_path, capsys):
    POSTS.assign(hashtags="").to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    assert "nothing to score" in one_error_line(capsys)


@pytest.mark.parametrize("k", ["0", "-3", "two"])
def test_top_k_below_one_is_rejected_at_parse_time(script, pred_csv, capsys, k):
    with pytest.raises(SystemExit) as exit_info:
        script.main([str(pred_csv), "--top-k", k])
    assert exit_info.value.code == 2
    assert "--top-k" in capsys.readouterr().err


def test_runs_as_a_script_from_another_folder(pred_csv, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, str(SCRIPT), pred_csv.name, "--top-k", "2"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "evaluated 3 posts" in result.stdout
    assert (tmp_path / "val.preds_metrics.png").exists()


# --- plots and atomic writes -----------------------------------------------------------------

def test_training_curves_with_metric_pairs_and_learning_rate(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n"
                   "0,0.1,0.001,3.0,0.1,3.2\n1,0.2,0.0005,2.0,0.15,2.5\n")
    written = plot_training_curves(log, tmp_path / "curves" / "train.png")
    assert written.read_bytes()[:4] == b"\x89PNG"


def test_training_curves_draw_a_validation_only_score(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss,val_ranking\n0,3.0,3.2,0.41\n1,2.0,2.5,0.47\n")
    written = plot_training_curves(log, tmp_path / "train.png")
    from PIL import Image

    with Image.open(written) as image:  # two panels side by side: loss and ranking
        assert image.width > image.height * 2


def test_training_curves_reject_a_file_that_is_not_a_keras_log(tmp_path):
    (tmp_path / "bad.csv").write_text("step,value\n0,1\n")
    with pytest.raises(DataError, match="CSVLogger"):
        plot_training_curves(tmp_path / "bad.csv", tmp_path / "x.png")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        plot_training_curves(tmp_path / "empty.csv", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_atomic_output_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_atomic_output_gives_the_permissions_a_plain_write_would(tmp_path):
    plain, atomic = tmp_path / "plain.txt", tmp_path / "atomic.txt"
    plain.write_text("x")
    with atomic_output(atomic) as tmp:
        tmp.write_text("x")
    assert atomic.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_reads_cp949_and_normalises_predicted_tags_like_true_ones(script, tmp_path, capsys):
    """A prediction CSV from another tool, saved by Korean Excel, with '#' and capitals."""
    path = tmp_path / "excel.csv"
    path.write_bytes("hashtags,predicted_hashtags\n#제주 sandy,#Sandy #제주도 #제주\n"
                     .encode("cp949"))
    assert script.main([str(path), "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    # 'sandy' and '제주' match after normalisation: P@1 1, P@3 2/3, R@3 1.
    assert " 1  1.0000  0.5000  1.0000" in out
    assert " 3  0.6667  1.0000  1.0000" in out
