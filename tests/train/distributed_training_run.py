"""Helper of tests/test_distribution.py: trains a tiny AMNN under MirroredStrategy on two
logical CPU devices, and under one device, in a fresh process.

Logical devices can only be configured before TensorFlow initialises its runtime, which a
pytest process has long done, hence a script of its own. Usage:

    python tests/distributed_training_run.py OUT_DIR one_device   # the reference
    python tests/distributed_training_run.py OUT_DIR mirrored

one_device trains OUT_DIR/one_device straight through (a global batch of 8 on one device);
mirrored trains OUT_DIR/mirrored (2 replicas x 4 posts), interrupted after epoch 2, then
resumed under the same strategy. Each prints one JSON line: the summary and per-epoch log.
The two run as separate processes, so the test starts them side by side (tracing is
single-threaded Python: two cores halve the wait); it loads the model folders itself, in
a process that never made a strategy.

Each epoch is ONE global batch of the same 8 posts, so the order the pipeline shuffles them
in cannot change a step (it only decides which replica gets which post, and the replicas'
gradients are summed): the resumed epoch 3 must match the straight run's epoch 3 as
closely as the uninterrupted epochs do.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

# Before anything else touches TensorFlow: split the one CPU into two logical devices.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import amnn.train.fitting as training  # noqa: E402
from amnn.model.folder_swap import working_folder  # noqa: E402
from amnn.train.distribution import make_strategy  # noqa: E402
from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.model.network import ModelSizes  # noqa: E402
from amnn.train.preparation import PreparedData  # noqa: E402
from amnn.data.text import TextVectorizer, WordTokenizer  # noqa: E402
from amnn.data.vocabulary import HashtagVocabulary  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402
from tests.stop_after import StopAfter  # noqa: E402  (run as python -m from the repository)

# batch_size is per replica: 2 replicas x 4 = the one-device run's batch of 8.
TINY = AMNNConfig(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
                  tag_embedding_dim=8, decoder_units=12, dropout=0.0, epochs=3, batch_size=4,
                  early_stopping_patience=10, reduce_lr_patience=10)
WORDS = "sun beach sea coffee cup morning cat dog park city night food".split()
TAG_NAMES = "beach summer coffee morning cat pet city night".split()
POSTS = 8  # one full global batch: every replica gets 4 posts every step


def prepared() -> PreparedData:
    """8 posts with captions of 1-5 words, tiny float16 photos, and exactly two hashtags
    each, so every target has 3 real steps (2 tags + EOS) and no padding (see the test)."""
    rng = np.random.default_rng(0)
    captions = [" ".join(rng.choice(WORDS, size=1 + i % 5)) for i in range(POSTS)]
    tags = [list(rng.choice(TAG_NAMES, size=2, replace=False)) for _ in range(POSTS)]
    vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(captions)
    vocab = HashtagVocabulary.build(tags, min_count=1)
    features = rng.normal(size=(POSTS // 2 + 1, 49, 16)).astype("float16")  # + blank row
    rows = (np.arange(POSTS) % (POSTS // 2)).astype("int32")  # photos shared by two posts
    encoded = EncodedPosts(vectorizer.encode(captions), rows,
                           [vocab.encode_target(t, 5, "frequency") for t in tags])
    sizes = ModelSizes(vectorizer.vocab_size, len(vocab), (49, 16))
    return PreparedData(TINY, vectorizer, vocab, encoded, encoded, features, sizes)


def one_device(data: PreparedData, folder: Path) -> dict:
    """The reference: the same global batch of 8 on one device, straight through."""
    data.config = TINY.replace(batch_size=8)
    summary = training.train_model(data, folder, verbose=0,
                                   strategy=tf.distribute.OneDeviceStrategy("/cpu:0"))
    return {"summary": summary, "log": log(folder)}


def mirrored(data: PreparedData, folder: Path) -> dict:
    """Mirrored over the two logical CPUs, killed after epoch 2 of 3, then resumed."""
    data.config, strategy, report = TINY, make_strategy("mirrored"), {}
    original = training._callbacks
    training._callbacks = lambda *a: original(*a) + [StopAfter(2)]
    try:
        training.train_model(data, folder, verbose=0, strategy=strategy)
        report["interrupted"] = False
    except KeyboardInterrupt:
        report["interrupted"] = True
    finally:
        training._callbacks = original
    # The work waits in a folder beside the model folder until it is finished.
    report["left_after_interrupt"] = sorted(p.name for p in working_folder(folder).iterdir())
    report["log_after_interrupt"] = log(working_folder(folder))
    summary = training.train_model(data, folder, resume=True, verbose=0, strategy=strategy)
    return {**report, "summary": summary, "log": log(folder)}


def log(folder: Path) -> dict:
    return pd.read_csv(folder / "training_log.csv").to_dict("list")


if __name__ == "__main__":
    run = {"one_device": one_device, "mirrored": mirrored}[sys.argv[2]]
    print(json.dumps(run(prepared(), Path(sys.argv[1]) / sys.argv[2])))
