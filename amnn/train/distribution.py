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

When one worker of a multi-worker run fails, every worker stops with one line: the code
that may fail runs `with worker_failures():`, which names the worker in its error and
reports it to the cluster (TensorFlow's coordination service), so the others' next
collective step is aborted with it and they say which worker failed and why, instead of
a collective op's traceback. `workers_ready()` is such a step, taken once the data are
ready, before the model's variables are broadcast.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re

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
_RUN: dict = {}  # this process's multi-worker run of 2+ workers: "strategy", "label"
# How TensorFlow words a collective step aborted for another task's failure.
_PEER_SIGNS = ("Error reported from", "aborted by", "unhealthy", "heartbeat",
               "Agent must be in CONNECTED state")


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
    spec = _tf_config()
    import tensorflow as tf

    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as error:
        # Collective ops are configured when the runtime starts, so it must come first.
        raise AMNNError(f"could not start multi-worker training ({error}); create the "
                        "strategy before any other TensorFlow work") from None
    task = spec["task"]
    if sum(len(spec["cluster"].get(job) or ()) for job in ("chief", "worker")) > 1:
        _RUN.update(strategy=strategy, spec=spec, task=(task["type"], task["index"]),
                    label=task_label(spec, task["type"], task["index"]))
    return strategy


def task_label(spec: dict, job: str, index: int) -> str:
    """How a line names a task of TF_CONFIG's cluster `spec`.

    Example:
        >>> task_label({"cluster": {"worker": ["a:1", "b:1"]}}, "worker", 1)
        'worker 1 of 2 (b:1)'
    """
    hosts = spec["cluster"].get(job) or []
    where = f" ({hosts[index]})" if index < len(hosts) else ""
    return f"{job} {index} of {len(hosts)}{where}" if job == "worker" else f"{job}{where}"


class WorkerError(AMNNError):
    """A multi-worker run stopped: this worker failed (named), or another one did."""


def peer_failure(message: str, spec: dict, job: str, index: int) -> str:
    """The line of task `job` `index` whose collective step TensorFlow aborted with `message`.

    Example:
        >>> spec = {"cluster": {"worker": ["a:1", "b:1"]}}
        >>> peer_failure("Collective ops is aborted by: Error reported from /job:worker/"
        ...              "task:1: <amnn>worker 1 of 2 (b:1) failed: bad.csv: no posts</amnn>",
        ...              spec, "worker", 0)
        'worker 0 of 2 (a:1): stopped because worker 1 of 2 (b:1) failed: bad.csv: no posts'
    """
    label = task_label(spec, job, index)
    said = re.search(r"<amnn>(.*?)</amnn>", message, re.S)
    if said:
        return f"{label}: stopped because {' '.join(said.group(1).split())}"
    # Without our word, the tasks TensorFlow names (which stopped sending heartbeats, or
    # which found out) other than this one.
    tasks = [(found, int(at)) for found, at in
             re.findall(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)", message)]
    peers = [task for task in tasks if task != (job, index)]
    peer = task_label(spec, *peers[-1]) if peers else "another worker"
    return (f"{label}: stopped because {peer} stopped without saying why (interrupted, "
            "killed, out of memory, or an error in its own output); start every worker again")


def _report(text: str) -> None:
    """Abort the other workers' collective steps with `text` (best effort)."""
    try:  # TensorFlow has no public call for this; without it, heartbeats tell in seconds
        import tensorflow as tf
        from tensorflow.python.eager import context

        context.context().report_error_to_cluster(tf.errors.ABORTED, f"<amnn>{text}</amnn>")
    except Exception:  # noqa: BLE001 - the others then notice the missing heartbeats
        pass


@contextlib.contextmanager
def worker_failures():
    """In a multi-worker run, make a failure in the block stop every worker with one line.

    This worker's AMNNError is raised again as a WorkerError naming this worker, and
    reported to the others; another exception (a bug) is reported and raised as it is.
    Ctrl-C is not reported: a worker may stop and resume in one process (the tests do), and
    one that ends is missed by the others within seconds all the same. A collective step
    aborted because another worker failed raises a WorkerError naming that worker and its
    error. Off a multi-worker run, the block runs as it is.

    Example:
        >>> with worker_failures():  # one process: nothing to tell
        ...     print("prepared")
        prepared
    """
    label = _RUN.get("label")
    if label is None:
        yield
        return
    import tensorflow as tf

    try:
        yield
    except WorkerError:
        raise  # named and reported where it was raised
    except tf.errors.OpError as error:
        if not any(sign in str(error) for sign in _PEER_SIGNS):
            _report(f"{label} failed: {type(error).__name__}: {error.message[:300]}")
            raise
        raise WorkerError(peer_failure(str(error), _RUN["spec"], *_RUN["task"])) from None
    except AMNNError as error:
        _report(f"{label} failed: {error}")
        raise WorkerError(f"{label}: {error}") from error
    except Exception as error:
        _report(f"{label} failed: {type(error).__name__}: {error}")
        raise


def workers_ready() -> None:
    """Return once every worker of a multi-worker run got here; off one, at once.

    A worker that failed before (`worker_failures`) makes this a WorkerError naming it.
    """
    strategy = _RUN.get("strategy")
    if strategy is None:
        return
    import tensorflow as tf

    with worker_failures():
        tf.function(lambda: strategy.run(lambda: tf.distribute.get_replica_context()
                                         .all_reduce("SUM", tf.constant(1.0))))()


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
