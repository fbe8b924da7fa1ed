"""Every mistake a user can make on the command line ends in one clear line, never a traceback.

Each case runs a script as a user would and checks: a non-zero exit status, no Python
traceback, and exactly one line on stderr that says `error:` and names what to fix.
TensorFlow's own start-up log lines (which no setting silences) are not counted.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_TF_NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages",
             "To enable the following instructions")


def _run(script: str, *args, cwd: Path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, str(REPO / "scripts" / script), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cases(tmp: Path):
    no_tags = _write(tmp / "no_tags" / "image_text_tag.csv", "image_names,tweets\n,hello\n")
    empty = _write(tmp / "empty" / "image_text_tag.csv", "")
    wrong = _write(tmp / "wrong" / "image_text_tag.csv", "photo,caption\nx.jpg,hi\n")
    predictions = _write(tmp / "pred.csv", "hashtags,tweets\nsea,hi\n")
    existing = _write(tmp / "exists.csv", "old results\n")
    missing_photo = _write(tmp / "missing" / "image_text_tag.csv",
                           "image_names,tweets,hashtags\nnot_there.jpg,hi,sea\n")
    half_model = tmp / "half_model"
    half_model.mkdir()
    return [
        ("train.py", ["--data", tmp / "nowhere", "--out", tmp / "m"], "nowhere"),
        ("train.py", ["--data", no_tags.parent, "--out", tmp / "m"], "hashtags"),
        ("train.py", ["--data", empty.parent, "--out", tmp / "m"], "empty"),
        ("train.py", ["--data", wrong.parent, "--out", tmp / "m"], "tweets"),
        ("train.py", ["--data", missing_photo.parent, "--out", tmp / "m"], "not_there.jpg"),
        ("train.py", ["--data", REPO / "dataset", "--out", tmp / "m", "--epochs", "-1"],
         "--epochs"),
        ("train.py", ["--data", REPO / "dataset", "--out", tmp / "m", "--bogus"], "--bogus"),
        ("train.py", ["--data", REPO / "dataset", "--out", tmp / "m", "--val-fraction", "1.5"],
         "--val-fraction"),
        ("predict.py", ["--model", half_model, "--data", REPO / "test_dataset", "--out",
                        tmp / "p.csv"], "half_model"),
        ("predict.py", ["--model", half_model, "--data", predictions, "--out", predictions],
         "input"),
        ("predict.py", ["--model", half_model, "--data", REPO / "test_dataset", "--out",
                        existing], "--overwrite"),
        ("predict.py", ["--model", half_model, "--data", REPO / "test_dataset", "--out",
                        tmp / "p.csv", "--top-k", "0"], "--top-k"),
        ("result_accuracy.py", [predictions, "--top-k", "0"], "--top-k"),
        ("result_accuracy.py", [predictions], "predicted_hashtags"),
        ("result_accuracy.py", [tmp / "none.csv"], "none.csv"),
        ("baselines.py", ["--train", REPO / "dataset", "--data", REPO / "test_dataset",
                          "--out", tmp / "b.csv", "--method", "magic"], "--method"),
    ]


@pytest.mark.slow
def test_every_user_error_is_one_clear_line(tmp_path):
    failures = []
    for script, args, named in _cases(tmp_path):
        done = _run(script, *args, cwd=tmp_path)
        lines = [line for line in done.stderr.splitlines()
                 if line.strip() and not line.startswith(_TF_NOISE)
                 and not line.startswith(("usage:", " "))]  # argparse's usage block
        ok = (done.returncode != 0 and "Traceback" not in done.stderr and len(lines) == 1
              and "error:" in lines[0] and named in lines[0])
        if not ok:
            failures.append(f"{script} {' '.join(map(str, args))}: exit {done.returncode}, "
                            f"stderr lines {lines or done.stderr[-800:]}")
    assert not failures, "\n".join(failures)
