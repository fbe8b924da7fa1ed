"""Training on two workers (MultiWorkerMirroredStrategy over gRPC on 127.0.0.1) matches one.

Three processes run tests/train/multi_worker_child.py side by side: a two-worker cluster
(2 replicas x 4 posts) and a one-worker cluster (1 replica x 8 posts, the reference), each
training with `amnn.train.worker_loop`, killed after epoch 2 of 3 and resumed. This file
compares what they wrote, loading the model folders here, where no strategy was made.
The workers get their features made up, not from photos: two real train.py workers sharing
one photo feature cache are tested in tests/faults/test_cache_sharing.py.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from amnn.model.folder_names import MANIFEST, WORK_DIR

HELPER = "tests.train.multi_worker_child"  # run with python -m from the repository
REPO = Path(__file__).resolve().parents[2]
# The runs add the same float32 numbers in another order (per replica, then across
# workers); measured: equal to the last bit on these sizes. 1e-5 as for mirrored training.
TOLERANCE = 1e-5
TIMEOUT = 240  # seconds for all three; they take ~25 s alone, ~50 s on 2 busy cores


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


@pytest.fixture(scope="module")
def worker_runs(tmp_path_factory):
    """{process name: its JSON report} and the folder that holds the model folders."""
    root = tmp_path_factory.mktemp("multi_worker")
    ports = free_ports(3)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    plan = {"worker0": (ports[:2], 0, "two", 4), "worker1": (ports[:2], 1, "two", 4),
            "alone": (ports[2:], 0, "one", 8)}
    runs = {name: subprocess.Popen(
        [sys.executable, "-m", HELPER, str(root), folder, str(batch)], cwd=REPO,
        env={**env, "TF_CONFIG": tf_config(cluster, index)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for name, (cluster, index, folder, batch) in plan.items()}
    deadline, reports = time.monotonic() + TIMEOUT, {}
    try:
        for name, process in runs.items():
            try:
                out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} did not finish in {TIMEOUT} s (a worker waiting for a "
                            "peer that died?)")
            assert process.returncode == 0, f"{name} failed:\n{err[-3000:]}"
            reports[name] = json.loads(out.strip().splitlines()[-1])
    finally:
        for process in runs.values():
            process.kill()  # a no-op once it has ended; never leave a worker behind
            process.wait()
    return root, reports


def test_two_workers_log_what_one_worker_logs(worker_runs):
    _, reports = worker_runs
    two, one = reports["worker0"]["two"], reports["alone"]["one"]
    assert two["summary"]["replicas"] == 2 and two["summary"]["global_batch_size"] == 8
    assert one["summary"]["replicas"] == 1 and one["summary"]["global_batch_size"] == 8
    assert two["summary"]["strategy"] == one["summary"]["strategy"] == "multi-worker"
    assert sorted(two["log"]) == sorted(one["log"])
    for column in ("loss", "val_loss", "tag_accuracy", "val_tag_accuracy"):
        np.testing.assert_allclose(two["log"][column], one["log"][column], rtol=0,
                                   atol=TOLERANCE, err_msg=column)
    assert one["log"]["loss"][-1] < one["log"]["loss"][0] - 1e-3  # it learnt


def test_two_workers_resume_where_they_were_interrupted(worker_runs):
    root, reports = worker_runs
    for name in ("worker0", "worker1"):
        assert reports[name]["two"]["interrupted"], name
    chief = reports["worker0"]["two"]
    assert WORK_DIR in chief["left_after_interrupt"]
    assert MANIFEST not in chief["left_after_interrupt"]
    assert chief["log_after_interrupt"]["epoch"] == [0, 1]
    assert chief["summary"]["epochs_run"] == 1  # epoch 3 only
    assert chief["log"]["epoch"] == [0, 1, 2]
    # Only the chief writes: worker 1 trained in a temporary folder, now removed.
    assert sorted(p.name for p in root.iterdir()) == ["one", "two"]
    assert not (root / "two" / WORK_DIR).exists()


def test_two_worker_model_has_the_one_worker_weights(worker_runs):
    from amnn.model.folder import load_model_folder, read_manifest

    root, _ = worker_runs
    two, one = load_model_folder(root / "two"), load_model_folder(root / "one")
    assert read_manifest(root / "two")["training"]["replicas"] == 2
    differences = [float(np.abs(a - b).max()) for a, b in
                   zip(two.model.get_weights(), one.model.get_weights())]
    assert len(differences) == len(one.model.get_weights()) and max(differences) <= TOLERANCE
