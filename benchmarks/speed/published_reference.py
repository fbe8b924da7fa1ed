"""Faithful re-creations of the published AMNN code's hot paths, to measure ours against.

Only the *way* of computing is copied, on our own model, so a speed ratio measures the
way and nothing else:

- `reference_greedy`: one `model.predict` call per post per hashtag, the tag list grown
  by hand, greedy with no repeats (the published prediction loop).
- `published_batches`: a Python `while True` generator that builds, per batch, dense
  one-hot hashtag tensors (batch, steps, vocabulary) and copies each post's photo features
  to every decoder step, from features held per post in float32 (the published training
  input). `published_input_adapter` turns those tensors back into what our model reads,
  so both pipelines train the very same network.
"""

from __future__ import annotations

from typing import Iterator, Optional

import keras
import numpy as np

from amnn.inputs.encoding import EncodedPosts, pad_ids
from amnn.data.vocabulary import BOS, EOS, PAD, UNK


def reference_greedy(model: keras.Model, inputs: dict, top_k: int,
                     min_tags: int) -> list[list[int]]:
    """Greedy tag ids per post, one full `model.predict` per post per tag, as published.

    Args:
        model: the teacher-forced AMNN training model (inputs dict -> logits (B, L, V)).
        inputs: dict of per-post arrays ("text_ids", "image_regions"; "tag_inputs" ignored).
        top_k: int. Tags per post at most.
        min_tags: int. EOS is not allowed before this many tags.

    Example:
        >>> class Scores:  # a stand-in model: tag id i scores i at every step, EOS (2) too
        ...     input = {"text_ids": None, "tag_inputs": None}
        ...     def predict(self, inputs, verbose=0):
        ...         steps = inputs["tag_inputs"].shape[1]
        ...         return np.tile(np.arange(8.0), (1, steps, 1))
        >>> ids = np.zeros((2, 4), "int32")
        >>> reference_greedy(Scores(), {"text_ids": ids}, top_k=3, min_tags=3)  # no repeats
        [[7, 6, 5], [7, 6, 5]]
    """
    posts = len(next(value for name, value in inputs.items() if name != "tag_inputs"))
    results = []
    for row in range(posts):
        tags = [BOS]
        for step in range(top_k):
            one = {name: value[row:row + 1] for name, value in inputs.items()
                   if name not in ("tag_inputs", "image_index")}
            one["tag_inputs"] = np.array([tags], "int32")
            if "image_index" in model.input:  # the one post's photo is row 0
                one["image_index"] = np.zeros(1, "int32")
            logits = model.predict(one, verbose=0)[0, -1]
            logits[[PAD, BOS, UNK]] = -np.inf
            logits[tags[1:]] = -np.inf
            if step < min_tags:
                logits[EOS] = -np.inf
            best = int(np.argmax(logits))
            tags.append(best)
            if best == EOS:
                break
        results.append(tags[1:])
    return results


def published_batches(posts: EncodedPosts, per_post_features: Optional[np.ndarray],
                      vocab_size: int, batch_size: int, seed: int = 0) -> Iterator:
    """Endless (inputs, targets) batches built in Python the published way.

    `per_post_features` is float32 (N, 49, C), one row per post (not per photo).

    Example:
        >>> posts = EncodedPosts([[4, 5], [6]], np.array([0, 1]), [[5, 6, EOS], [7, EOS]])
        >>> photos = np.zeros((2, 49, 8), np.float32)
        >>> inputs, targets = next(published_batches(posts, photos, vocab_size=9, batch_size=2))
        >>> inputs["tag_onehot"].shape, inputs["image_steps"].shape, targets.shape
        ((2, 3, 9), (2, 3, 49, 8), (2, 3))
    """
    rng = np.random.default_rng(seed)
    # The published code padded every batch to the data set's longest caption and tag list.
    steps = max(len(target) for target in posts.targets)
    words = max([len(ids) for ids in posts.text_ids] + [1]) if posts.text_ids is not None else 0
    while True:
        order = rng.permutation(len(posts))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            rows = order[start:start + batch_size]
            targets = pad_ids([posts.targets[i] for i in rows], min_length=steps)
            onehot = np.zeros((len(rows), steps, vocab_size), np.float32)
            for i in range(len(rows)):  # the published loop filled one cell at a time
                previous = BOS
                for t in range(steps):
                    if targets[i, t] == PAD:
                        break
                    onehot[i, t, previous] = 1.0
                    previous = targets[i, t]
            inputs = {"tag_onehot": onehot}
            if posts.text_ids is not None:
                inputs["text_ids"] = pad_ids([posts.text_ids[i] for i in rows], min_length=words)
            if per_post_features is not None:
                inputs["image_steps"] = np.stack(
                    [np.repeat(per_post_features[i][None], steps, axis=0) for i in rows])
            yield inputs, targets


def published_input_adapter(model: keras.Model, vocab_size: int, feature_shape,
                            with_text: bool, with_image: bool) -> keras.Model:
    """Wrap our training model so it reads the published tensors (same weights, same math).

    One-hot steps become ids again (an all-zero row is padding) and the copied photo
    features are read from the first step, so only the input pipeline differs.
    """
    inputs = {"tag_onehot": keras.Input((None, vocab_size), name="tag_onehot")}
    onehot = inputs["tag_onehot"]
    ids = keras.ops.cast(keras.ops.argmax(onehot, axis=-1), "int32")
    ids = ids * keras.ops.cast(keras.ops.max(onehot, axis=-1) > 0, "int32")
    ours = {"tag_inputs": ids}
    if with_text:
        inputs["text_ids"] = keras.Input((None,), dtype="int32", name="text_ids")
        ours["text_ids"] = inputs["text_ids"]
    if with_image:
        inputs["image_steps"] = keras.Input((None, *feature_shape), name="image_steps")
        ours["image_regions"] = inputs["image_steps"][:, 0]
        if "image_index" in model.input:  # one photo per post: post i reads row i
            # 0, 1, ..., B-1 from the symbolic batch (arange needs a known length)
            ours["image_index"] = keras.ops.cumsum(keras.ops.ones_like(ids[:, 0])) - 1
    return keras.Model(inputs, model(ours), name="published_inputs")
