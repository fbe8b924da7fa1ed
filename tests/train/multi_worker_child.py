"""Helper of tests/train/test_multi_worker.py: one worker of a MultiWorkerMirroredStrategy
cluster on 127.0.0.1, training a tiny AMNN with `amnn.train.worker_loop`.

MultiWorkerMirroredStrategy must be made before TensorFlow does anything else, so each
worker is a process of its own (TF_CONFIG says which). Usage, from the repository:

    TF_CONFIG=... python -m tests.train.multi_worker_child OUT_DIR NAME PER_REPLICA_BATCH [fit]

Each worker trains OUT_DIR/NAME with the custom loop (also on a one-worker cluster, the
reference), killed after epoch 2 of 3 and then resumed; with `fit`, it then trains
OUT_DIR/fit the same way with `model.fit` (a one-worker cluster only; for comparisons by
hand, not run by the test). It prints one JSON line: per run, the summary, the epoch log
and what the interruption left.

The data make an epoch of 18 posts: with a global batch of 8 the last step has 2 posts,
all on one replica when two share it (the other gets an empty batch), and the posts have
1-3 hashtags, so the masked loss averages over unequal counts of real steps.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from amnn.train.distribution import make_strategy

# Before any other TensorFlow work; only when run as a worker, not when pytest collects
# this file for its docstring examples.
STRATEGY = make_strategy("multi-worker") if __name__ == "__main__" else None

import numpy as np
import pandas as pd

import amnn.train.fitting as training
from amnn.config import AMNNConfig
from amnn.data.text import TextVectorizer, WordTokenizer
from amnn.data.vocabulary import HashtagVocabulary
from amnn.inputs.encoding import EncodedPosts
from amnn.model.folder_swap import working_folder
from amnn.model.network import ModelSizes
from amnn.train.preparation import PreparedData
from tests.stop_after import StopAfter

TINY = AMNNConfig(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
                  tag_embedding_dim=8, decoder_units=12, dropout=0.0, epochs=3,
                  early_stopping_patience=10, reduce_lr_patience=10, memory=False,
                  stop_on="loss")  # early stopping and the best weights follow val_loss
WORDS = ["sun", "beach", "sea", "coffee", "cup", "morning", "cat", "dog", "park", "city", "night", "food"]
TAG_NAMES = ["beach", "summer", "coffee", "morning", "cat", "pet", "city", "night"]
TRAIN, VAL = 18, 6


def prepared(batch_size: int) -> PreparedData:
    rng = np.random.default_rng(0)
    posts = TRAIN + VAL
    captions = [" ".join(rng.choice(WORDS, size=1 + i % 5)) for i in range(posts)]
    tags = [list(rng.choice(TAG_NAMES, size=1 + i % 3, replace=False)) for i in range(posts)]
    vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(captions)
    vocab = HashtagVocabulary.build(tags, min_count=1)
    features = rng.normal(size=(posts // 2 + 1, 49, 16)).astype("float16")
    rows = (np.arange(posts) % (posts // 2)).astype("int32")  # photos shared by two posts

    def encode(part):
        return EncodedPosts(vectorizer.encode([captions[i] for i in part]), rows[part],
                            [vocab.encode_target(tags[i], 5, "frequency") for i in part])

    return PreparedData(TINY.replace(batch_size=batch_size), vectorizer, vocab,
                        encode(np.arange(TRAIN)), encode(np.arange(TRAIN, posts)), features,
                        ModelSizes(vectorizer.vocab_size, len(vocab), (49, 16)))


def interrupted_then_resumed(data: PreparedData, folder: Path) -> dict:
    """Killed after epoch 2 of 3 (every worker alike), then resumed."""
    original, report = training._callbacks, {}
    training._callbacks = lambda *a: original(*a) + [StopAfter(2)]
    try:
        training.train_model(data, folder, verbose=0, strategy=STRATEGY)
        report["interrupted"] = False
    except KeyboardInterrupt:
        report["interrupted"] = True
    finally:
        training._callbacks = original
    work = working_folder(folder)  # the chief's work waits beside the model folder
    if work.is_dir():
        report["left_after_interrupt"] = sorted(p.name for p in work.iterdir())
        report["log_after_interrupt"] = log(work)
    summary = training.train_model(data, folder, resume=True, verbose=0, strategy=STRATEGY)
    return {**report, "summary": summary, "log": log(folder) if folder.is_dir() else None}


def log(folder: Path) -> dict:
    return pd.read_csv(folder / "training_log.csv").to_dict("list")


if __name__ == "__main__":
    root, name, per_replica = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    data, runs = prepared(per_replica), {}
    training.uses_worker_loop = lambda strategy: True  # on one worker too: the reference
    runs[name] = interrupted_then_resumed(data, root / name)
    if sys.argv[4:] == ["fit"]:
        training.uses_worker_loop = lambda strategy: False
        runs["fit"] = interrupted_then_resumed(data, root / "fit")
    print(json.dumps(runs))
