"""Fixtures shared across test folders.

`demo_model`: one small model trained on the embedded demo by scripts/train.py, once per
test session (about half a minute on 2 cores), for every test that needs a trained
folder but not a particular one. Tests only read it: a test that changes a model trains
its own.
"""

import pytest


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory):
    """(root, cache, model) of the shared demo model; root holds train.py's stdout/stderr."""
    from tests.cli.test_end_to_end import REPO, SMALL_MODEL, run

    root = tmp_path_factory.mktemp("demo")
    cache, model = root / "cache", root / "model"
    # Not --quiet: output captured to a pipe, like a log file, is already one line an epoch.
    done = run("train.py", "--data", REPO / "dataset", "--out", model, "--epochs", "3",
               *SMALL_MODEL, cache=cache)
    (root / "train_stdout.txt").write_text(done.stdout)
    (root / "train_stderr.txt").write_text(done.stderr)
    return root, cache, model
