"""Decoding speed: our batched decoder against the published one-predict-per-tag loop.

Both decode the same trained network's posts greedily with no repeated tag, `top_k` tags
each, without the neighbour memory (the published code has none), so they must agree on
every tag. Ours goes through `HashtagPredictor` as `scripts/predict.py` does (caption ids,
photo features from the HDF5 cache, batches of similar length); the reference gets its
inputs already encoded, which only flatters it. The many-posts figure is predict.py's
default path: the memory as trained and the model's decode mode.
"""

from __future__ import annotations

import time

import numpy as np

from amnn.model.folder import TrainedAMNN
from amnn.data.posts import Posts
from amnn.serve.predictor import HashtagPredictor
from amnn.inputs.encoding import padded_model_inputs
from benchmarks.speed.published_reference import reference_greedy

TOP_K = 5


def cycle_posts(posts: Posts, count: int) -> Posts:
    """`count` posts made by repeating `posts` in order (real posts, reused).

    Example:
        >>> posts = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["a", "x"], ["b", "y"]],
        ...                         [2, 3])
        >>> cycle_posts(posts, 5).texts
        ['a', 'b', 'a', 'b', 'a']
    """
    return posts.select(np.arange(count) % len(posts))


def measure_decoding(trained: TrainedAMNN, posts: Posts, reference_posts: int = 500,
                     many_posts: int = 10_000) -> dict:
    """Posts per second of ours and of the reference on the same posts, and at scale.

    Returns a dict with `decode_ratio`, `decode_posts_per_s` (ours on `many_posts`),
    the per-method rates, and whether both agreed on the tags.
    """
    network_only = HashtagPredictor(trained, progress=False, memory=False)
    sample = cycle_posts(posts, reference_posts)
    # Greedy, tag after tag, as the published loop decodes.
    network_only.predict(sample, top_k=TOP_K, rank=False)  # compiles the decode step once
    started = time.perf_counter()
    ours = network_only.predict(sample, top_k=TOP_K, rank=False)
    ours_seconds = time.perf_counter() - started

    inputs = padded_model_inputs(sample, trained.config, trained.vectorizer)
    started = time.perf_counter()
    reference_ids = reference_greedy(trained.model, inputs, top_k=TOP_K, min_tags=TOP_K)
    reference_seconds = time.perf_counter() - started
    tag_of = trained.hashtag_vocab.tag
    reference = [[tag_of(i) for i in ids] for ids in reference_ids]
    agree = float(np.mean([a == b for a, b in zip(ours, reference)]))

    as_predict_py = HashtagPredictor(trained, progress=False)
    many = cycle_posts(posts, many_posts)
    started = time.perf_counter()
    as_predict_py.predict(many, top_k=TOP_K)  # decoded as trained, as predict.py does
    many_seconds = time.perf_counter() - started
    return {
        "decode_ratio": round(reference_seconds / ours_seconds, 1),
        "decode_posts_per_s": round(many_posts / many_seconds, 1),
        "decode_many_posts": many_posts, "decode_many_seconds": round(many_seconds, 2),
        "decode_reference_posts": reference_posts,
        "decode_ours_posts_per_s": round(reference_posts / ours_seconds, 1),
        "decode_reference_posts_per_s": round(reference_posts / reference_seconds, 2),
        "decode_same_tags_share": round(agree, 4),
    }
