"""Training under TensorFlow's distribution engine (tf.distribute), chosen by name.

    auto          all GPUs mirrored when there are 2+, else the one GPU, else the CPU
    one-device    the first GPU, or the CPU
    mirrored      every local GPU (or every logical CPU device when there is no GPU)
    multi-worker  MultiWorkerMirroredStrategy from $TF_CONFIG: the same command on every
                  machine, each with its own task index; on 2+ machines training runs in
                  `amnn.train.worker_loop` (Keras 3 cannot fit there, keras-team/keras#20585)
    tpu           a Cloud TPU or TPU VM (Colab: Runtime > Change runtime type > TPU)

`config.batch_size` is the batch of ONE replica; a step consumes `global_batch_size` posts.
TensorFlow is imported inside the functions, not here, so scripts can validate a
`--strategy` flag against STRATEGY_NAMES before paying seconds for TensorFlow.
"""

from __future__ import annotations

import glob
import json
import os

from amnn.errors import AMNNError

STRATEGY_NAMES = ("auto", "one-device", "mirrored", "multi-worker", "tpu")

_TF_CONFIG_HELP = ('TF_CONFIG must be JSON naming every machine and this one\'s role, e.g. '
                   '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                   '"task": {"type": "worker", "index": 0}}, set on each machine with its own '
                   'index')
_TPU_HELP = ("no TPU found; on Colab choose Runtime > Change runtime type > TPU, on Google "
             "Cloud run on a TPU VM or set TPU_NAME")
# Environment variables through which Colab, GKE and Cloud TPU nodes announce a TPU.
_TPU_ENV = ("COLAB_TPU_ADDR", "TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_CONFIG")


def make_strategy(name: str):
    """The tf.distribute.Strategy called `name` (one of STRATEGY_NAMES).

    Example:
        >>> make_strategy("auto").num_replicas_in_sync  # on a machine without GPU
        1
        >>> make_strategy("mirrored")                    # doctest: +SKIP
        <tensorflow.python.distribute.mirrored_strategy.MirroredStrategy object at ...>
    """
    if name not in STRATEGY_NAMES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGY_NAMES)}")
    if name == "multi-worker":
        return _multi_worker()
    if name == "tpu":
        return _tpu()
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        # Without a GPU, mirror over the logical CPU devices: one unless the program split
        # the CPU with tf.config.set_logical_device_configuration (how the tests run it).
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "auto" and len(gpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")


def _tf_config(raw: str | None = None) -> dict:
    """$TF_CONFIG (or `raw`), checked: without it TensorFlow would train on this machine alone."""
    raw = os.environ.get("TF_CONFIG") if raw is None else raw
    if not raw:
        raise AMNNError(f"--strategy multi-worker needs the TF_CONFIG environment variable; "
                        f"{_TF_CONFIG_HELP}")
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as error:
        raise AMNNError(f"TF_CONFIG is not valid JSON ({error}); {_TF_CONFIG_HELP}") from None
    cluster, task = (spec.get("cluster"), spec.get("task")) if isinstance(spec, dict) else (0, 0)
    if not (isinstance(cluster, dict) and cluster and isinstance(task, dict)
            and task.get("type") in cluster and isinstance(task.get("index"), int)):
        raise AMNNError(f"TF_CONFIG has no usable \"cluster\" and \"task\" (the task type must "
                        f"be a job of the cluster); {_TF_CONFIG_HELP}")
    return spec


def is_chief_task(tf_config: str | None = None) -> bool:
    """Whether $TF_CONFIG (or `tf_config`), checked, names this machine the one that writes
    the model folder: the "chief" task, else worker 0.

    Example:
        >>> is_chief_task('{"cluster": {"worker": ["a:1", "b:1"]}, '
        ...               '"task": {"type": "worker", "index": 1}}')
        False
    """
    spec = _tf_config(tf_config)
    task = spec["task"]
    return task["type"] == "chief" or (task["type"] == "worker" and task["index"] == 0
                                       and "chief" not in spec["cluster"])


def _multi_worker():
    """MultiWorkerMirroredStrategy from $TF_CONFIG, checked first. On 2+ machines
    `amnn.train.fitting.train_model` trains with `amnn.train.worker_loop`, not fit."""
    _tf_config()
    import tensorflow as tf

    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as error:
        # Collective ops are configured when the runtime starts, so it must come first.
        raise AMNNError(f"could not start multi-worker training ({error}); create the "
                        "strategy before any other TensorFlow work") from None


def _on_tpu_host() -> bool:
    """A cheap look for a TPU: the resolver would otherwise wait on metadata servers."""
    return any(os.environ.get(v) for v in _TPU_ENV) or bool(glob.glob("/dev/accel*")) \
        or os.path.isdir("/dev/vfio")


def _tpu():
    """TPUStrategy on the TPU this machine is attached to (TPU VM) or announced by env."""
    if not _on_tpu_host():
        raise AMNNError(_TPU_HELP)
    import tensorflow as tf

    address = os.environ.get("COLAB_TPU_ADDR")
    # A TPU VM has its chips as local devices; older Colab/Cloud TPU nodes are remote hosts.
    tpu = "local" if glob.glob("/dev/accel*") or os.path.isdir("/dev/vfio") else \
        (f"grpc://{address}" if address else None)
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, OSError, tf.errors.OpError) as error:
        raise AMNNError(f"{_TPU_HELP} ({type(error).__name__}: {error})") from None


def global_batch_size(per_replica: int, strategy) -> int:
    """Posts per training step: each replica takes `per_replica` of them.

    Example:
        >>> global_batch_size(32, make_strategy("one-device"))
        32
    """
    return int(per_replica) * int(strategy.num_replicas_in_sync)


def strategy_name(strategy) -> str:
    """The STRATEGY_NAMES name of a strategy ("auto" resolves to what it chose).

    Example:
        >>> strategy_name(make_strategy("auto"))  # on a machine without GPU
        'one-device'
    """
    import tensorflow as tf

    # By class, not by how it was made: train_model also accepts a caller's own strategy.
    for kind, name in ((tf.distribute.MultiWorkerMirroredStrategy, "multi-worker"),
                       (tf.distribute.TPUStrategy, "tpu"),
                       (tf.distribute.MirroredStrategy, "mirrored"),
                       (tf.distribute.OneDeviceStrategy, "one-device")):
        if isinstance(strategy, kind):
            return name
    return type(strategy).__name__
