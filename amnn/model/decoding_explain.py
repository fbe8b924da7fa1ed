"""Explaining a decode: each chosen tag's probability and the attention that chose it.

`BatchDecoder.decode(..., explain=True)` returns an `ExplainedIds` from the very compiled
call that picks the tags, so what it shows is what decided them, not a second opinion:

- probabilities: per output position, the probability of the chosen tag under the step's
  distribution, mixed with the neighbours' vote when there is a memory (exp of the step's
  mixed log-probability, before banned tags are blocked); 0 where the position holds PAD.
- network_probabilities: the same tag's probability under the network alone.
- vote_probabilities and vote_weight: its share of the neighbours' vote, and the vote's
  weight in the mix (None and 0.0 without a memory): probability = (1 - vote_weight) *
  network + vote_weight * vote.
- neighbour_rows, neighbour_similarities (B, n): the remembered posts that voted (each
  view's neighbours in turn, a photo by its first post) and each one's weight, its
  similarity times its view's share (None without a memory).
- region_weights (B, K, R) and word_weights (B, K, L): the decoder's attention over the
  photo's regions and the caption's words at that step (padding words get 0).

In rank mode every tag comes from the one step after the priming, so all positions share
that step's weights (`shared_step`); in greedy mode each position has its own step's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from amnn.data.vocabulary import PAD


@dataclass
class ExplainedIds:
    """Hashtag ids of a batch with why: see the module docstring.

    Example:
        >>> ids = np.array([[5, 4]], "int32")
        >>> explained = ExplainedIds(ids, np.array([[0.5, 0.25]]), None, None, True)
        >>> explained.ids.shape, explained.shared_step
        ((1, 2), True)
    """

    ids: np.ndarray
    probabilities: np.ndarray
    region_weights: np.ndarray | None
    word_weights: np.ndarray | None
    shared_step: bool
    network_probabilities: np.ndarray | None = None
    vote_probabilities: np.ndarray | None = None
    vote_weight: float = 0.0
    neighbour_rows: np.ndarray | None = None
    neighbour_similarities: np.ndarray | None = None


def chosen_probabilities(step_logits, ids):
    """Step logits (B, V) (raw or a mixed log-distribution) and chosen ids (B,) -> (B,).

    Example:
        >>> logits = tf.math.log(tf.constant([[0.1, 0.2, 0.7]]))
        >>> [round(float(p), 3) for p in chosen_probabilities(logits, tf.constant([2]))]
        [0.7]
    """
    log_probs = tf.nn.log_softmax(step_logits, axis=-1)
    chosen = tf.exp(tf.gather(log_probs, ids, batch_dims=1))
    return tf.where(tf.equal(ids, PAD), 0.0, chosen)


def chosen_values(distribution, ids):
    """A distribution (B, V) read at chosen ids (B,) -> (B,); 0 where the id is PAD.

    Example:
        >>> [float(v) for v in chosen_values(tf.constant([[0.1, 0.9]]), tf.constant([1]))]
        [0.8999999761581421]
    """
    return tf.where(tf.equal(ids, PAD), 0.0, tf.gather(distribution, ids, batch_dims=1))


def mix_parts(neighbours, batch, state, given, step_logits, vote, ids) -> dict:
    """What each chosen tag's probability is made of: the network's probability at the step
    that chose it, the vote's, and the neighbours that voted.

    `step_logits`: one (B, V) of raw network logits per output position; `vote` (B, V) or
    None (no memory); `given` (B, V) marks of the given tags, or None.
    """
    parts = {"network_probabilities": tf.stack(
        [chosen_values(tf.nn.softmax(logits, axis=-1), ids[:, k])
         for k, logits in enumerate(step_logits)], axis=1)}
    if vote is not None:
        parts["vote_probabilities"] = tf.stack(
            [chosen_values(vote, ids[:, k]) for k in range(len(step_logits))], axis=1)
        near, rows = neighbours.voters(state, batch.get("text_ids"), given=given,
                                       image_regions=batch.get("image_regions"))
        parts["neighbour_rows"], parts["neighbour_similarities"] = rows, near
    return parts


def explained_outputs(ids, probabilities, weights, parts: dict | None = None):
    """The compiled call's result: ids (B, K), probabilities (B, K) and attention weights.

    `weights` is one dict {"regions"/"words": (B, N)} per position, or a single dict
    shared by every position (rank mode), which is then repeated K times. `parts`: the
    network's and the vote's share of each probability and the voting neighbours
    (`network_probabilities`, `vote_probabilities`, `neighbour_rows`,
    `neighbour_similarities`), as far as there are any.

    Example:
        >>> out = explained_outputs(tf.constant([[4, 5]]), tf.constant([[0.6, 0.3]]),
        ...                         {"words": tf.constant([[0.25, 0.75, 0.0]])})
        >>> tuple(out["word_weights"].shape), "region_weights" in out
        ((1, 2, 3), False)
    """
    top_k = ids.shape[1]
    if isinstance(weights, dict):
        weights = [weights] * top_k
    out = {"ids": ids, "probabilities": probabilities, **(parts or {})}
    for key, name in (("regions", "region_weights"), ("words", "word_weights")):
        if weights and key in weights[0]:
            out[name] = tf.stack([step[key] for step in weights], axis=1)
    return out


def to_explained(outputs: dict, shared_step: bool, vote_weight: float = 0.0) -> ExplainedIds:
    """The compiled call's tensors -> numpy `ExplainedIds`."""
    arrays = {name: value.numpy() for name, value in outputs.items()}
    return ExplainedIds(arrays["ids"], arrays["probabilities"],
                        arrays.get("region_weights"), arrays.get("word_weights"), shared_step,
                        arrays.get("network_probabilities"), arrays.get("vote_probabilities"),
                        vote_weight, arrays.get("neighbour_rows"),
                        arrays.get("neighbour_similarities"))
