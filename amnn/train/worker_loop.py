"""Training on several machines: a compiled step under MultiWorkerMirroredStrategy, not fit.

Keras 3's `model.fit` cannot run under MultiWorkerMirroredStrategy on two or more workers
(keras-team/keras#20585), so `amnn.train.fitting.train_model` trains there with
`train_on_workers`: the same compiled model (layers, loss, Adam) stepped by `strategy.run`
inside a `tf.function`, with fit's own callbacks (backup for --resume, best checkpoint,
early stopping, rate schedule, CSV log) called once per epoch.

- Data: every worker builds the same shuffled pipeline of per-replica batches and keeps
  its replicas' share of each step's batches, whole (a finished batch is never re-split),
  so a step trains exactly the posts of a one-machine step with the same global batch.
- Loss: each replica's summed loss over its real (non-padded) decoder steps, divided by
  the step's count over all replicas, so the summed gradients are those of the global
  masked mean; a replica left without posts at the end of an epoch adds nothing.
- Validation: every worker scores the whole validation set with the same weights, so all
  take the same early-stopping and learning-rate decisions.
- Files: only the chief writes the model folder; the others write theirs to a temporary
  folder that is removed (`worker_folder`). On --resume the chief restores its backup
  and sends its weights, optimizer state and epoch to every worker.
- Failures: a worker that fails with an error tells the others, which stop with one line
  naming it and its error instead of a collective op's traceback; one that is interrupted
  or killed is missed within seconds (`amnn.train.distribution.worker_failures`).

Example (one machine, no cluster: `model.fit` trains, and this machine writes the files):
    >>> strategy = tf.distribute.get_strategy()
    >>> worker_count(strategy), uses_worker_loop(strategy), is_chief(strategy)
    (1, False, True)

Usage, on each machine of a cluster, with its own TF_CONFIG task index
(tests/train/test_multi_worker.py trains a tiny model this way on two worker processes):

    strategy = make_strategy("multi-worker")
    with strategy.scope():
        model = compile_model(build_amnn(config, sizes), config.learning_rate)
    history, seconds = train_on_workers(
        model, strategy, lambda size: make_dataset(posts, features, size, shuffle=True),
        config.batch_size, val_ds, callbacks, epochs=10, verbose=2)
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path

import keras
import tensorflow as tf

from amnn.data.vocabulary import PAD
from amnn.train.distribution import worker_failures
from amnn.train.epoch_log import EpochLine


def _cluster(strategy) -> tuple[dict, str | None, int]:
    """(cluster spec as a dict, this task's type, its index); ({}, None, 0) off a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return {}, None, 0
    return resolver.cluster_spec().as_dict(), resolver.task_type, resolver.task_id or 0


def worker_count(strategy) -> int:
    """Machines training together: the chief and the workers of the cluster (1 off one)."""
    spec = _cluster(strategy)[0]
    return sum(len(spec.get(job) or ()) for job in ("chief", "worker")) or 1


def uses_worker_loop(strategy) -> bool:
    """Whether `train_on_workers` must replace `model.fit`: multi-worker on 2+ machines."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) \
        and worker_count(strategy) > 1


def is_chief(strategy) -> bool:
    """The task that writes files: "chief", else worker 0 (TF_CONFIG's convention)."""
    spec, task, index = _cluster(strategy)
    return task is None or task == "chief" or (task == "worker" and index == 0
                                               and "chief" not in spec)


@contextlib.contextmanager
def worker_folder(strategy, out: Path):
    """`out` for the chief; for another worker, a temporary folder removed on exit."""
    if is_chief(strategy):
        yield out
        return
    folder = Path(tempfile.mkdtemp(prefix="amnn-worker-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def worker_batches(strategy, make_batches, batch_size: int):
    """This worker's share of `make_batches(batch_size)` (per replica), each batch whole.

    Every worker builds the same pipeline (same shuffle seed); global replica r takes
    batches r, r + R, r + 2R, ... (R replicas). An epoch whose last step has fewer batches
    than replicas gives the others empty batches (tf.distribute's partial-batch handling).
    """
    def dataset_fn(context: tf.distribute.InputContext):
        replicas = context.num_replicas_in_sync
        local = replicas // context.num_input_pipelines
        worker = context.input_pipeline_id
        # A worker's replicas hold consecutive ids, so it keeps `local` batches in a row.
        return make_batches(batch_size).enumerate() \
            .filter(lambda index, batch: tf.equal(index % replicas // local, worker)) \
            .map(lambda index, batch: batch)

    return strategy.distribute_datasets_from_function(dataset_fn)


def loss_terms(loss: keras.losses.Loss, targets, logits) -> tuple:
    """(sum, count): `loss(targets, logits)` is sum / count, as Keras averages it.

    The decoder's per-step loss is averaged over real (non-PAD) steps; a per-post loss
    (`remaining`) over posts. Summing both over replicas gives the global batch's mean.
    """
    values = loss.call(targets, logits)
    weights = tf.cast(tf.not_equal(targets, PAD), values.dtype) \
        if values.shape.rank == targets.shape.rank else tf.ones_like(values)
    return tf.reduce_sum(values * weights), tf.reduce_sum(weights)


def _scaled(gradient, factor):
    if isinstance(gradient, tf.IndexedSlices):
        return tf.IndexedSlices(gradient.values * factor, gradient.indices,
                                gradient.dense_shape)
    return gradient * factor


def _compiled_step(model: keras.Model, strategy, element_spec):
    """One training step over every replica: (global mean loss, posts) of the step."""
    variables = model.trainable_variables
    classes = model.outputs[0].shape[-1]

    sparse = {}  # gradient index -> its IndexedSlices' index dtypes, seen while tracing

    def replica_step(inputs, targets):
        def forward():
            with tf.GradientTape() as tape:
                logits = model(inputs, training=True)
                total, count = loss_terms(model.loss, targets, logits)
            grads = tape.gradient(total, variables)
            for i, g in enumerate(grads):
                if isinstance(g, tf.IndexedSlices):  # kept sparse: Adam updates them lazily
                    sparse[i] = (g.indices.dtype, g.dense_shape.dtype)
            return ([tf.zeros(v.shape, v.dtype) if g is None else g
                     for g, v in zip(grads, variables)], logits, total, count)

        def nothing():  # an empty batch: no posts were left for this replica
            return ([tf.IndexedSlices(tf.zeros([0, *list(v.shape)[1:]], v.dtype),
                                      tf.zeros([0], sparse[i][0]),
                                      tf.constant(list(v.shape), sparse[i][1]))
                     if i in sparse else tf.zeros(v.shape, v.dtype)
                     for i, v in enumerate(variables)],
                    tf.zeros([0, 0, classes]), tf.constant(0.0), tf.constant(0.0))

        # (cond traces `forward` first, so `nothing` knows which gradients are sparse.)
        grads, logits, total, count = tf.cond(tf.shape(targets)[0] > 0, forward, nothing)
        # Outside the branch: every replica must join the same all-reduces.
        share = tf.math.divide_no_nan(
            1.0, tf.distribute.get_replica_context().all_reduce("SUM", count))
        model.optimizer.apply_gradients(zip([_scaled(g, share) for g in grads], variables))
        model.compute_metrics(inputs, targets, logits)
        return total * share, tf.cast(tf.shape(targets)[0], tf.float32)

    def step(batch):
        loss, posts = strategy.run(replica_step, args=batch)
        return strategy.reduce("SUM", loss, axis=None), strategy.reduce("SUM", posts, axis=None)

    # One trace for every batch shape: workers must trace alike to pair their all-reduces.
    return tf.function(step, input_signature=[element_spec])


def _build_state(model: keras.Model, strategy) -> None:
    """Create the optimizer's and metrics' variables in lockstep, outside any step."""
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
        logits = tf.zeros([1 if d is None else d for d in model.outputs[0].shape])
        model.compute_metrics(None, tf.zeros(logits.shape[:-1], tf.int32), logits)
    model.reset_metrics()


def share_chief_state(strategy, model: keras.Model, epoch: int) -> int:
    """Give every worker the chief's weights, optimizer state and `epoch`; the epoch."""
    variables = [v for v in model.weights + model.optimizer.variables
                 if v.dtype in ("float16", "float32", "float64", "int32", "int64")]

    groups = {}  # an all-reduce takes tensors of one type
    for index, variable in enumerate(variables):
        groups.setdefault(variable.dtype, []).append(index)

    @tf.function
    def chief_values(epoch):
        def first_replica():  # global replica 0 is the chief's
            context = tf.distribute.get_replica_context()
            first = tf.equal(context.replica_id_in_sync_group, 0)
            values = [v.value for v in variables]
            reduced = {dtype: context.all_reduce("SUM", [
                tf.where(first, values[i], tf.zeros_like(values[i])) for i in indices])
                for dtype, indices in groups.items()}
            return [reduced[v.dtype][groups[v.dtype].index(i)] for i, v in
                    enumerate(variables)] + [context.all_reduce("SUM", epoch * tf.cast(first, tf.int64))]
        return strategy.run(first_replica)

    values = [strategy.experimental_local_results(v)[0]
              for v in chief_values(tf.constant(epoch, tf.int64))]
    for variable, value in zip(variables, values):
        variable.assign(value)
    return int(values[-1])


def _validate(model: keras.Model, val_ds, predict) -> dict:
    """val_loss and val_ metrics as `model.evaluate` logs them, on this worker alone."""
    model.reset_metrics()
    total = posts = 0.0
    for inputs, targets in val_ds:
        logits = predict(inputs)
        size = float(tf.shape(targets)[0])
        total, posts = total + float(model.loss(targets, logits)) * size, posts + size
        model.compute_metrics(inputs, targets, logits)
    metrics = {f"val_{name}": float(value) for name, value in
               model.get_metrics_result().items() if name != "loss"}
    return {"val_loss": total / posts, **metrics}


def train_on_workers(model: keras.Model, strategy, make_batches, batch_size: int, val_ds,
                     callbacks: list, epochs: int, verbose=0):
    """Train `model` (compiled in `strategy.scope()`) as `model.fit` would; (history, s).

    Args:
        model: keras.Model, compiled with a loss and an optimizer.
        strategy: tf.distribute.MultiWorkerMirroredStrategy (one worker works too).
        make_batches: callable. `make_batches(batch_size)` -> tf.data.Dataset of
            (inputs, targets), reshuffled each epoch with a fixed seed.
        batch_size: int. Posts per replica and step.
        val_ds: tf.data.Dataset of global batches, or None.
        callbacks: list of keras.callbacks.Callback, called per epoch as fit calls them.
        epochs: int. The last epoch (a restored backup starts later).
        verbose: 0 silent, else one line per epoch.
    """
    with worker_failures():
        return _train(model, strategy, make_batches, batch_size, val_ds, callbacks, epochs,
                      verbose)


def _train(model, strategy, make_batches, batch_size, val_ds, callbacks, epochs, verbose):
    dataset = worker_batches(strategy, make_batches, batch_size)
    step = _compiled_step(model, strategy, dataset.element_spec)
    predict = tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)
    _build_state(model, strategy)
    history = keras.callbacks.History()
    callbacks = keras.callbacks.CallbackList(
        callbacks + ([EpochLine(epochs)] if verbose else []) + [history], model=model,
        epochs=epochs, verbose=0)
    model.stop_training = False
    callbacks.on_train_begin()
    # BackupAndRestore tells fit where to start through model._initial_epoch.
    first = share_chief_state(strategy, model, getattr(model, "_initial_epoch", None) or 0)
    started = time.perf_counter()
    for epoch in range(first, epochs):
        callbacks.on_epoch_begin(epoch)
        model.reset_metrics()
        total = posts = tf.constant(0.0)
        for batch in dataset:
            loss, size = step(batch)
            total, posts = total + loss * size, posts + size
        logs = {"loss": float(total / posts), **{
            name: float(value) for name, value in model.get_metrics_result().items()
            if name != "loss"}}
        if val_ds is not None:
            logs.update(_validate(model, val_ds, predict))
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training or logs["loss"] != logs["loss"]:  # early stop, or NaN
            break
    callbacks.on_train_end()
    return history, time.perf_counter() - started
