"""tf.distribute training: strategies by name, and mirrored training that matches one device.

The mirrored run needs two logical CPU devices, which must be configured before TensorFlow
starts; it runs in a fresh process (tests/distributed_training_run.py) and this file checks
what it wrote, loading its model folders here, where no strategy was ever made.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from amnn.errors import AMNNError
from amnn.model.folder_names import MANIFEST, WORK_DIR
from amnn.train.distribution import (
    STRATEGY_NAMES,
    global_batch_size,
    is_chief_task,
    make_strategy,
)

HELPER = "tests.train.distributed_training_run"  # run with python -m from the repository
REPO = Path(__file__).resolve().parents[2]
# The two runs add the same float32 numbers in another order (per replica, then across
# replicas), so they differ in the last bits: measured, ~1e-7 relative on the losses and
# ~1e-7 absolute on the weights after 3 steps. 1e-5 leaves 100x room for other CPUs and
# thread counts, yet catches what a real fault does on this data (measured too): a batch
# of 4 where 8 was meant moves the first loss by 6e-3 relative; a resume that loses Adam's
# state moves the final weights by 3e-3 and the last val_loss by 1.6e-4 relative.
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def distributed_runs(tmp_path_factory):
    """Both runs' reports, keyed by run name, and the folder that holds their models."""
    root = tmp_path_factory.mktemp("distributed")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    # Side by side: each run spends most of its time tracing, on one core.
    runs = {name: subprocess.Popen([sys.executable, "-m", HELPER, str(root), name], env=env, cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("mirrored", "one_device")}
    import amnn.model.folder  # noqa: F401  (loads TensorFlow here while the runs train)

    reports = {}
    try:
        for name, process in runs.items():
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, f"{name}: {err[-3000:]}"
            reports[name] = json.loads(out.strip().splitlines()[-1])
    finally:
        for process in runs.values():
            process.kill()  # a no-op once it has ended; never leave a trainer behind
    return root, reports


def test_mirrored_training_matches_one_device_training(distributed_runs):
    _, reports = distributed_runs
    mirrored, one = reports["mirrored"], reports["one_device"]
    assert mirrored["summary"]["strategy"] == "mirrored"
    assert mirrored["summary"]["replicas"] == 2 and mirrored["summary"]["global_batch_size"] == 8
    assert one["summary"]["strategy"] == "one-device"
    assert one["summary"]["replicas"] == 1 and one["summary"]["global_batch_size"] == 8
    for column in ("loss", "val_loss", "tag_accuracy"):
        assert mirrored["log"][column] == pytest.approx(one["log"][column],
                                                        rel=TOLERANCE), column
    # Learning, not a frozen model that matches trivially.
    assert one["log"]["loss"][-1] < one["log"]["loss"][0] - 1e-3


def test_mirrored_run_resumes_where_it_was_interrupted(distributed_runs):
    _, reports = distributed_runs
    report = reports["mirrored"]
    assert report["interrupted"]
    # The kill left the backup and no manifest: the folder is incomplete, not half-trusted.
    assert WORK_DIR in report["left_after_interrupt"]
    assert MANIFEST not in report["left_after_interrupt"]
    assert report["log_after_interrupt"]["epoch"] == [0, 1]
    assert report["summary"]["epochs_run"] == 1  # epoch 3 only
    assert report["log"]["epoch"] == [0, 1, 2]
    # (That epoch 3 continued from epoch 2's weights AND optimizer state is checked by the
    # match with the uninterrupted one-device run, val_loss and final weights included.)


def test_mirrored_model_folder_loads_and_predicts_without_a_strategy(distributed_runs):
    from amnn.model.folder import load_model_folder, read_manifest

    root, _ = distributed_runs
    mirrored, one = load_model_folder(root / "mirrored"), load_model_folder(root / "one_device")
    assert not (root / "mirrored" / WORK_DIR).exists()
    assert read_manifest(root / "mirrored")["training"]["replicas"] == 2
    # Mirrored fit feeds one photo per post; one device, each distinct photo once (the
    # models differ by the input `image_index`, so their weights are listed in other orders).
    assert "image_index" in one.model.input and "image_index" not in mirrored.model.input
    layers = {layer.name: layer for layer in one.model.layers if layer.weights}
    assert layers.keys() == {layer.name for layer in mirrored.model.layers if layer.weights}
    for layer in mirrored.model.layers:
        for a, b in zip(layer.get_weights(), layers[layer.name].get_weights()
                        if layer.name in layers else []):
            np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE)
    sizes, rng = mirrored.sizes, np.random.default_rng(1)
    probe = {"text_ids": rng.integers(2, sizes.word_vocab_size, (3, 4)).astype("int32"),
             "tag_inputs": rng.integers(4, sizes.tag_vocab_size, (3, 2)).astype("int32"),
             "image_regions": rng.normal(size=(3,) + sizes.feature_shape).astype("float16")}
    np.testing.assert_allclose(mirrored.model.predict(probe, verbose=0),
                               one.model.predict(dict(probe, image_index=np.arange(3, dtype="int32")),
                                                 verbose=0), rtol=0, atol=TOLERANCE)


def test_auto_on_a_cpu_machine_is_one_replica():
    strategy = make_strategy("auto")
    assert strategy.num_replicas_in_sync == 1
    assert global_batch_size(16, strategy) == 16


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="choose one of auto, one-device, mirrored"):
        make_strategy("horovod")
    assert STRATEGY_NAMES == ("auto", "one-device", "mirrored", "multi-worker", "tpu")


@pytest.mark.parametrize("value, says", [(None, "needs the TF_CONFIG"),
                                         ("{cluster", "not valid JSON"),
                                         ('{"cluster": {}}', "no usable")])
def test_multi_worker_needs_a_valid_tf_config(monkeypatch, value, says):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(AMNNError, match=says) as error:
        make_strategy("multi-worker")
    assert '"cluster"' in str(error.value) and '"task"' in str(error.value)


@pytest.mark.parametrize("cluster, task, chief", [
    ({"worker": ["a:1", "b:1"]}, {"type": "worker", "index": 0}, True),
    ({"worker": ["a:1", "b:1"]}, {"type": "worker", "index": 1}, False),
    ({"chief": ["a:1"], "worker": ["b:1"]}, {"type": "worker", "index": 0}, False),
    ({"chief": ["a:1"], "worker": ["b:1"]}, {"type": "chief", "index": 0}, True)])
def test_only_the_chief_writes_the_model_folder(cluster, task, chief):
    # Several machines train (amnn.train.worker_loop; tests/train/test_multi_worker.py);
    # train.py checks --out on the chief alone.
    assert is_chief_task(json.dumps({"cluster": cluster, "task": task})) is chief


def test_tpu_off_a_tpu_host_fails_fast_with_the_colab_hint(monkeypatch):
    for name in ("COLAB_TPU_ADDR", "TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    if any(Path("/dev").glob("accel*")) or Path("/dev/vfio").is_dir():
        pytest.skip("this machine has TPU devices")
    started = time.perf_counter()
    with pytest.raises(AMNNError, match=r"no TPU found; on Colab choose Runtime > Change "
                                        r"runtime type > TPU"):
        make_strategy("tpu")
    assert time.perf_counter() - started < 1.0


def test_strategy_names_import_without_tensorflow():
    # scripts/train.py validates --strategy against STRATEGY_NAMES before TensorFlow loads.
    code = ("import sys; from amnn.train.distribution import STRATEGY_NAMES; "
            "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 0, done.stderr
