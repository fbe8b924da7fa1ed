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


# The fast tier (`pytest -m "not slow and not browser"`, the everyday command) leaves out
# every test that trains a model, starts a Python process that loads TensorFlow, or drives
# a browser. Tests that take a trained-model fixture are slow by that alone; the modules
# and tests below run the scripts (or benchmarks) as processes, or train model folders in
# this process. Listed here, in one place, so that a new end-to-end module is one line away
# from the right tier.
TRAINED_FIXTURES = {"demo_model", "tiny_model", "caption_model", "fault_model",
                    "distributed_runs", "worker_runs"}
PROCESS_MODULES = {
    "tests/benchmarks/test_quality.py", "tests/benchmarks/test_run_as_file.py",
    "tests/benchmarks/test_tune.py",
    "tests/cli/test_bad_photo_counts.py", "tests/cli/test_caption_end_to_end.py",
    "tests/cli/test_cli_errors.py", "tests/cli/test_console_scripts.py",
    "tests/cli/test_end_to_end.py", "tests/cli/test_given_end_to_end.py",
    "tests/cli/test_published_layouts.py",
    "tests/faults/test_cache_sharing.py", "tests/faults/test_demo_faults.py",
    "tests/faults/test_output_faults.py", "tests/faults/test_train_faults.py",
    "tests/features/test_extraction_kill.py", "tests/features/test_shards.py",
    "tests/model/test_folder.py",
    "tests/train/test_distribution.py", "tests/train/test_multi_worker.py",
}
PROCESS_TESTS = {
    "tests/benchmarks/test_speed.py::test_child_peak_memory_and_text_csv",
    "tests/cli/test_score.py::test_runs_as_a_script_from_another_folder",
    "tests/cli/test_user_defaults.py::test_scripts_read_the_checkout_config_py",
    "tests/model/test_losses.py::test_first_step_learns_the_tag_set_only_with_the_remaining_loss",
    "tests/model/test_network_and_decoding.py::test_a_few_steps_of_training_lower_the_loss",
}

# Tests run for every combination of their parameters (2 x 3 x 2 decodes, ...), each a few
# seconds of tracing tiny models: the fast tier keeps the combinations named here, which
# reach every branch between them, and the full suite runs them all.
FAST_CASES = {
    "tests/serve/test_explain.py::test_explained_tags_are_predicts_tags":
        {"given-greedy-memory", "plain-rank-network"},
    "tests/model/test_decoding_explain.py::test_explained_ids_are_the_decoded_ids":
        {"given-greedy-may-stop-on", "plain-rank-off"},
    "tests/model/test_given_tags.py::"
    "test_mixed_batch_decodes_each_row_as_alone_and_never_repeats_a_given_tag": {"greedy"},
    "tests/serve/test_given_predictor.py::"
    "test_given_tags_are_never_recommended_and_batches_match_single_posts": {"True"},
}


def _slow_combination(test_id: str, item) -> bool:
    """Whether `item` is a combination of parameters the fast tier leaves to the full run."""
    kept = FAST_CASES.get(test_id)
    callspec = getattr(item, "callspec", None)
    return kept is not None and callspec is not None and callspec.id not in kept


def pytest_collection_modifyitems(config, items):
    """Mark the slow tests (see above); a listed module that no longer exists is an error."""
    root = config.rootpath
    missing = {name for name in PROCESS_MODULES if not (root / name).is_file()}
    assert not missing, f"tests/conftest.py lists modules that do not exist: {sorted(missing)}"
    for item in items:
        module = item.path.relative_to(root).as_posix() if item.path else ""
        test_id = f"{module}::{item.originalname if hasattr(item, 'originalname') else item.name}"
        if (module in PROCESS_MODULES or test_id in PROCESS_TESTS
                or TRAINED_FIXTURES & set(getattr(item, "fixturenames", ()))
                or _slow_combination(test_id, item)):
            item.add_marker(pytest.mark.slow)
