"""One training run of the scale benchmark in a fresh process, and its predict.py runs.

    python -m benchmarks.scale.runs --data DIR --cache-dir DIR --steps 100

The training child does what `scripts/train.py` does before it fits (read the posts, look
at every photo, split by photo, `prepare`: vocabularies, the photo table, which streams
from the cache under --photo-features auto once the photos' features pass 1 GiB), then
builds and compiles the default network and, in one fit of the real shuffled training
dataset, runs a warm-up epoch (tracing) and `--rounds` timed epochs, each of `--steps`
steps. It prints one JSON line: samples/s over the timed steps, the photo table's kind,
each stage's seconds and resident memory (so the stage that sets the peak can be read
off), and then the same batches' rate without the network. Peak RSS is the child's own
`ru_maxrss`, at the end
of the timed steps and (from `os.wait4` in the parent) at its exit, so no other run's
memory counts.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:  # python benchmarks/scale/runs.py
    import sys
    from pathlib import Path
    import runpy  # the launcher, loaded by its path: nothing is added to sys.path
    launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
    run_as_module = runpy.run_path(str(launcher))["run_as_module"]
    run_as_module(__file__)

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benchmarks.common.memory import resident_mib
from benchmarks.common.paths import REPO


def run_with_peak_memory(command: list[str]) -> tuple[float, float, str, str]:
    """Run `command`; (seconds, its peak resident MiB, stdout, stderr's last 3000 chars).

    The peak is the child's own `ru_maxrss` from `os.wait4`, not this process's.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, cwd=REPO,
                                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        try:
            stderr = process.stderr.read().decode("utf-8", "replace")
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C: end the child too, so cleanup can remove its files
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout, stderr[-3000:]  # ru_maxrss: KiB


class Stages:
    """Seconds, resident MiB and peak-so-far MiB after each named stage of a run.

    Example:
        >>> stages = Stages()
        >>> stages.done("nothing")
        >>> sorted(stages.table["nothing"])
        ['peak_mib', 'rss_mib', 'seconds']
    """

    def __init__(self) -> None:
        self.table: dict[str, dict] = {}
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.table[name] = {"seconds": round(now - self._last, 1),
                            "rss_mib": round(resident_mib()), "peak_mib": round(peak)}
        print(f"  {name}: {self.table[name]}", file=sys.stderr, flush=True)
        self._last = now


def distinct_per_batch(image_rows, batch_size: int, seed: int = 0, batches: int = 200) -> float:
    """Mean number of distinct photos in a shuffled batch (what the network projects).

    Example:
        >>> import numpy as np
        >>> distinct_per_batch(np.zeros(1000, int), 64)
        1.0
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = np.asarray(image_rows)
    picks = (rng.choice(len(rows), size=min(batch_size, len(rows)), replace=False)
             for _ in range(batches))
    return round(float(np.mean([len(np.unique(rows[p])) for p in picks])), 1)


def train_child(args) -> dict:
    """The training measurement, in this process (see the module docstring)."""
    stages = Stages()
    from amnn.cli.tensorflow_loading import load_tensorflow

    load_tensorflow(0)
    from amnn.config import AMNNConfig
    from amnn.data.posts import read_posts
    from amnn.data.splits import split_by_image
    from amnn.features.photo_check import check_post_photos
    from amnn.inputs.pipeline import make_dataset
    from amnn.model.network import build_amnn
    from amnn.train.fitting import compile_model
    from amnn.train.preparation import prepare

    config = AMNNConfig(cache_dir=str(args.cache_dir), photo_features=args.photo_features,
                        batch_size=args.batch_size)
    stages.done("import TensorFlow")
    posts = read_posts(args.data, check_images=False)
    stages.done("read posts")
    posts = check_post_photos(posts, config, progress=False)
    stages.done("check photos")
    train_rows, val_rows = split_by_image(posts, config.val_fraction, config.seed)
    data = prepare(config, posts.select(train_rows), posts.select(val_rows), progress=False)
    del posts  # as train.py does: training needs only the ids, photo rows and table
    from amnn.features.photo_table import shared_encoder
    shared_encoder.cache_clear()
    stages.done("prepare")
    model = compile_model(build_amnn(data.config, data.sizes), config.learning_rate,
                          config.tag_loss)
    stages.done("build model")
    batches = make_dataset(data.train, data.features, config.batch_size, shuffle=True,
                           seed=config.seed).repeat()
    import keras

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.started)
            stages.done("warm-up steps" if epoch == 0 else f"timed round {epoch}")

    # One fit, as train.py runs one (one iterator, one shuffle buffer): a first epoch of
    # --steps steps (tracing), then --rounds timed epochs of --steps; the best round
    # counts, so a burst of load from elsewhere on shared cores does not.
    seconds: list[float] = []
    model.fit(batches, epochs=1 + args.rounds, steps_per_epoch=args.steps, verbose=0,
              callbacks=[EpochClock()])
    seconds = min(seconds[1:])
    # The input pipeline alone, the same batches without the network: is it the bound?
    # After the training figures, so its second shuffle buffer cannot raise their peak.
    iterator = iter(batches)
    next(iterator)  # fills the shuffle buffer
    started = time.perf_counter()
    for _ in range(args.steps):
        next(iterator)
    input_seconds = time.perf_counter() - started
    return {"input_only_samples_per_s": round(args.steps * config.batch_size / input_seconds, 1),
            "photo_table": type(data.features).__name__,
            "photo_features": args.photo_features, "steps": args.steps,
            "batch_size": config.batch_size, "train_posts": len(data.train),
            "train_seconds": round(seconds, 1), "rounds": args.rounds,
            "train_samples_per_s": round(args.steps * config.batch_size / seconds, 1),
            "distinct_photos_per_batch": distinct_per_batch(data.train.image_rows,
                                                            config.batch_size),
            "tag_vocab": len(data.vocab) - 4,
            "word_vocab": data.sizes.word_vocab_size, "stages": stages.table}


def run_training(data: Path, cache_dir: Path, steps: int, batch_size: int,
                 photo_features: str = "auto") -> dict:
    """`train_child` in a fresh process; adds its wall seconds and peak RSS (wait4)."""
    command = [sys.executable, "-m", "benchmarks.scale.runs", "--data", str(data),
               "--cache-dir", str(cache_dir), "--steps", str(steps),
               "--batch-size", str(batch_size), "--photo-features", photo_features]
    seconds, peak, stdout, _ = run_with_peak_memory(command)
    result = json.loads(stdout.strip().splitlines()[-1])
    # The peak up to the end of the timed steps (the input-only pass comes after them).
    result.update(train_run_seconds=round(seconds, 1),
                  train_peak_rss_mib=float(list(result["stages"].values())[-1]["peak_mib"]),
                  train_process_peak_rss_mib=round(peak, 1))
    return result


def encoder_identity(weights_dir: Path) -> SimpleNamespace:
    """The default encoder's name, feature shape and fingerprint, found in a child process.

    Building it loads TensorFlow (about 1 GB); in this process that memory would be
    inherited by every child started after it and counted in their `ru_maxrss`.
    """
    code = ("import json; from amnn.features.encoders import get_encoder; "
            f"e = get_encoder('efficientnet_lite0', cache_dir={str(weights_dir)!r}); "
            "print(json.dumps([e.name, list(e.feature_shape), e.fingerprint]))")
    _, _, stdout, _ = run_with_peak_memory([sys.executable, "-c", code])
    name, shape, fingerprint = json.loads(stdout.strip().splitlines()[-1])
    return SimpleNamespace(name=name, feature_shape=tuple(shape), fingerprint=fingerprint)


def train_predict_model(data: Path, cache_dir: Path, out: Path) -> float:
    """A model folder for the predict.py runs: `scripts/train.py --epochs 1`; its seconds."""
    command = [sys.executable, str(REPO / "scripts" / "train.py"), "--data", str(data),
               "--out", str(out), "--epochs", "1", "--val-fraction", "0", "--quiet",
               "--cache-dir", str(cache_dir), "--overwrite"]
    seconds, _, _, _ = run_with_peak_memory(command)
    return round(seconds, 1)


def run_predict(model: Path, posts_csv: Path, cache_dir: Path, out: Path, posts: int) -> dict:
    """`scripts/predict.py` over `posts_csv` as a user runs it: posts/s and peak RSS."""
    command = [sys.executable, str(REPO / "scripts" / "predict.py"), "--model", str(model),
               "--data", str(posts_csv), "--out", str(out), "--overwrite",
               "--cache-dir", str(cache_dir)]
    seconds, peak, _, tail = run_with_peak_memory(command)
    if f"wrote {posts} posts" not in tail:
        raise RuntimeError(f"predict.py did not write {posts} posts:\n{tail}")
    return {"predict_posts": posts, "predict_seconds": round(seconds, 1),
            "predict_posts_per_s": round(posts / seconds, 1),
            "predict_peak_rss_mib": round(peak, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="synthetic posts folder")
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--photo-features", default="auto", choices=("auto", "memory", "stream"))
    args = parser.parse_args(argv)
    print(json.dumps(train_child(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
