"""Training throughput and input-pipeline memory of one pipeline, in a process of its own.

    python -m benchmarks.speed.train --pipeline ours --train ../shared/data/mediaeval/train
    python -m benchmarks.speed.train --pipeline published --train ../shared/data/mediaeval/train

`ours` is `amnn.inputs.pipeline.make_dataset` (ids, photos gathered per batch from a float16
table held once per photo). `published` is the published input built the published way
(`published_reference.py` beside this file: a Python generator of one-hot hashtag tensors,
photo features copied to every step, held per post in float32) feeding the *same* network
through an adapter. Prints one JSON line: samples per second over `--steps` training steps
after a warm-up (the best of `--rounds` rounds, as `timeit` takes the best: on the 2-core
development machine whole rounds run at one core's speed at times, for either pipeline
and even under XLA, see docs/BENCHMARKS.md; every round is in the JSON), and the peak
growth of resident memory while one epoch of input batches is built (the input pipeline
alone) and while training runs. The speed benchmark (`benchmark.py`) runs
this script once per pipeline so that neither inherits the other's memory.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:  # python benchmarks/speed/train.py
    import sys
    from pathlib import Path
    import runpy  # the launcher, loaded by its path: nothing is added to sys.path
    launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
    run_as_module = runpy.run_path(str(launcher))["run_as_module"]
    run_as_module(__file__)

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import read_posts
from amnn.inputs.pipeline import make_dataset
from amnn.model.network import build_amnn
from amnn.train.fitting import compile_model
from amnn.train.preparation import prepare
from benchmarks.common.memory import PeakMemory
from benchmarks.speed.published_reference import published_batches, published_input_adapter


def _inputs(pipeline: str, data, batch_size: int, seed: int):
    """The training batches of `pipeline`, endless, and how many make one epoch."""
    epoch = len(data.train) // batch_size
    if pipeline == "ours":
        return make_dataset(data.train, data.features, batch_size, shuffle=True,
                            seed=seed).repeat(), epoch
    per_post = None
    if data.features is not None:  # the published loader kept float32 features per post
        per_post = data.features[data.train.image_rows].astype(np.float32)
    return published_batches(data.train, per_post, data.sizes.tag_vocab_size, batch_size,
                             seed), epoch


def _batches_in_memory(batches, count: int = 8):
    """An endless dataset cycling through the pipeline's next `count` batches, held in memory."""
    import tensorflow as tf

    iterator = iter(batches)
    dataset = tf.data.Dataset.from_tensors(next(iterator))
    for _ in range(count - 1):
        dataset = dataset.concatenate(tf.data.Dataset.from_tensors(next(iterator)))
    return dataset.cache().repeat()


def _rounds(model, batches, steps: int, batch_size: int, rounds: int) -> list[float]:
    """Samples per second of `rounds` fits of `steps` steps each (fit returns once they ran)."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
        rates.append(round(steps * batch_size / (time.perf_counter() - started), 1))
    return rates


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipeline", choices=("ours", "published"), required=True)
    parser.add_argument("--train", type=Path, required=True, help="training posts folder")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best counts")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args(argv)
    config = AMNNConfig(batch_size=args.batch_size, cache_dir=args.cache_dir)
    posts = read_posts(args.train)
    data = prepare(config, posts, posts.select([]), progress=False)
    model = compile_model(build_amnn(data.config, data.sizes), config.learning_rate)
    if args.pipeline == "published":
        model = compile_model(published_input_adapter(
            model, data.sizes.tag_vocab_size, data.sizes.feature_shape,
            data.config.include_text, data.config.include_image), config.learning_rate)

    with PeakMemory() as pipeline_memory:
        batches, epoch = _inputs(args.pipeline, data, args.batch_size, config.seed)
        iterator = iter(batches)
        started = time.perf_counter()
        for _ in range(epoch):  # one epoch of input alone, no model
            next(iterator)
        input_seconds = time.perf_counter() - started
    with PeakMemory() as training_memory:
        model.fit(batches, epochs=1, steps_per_epoch=3, verbose=0)  # warm-up and tracing
        rounds = _rounds(model, batches, args.steps, args.batch_size, args.rounds)
    # The network alone, on batches already in memory: the ceiling of any input pipeline.
    one_batch = _batches_in_memory(batches)
    model.fit(one_batch, epochs=1, steps_per_epoch=3, verbose=0)
    model_rounds = _rounds(model, one_batch, args.steps, args.batch_size, args.rounds)
    print(json.dumps({
        "model_only_samples_per_s": max(model_rounds),
        "pipeline": args.pipeline, "steps": args.steps, "batch_size": args.batch_size,
        "samples_per_s": max(rounds), "rounds_samples_per_s": rounds,
        "model_only_rounds_samples_per_s": model_rounds,
        "input_epoch_seconds": round(input_seconds, 2),
        "input_pipeline_peak_mib": round(pipeline_memory.growth, 1),
        "training_peak_mib": round(training_memory.peak, 1),
        "feature_table_mib": round(0 if data.features is None else data.features.nbytes / 2**20, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
