"""Batched hashtag decoding: greedy with no repeated tag, and beam search.

The published code called `model.predict` once per post per hashtag. Here a whole batch of
posts is encoded once (caption and photo), then only the decoder steps, all posts
together, inside one compiled `tf.function` per (top_k, min_tags, beam) setting.

Every decoder returns an int32 array (B, top_k) of hashtag ids in recommendation order:
real tags first, then EOS where the model chose to stop, then PAD (0).

A third mode, `rank`, takes one decoder step only and ranks every hashtag by its
probability of being the post's first tag: a multi-label reading of the same model that
does not let an early wrong tag steer the rest of the list.

With a `NeighbourMemory` (amnn/model/neighbours.py), every step's distribution is mixed
with the vote of the post's nearest training posts, found by its caption's words, its photo
and the first decoder state.

Completing tags a user started (`given`): the decoder is primed with a post's given tags as
its first steps, teacher-forced exactly as in training (BOS, given tag 1, given tag 2, ...),
and decoding continues from the state after the last given tag; given tags are never
recommended. Posts of one batch may have different numbers of given tags: each row's state
stops moving after its own last given tag, so a row decodes as it would alone. In `rank`
mode, tags are ranked by their probability of being the *next* tag after the given ones
(one decoder step after the priming), given tags banned. With given tags, only the training
posts that carry one of them vote in the neighbours' memory (the nearest first), so the
memory completes a list as co-occurrence does, weighted by how close each post is.

`explain=True`: from the same compiled call, each tag's probability and the attention at
the step that chose it (rank: one shared step) -- see `amnn.model.decoding_explain`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from amnn.data.vocabulary import BOS, EOS, PAD, UNK
from amnn.model.decoding_explain import ExplainedIds, chosen_probabilities, explained_outputs
from amnn.model.decoding_explain import mix_parts, to_explained
from amnn.model.neighbours import NeighbourMemory
from amnn.model.network import AMNNNetwork

_NEG_INF = float("-inf")
_GIVEN = "given_tags"  # the batch entry holding the given tags' ids (B, G), PAD-padded


def given_matrix(given, size: int) -> np.ndarray:
    """Given tag ids per post -> int32 (size, G), known ids only, in order, PAD-padded.

    Ids <= UNK (unknown tags, PAD) are dropped and repeats removed, so every row's real
    entries come first; G is the longest row (0 when nothing is given).

    Example:
        >>> given_matrix([[7, UNK, 5], [], [6, 6]], 3).tolist()
        [[7, 5], [0, 0], [6, 0]]
        >>> given_matrix(None, 2).shape
        (2, 0)
    """
    if given is None:
        return np.zeros((size, 0), np.int32)
    if len(given) != size:
        raise ValueError(f"need one row of given tags per post, got {len(given)} for {size}")
    rows = [list(dict.fromkeys(int(i) for i in row if int(i) > UNK)) for row in given]
    table = np.full((size, max([len(row) for row in rows] + [0])), PAD, np.int32)
    for i, row in enumerate(rows):
        table[i, :len(row)] = row
    return table


class BatchDecoder:
    """Greedy or beam-search decoding over batches of posts.

    Args:
        network: AMNNNetwork. The trained layers (see `AMNNNetwork.from_model`).
        tag_vocab_size: int. Size of the hashtag vocabulary including PAD/BOS/EOS/UNK.
        length_penalty: float. Beam scores are divided by length ** length_penalty, so
            longer tag lists are not punished merely for having more terms.
        neighbours: NeighbourMemory or None. Mixed into every step's distribution.

    Example (an untrained text-only network; tag ids 4 to 7 are its four tags):
        >>> from amnn.config import AMNNConfig
        >>> from amnn.model.network import ModelSizes
        >>> sizes = ModelSizes(word_vocab_size=10, tag_vocab_size=8, feature_shape=(49, 32))
        >>> decoder = BatchDecoder(AMNNNetwork.create(AMNNConfig(include_image=False), sizes), 8)
        >>> inputs = {"text_ids": np.array([[2, 3], [4, 0]])}  # two captions' word ids, padded
        >>> ids = decoder.decode(inputs, top_k=3, rank=True, given=[[5], []])  # post 0 has tag 5
        >>> ids.shape, bool((ids > UNK).all()), 5 in ids[0]
        ((2, 3), True, False)
    """

    def __init__(self, network: AMNNNetwork, tag_vocab_size: int, length_penalty: float = 1.0,
                 neighbours: NeighbourMemory | None = None):
        self.network = network
        self.neighbours = neighbours
        self.vocab_size = int(tag_vocab_size)
        self.length_penalty = float(length_penalty)
        # Special ids are never recommended; EOS only ends a list.
        self._banned = tf.constant(np.isin(np.arange(self.vocab_size), [PAD, BOS, UNK]))
        self._eos = tf.constant(np.arange(self.vocab_size) == EOS)
        self._compiled: dict[tuple[int, int, int], tf.types.experimental.GenericFunction] = {}

    def decode(self, inputs: dict, top_k: int, min_tags: int = 1, beam_size: int = 1,
               rank: bool = False, given=None,
               explain: bool = False) -> np.ndarray | ExplainedIds:
        """Hashtag ids (B, top_k) for a batch of encoded posts (dict of model inputs).

        `rank=True` ranks tags by the first free step's distribution (min_tags and beam
        unused). `given`: per post, the ids of the tags the user already wrote (a list of
        lists, or an int array padded with PAD); the decoder is primed with them and never
        outputs them. Ids <= UNK (unknown tags) are skipped. None: nothing given.

        `explain=True` returns an `ExplainedIds` (the same ids, plus probabilities and
        attention weights) instead of the ids alone; beam search cannot be explained.
        """
        if top_k < 1 or beam_size < 1:
            raise ValueError(f"top_k and beam_size must be >= 1, got {top_k}, {beam_size}")
        if explain and beam_size > 1 and not rank:
            raise ValueError("beam search keeps several tag lists at once, so no single "
                             "attention explains its tags; explain greedy or rank decoding")
        # The vocabulary may hold fewer real tags than asked for; never force impossible picks.
        real_tags = self.vocab_size - 4
        min_tags = max(0, min(min_tags, top_k, real_tags))
        size = len(next(iter(inputs.values())))
        given = given_matrix(given, size)
        if given.size and given.max() >= self.vocab_size:
            raise ValueError(f"given tag id {given.max()} is outside the hashtag vocabulary "
                             f"(size {self.vocab_size})")
        # The priming is unrolled over the widest row, so the width is part of the key.
        key = (int(top_k), int(min_tags), int(beam_size), bool(rank), given.shape[1],
               bool(explain))
        if key not in self._compiled:
            fn = self._rank if rank else self._greedy if beam_size == 1 else self._beam
            self._compiled[key] = tf.function(
                lambda batch: fn(batch, *key), reduce_retracing=True)
        batch = {name: tf.convert_to_tensor(value) for name, value in inputs.items()}
        batch[_GIVEN] = tf.convert_to_tensor(given)
        result = self._compiled[key](batch)
        if not explain:
            return result.numpy()
        weight = self.neighbours.weight if self.neighbours is not None else 0.0
        return to_explained(result, bool(rank), weight)

    def _encode(self, batch):
        """(attention memory, first state, neighbours' vote or None) of a batch of posts."""
        memory, state = self.network.encode(batch.get("text_ids"), batch.get("image_regions"))
        vote = None
        if self.neighbours is not None:
            # Nothing given (a batch without given tags): the plain vote.
            marks = self._given_marks(batch[_GIVEN]) if batch[_GIVEN].shape[1] else None
            vote = self.neighbours.vote(state, batch.get("text_ids"), given=marks,
                                        image_regions=batch.get("image_regions"))
        return memory, state, vote

    def _step(self, tags, state, memory):
        """One decoder step: (logits (B, V), state, attention weights {name: (B, N)})."""
        # The weights are always asked for; a call that does not return them drops them.
        logits, state, weights = self.network.decode(tags, state, memory, attention=True)
        return logits[:, 0, :], state, {name: w[:, 0, :] for name, w in weights.items()}

    def _prime(self, batch, memory, state, width):
        """Teacher-force BOS and each row's given tags: (next-step logits (B, V), state,
        given, the attention weights of the step that made those logits).

        Step t feeds given tag t; a row whose given tags are done keeps its state and logits,
        so rows with fewer (or no) given tags are unaffected by the others. `given` (B, V)
        marks each row's given tags, which are never recommended.
        """
        given = batch[_GIVEN]
        size = tf.shape(state)[0]
        logits, state, weights = self._step(tf.fill((size, 1), BOS), state, memory)
        lengths = tf.reduce_sum(tf.cast(given != PAD, tf.int32), axis=1)
        for t in range(width):  # width is static and small: unrolled
            stepped_logits, stepped, stepped_weights = self._step(given[:, t:t + 1], state,
                                                                  memory)
            live = (t < lengths)[:, None]
            state = tf.where(live, stepped, state)
            logits = tf.where(live, stepped_logits, logits)
            weights = {k: tf.where(live, stepped_weights[k], w) for k, w in weights.items()}
        return logits, state, self._given_marks(given), weights

    def _given_marks(self, given):
        """Given tag ids (B, G), PAD-padded -> (B, V) bool marking each row's given tags."""
        marked = tf.reduce_any(tf.one_hot(given, self.vocab_size, on_value=True,
                                          off_value=False, dtype=tf.bool), axis=1)
        return tf.logical_and(marked, tf.range(self.vocab_size) > UNK)

    @staticmethod
    def _drop_given(ids, given):
        """PAD in place of any given tag: only possible when the vocabulary ran out."""
        return tf.where(tf.gather(given, ids, batch_dims=1), PAD, ids)

    def _step_logits(self, logits, vote):
        """One step's logits (B, V), mixed with the neighbours' vote when there is one."""
        return logits if vote is None else self.neighbours.mix(logits, vote)

    def _blocked(self, used, step, min_tags):
        blocked = tf.logical_or(used, self._banned)
        if step < min_tags:
            blocked = tf.logical_or(blocked, self._eos)
        return blocked

    def _rank(self, batch, top_k, _min_tags, _beam_size, _rank, width, explain):
        memory, state, vote = self._encode(batch)
        logits, _, given, weights = self._prime(batch, memory, state, width)
        logits_raw = logits
        blocked = tf.logical_or(self._banned, self._eos)  # a ranking has no end token
        blocked = tf.logical_or(blocked, given)
        mixed = self._step_logits(logits, vote)
        logits = tf.where(blocked, _NEG_INF, mixed)
        top_k = min(top_k, self.vocab_size - 4)
        best = tf.math.top_k(logits, k=top_k)
        # Fewer free tags than top_k (a tiny vocabulary, most of it given): PAD, not a ban.
        ids = tf.where(tf.math.is_inf(best.values), PAD, best.indices)
        if not explain:
            return ids
        probabilities = tf.stack([chosen_probabilities(mixed, ids[:, k])
                                  for k in range(top_k)], axis=1)
        parts = mix_parts(self.neighbours, batch, state, given if width else None,
                          [logits_raw] * top_k, vote, ids)
        return explained_outputs(ids, probabilities, weights, parts)  # one step shared by all

    def _greedy(self, batch, top_k, min_tags, _beam_size, _rank, width, explain):
        memory, state, vote = self._encode(batch)
        first_state = state
        size = tf.shape(state)[0]
        logits, state, given, weights = self._prime(batch, memory, state, width)
        used = given
        finished = tf.zeros((size,), tf.bool)
        chosen, previous, probabilities, step_weights, step_logits = [], None, [], [], []
        for step in range(top_k):  # top_k is small and static: an unrolled loop compiles well
            if step > 0:  # the first step's logits come from the priming
                logits, state, weights = self._step(previous, state, memory)
            raw = logits
            mixed = self._step_logits(logits, vote)
            logits = tf.where(self._blocked(used, step, min_tags), _NEG_INF, mixed)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            token = tf.where(finished, PAD, token)
            probabilities.append(chosen_probabilities(mixed, token))
            step_weights.append(weights)
            step_logits.append(raw)
            finished = tf.logical_or(finished, tf.equal(token, EOS))
            used = tf.logical_or(used, tf.one_hot(token, self.vocab_size, on_value=True,
                                                  off_value=False, dtype=tf.bool))
            chosen.append(token)
            previous = tf.where(tf.equal(token, PAD), EOS, token)[:, None]
        ids = self._drop_given(tf.stack(chosen, axis=1), given)
        if not explain:
            return ids
        parts = mix_parts(self.neighbours, batch, first_state, given if width else None,
                          step_logits, vote, ids)
        return explained_outputs(ids, tf.stack(probabilities, axis=1), step_weights, parts)

    def _beam(self, batch, top_k, min_tags, beam_size, _rank, width, _explain):
        memory, state, vote = self._encode(batch)
        logits, state, given, _ = self._prime(batch, memory, state, width)
        posts = tf.shape(state)[0]
        rows = posts * beam_size

        def tile(tensor):  # each post's encoding, once per beam
            return tf.repeat(tensor, beam_size, axis=0)

        memory = {name: tile(value) for name, value in memory.items()}
        state = tile(state)
        vote = None if vote is None else tile(vote)
        logits, used = tile(logits), tile(given)
        # Only the first beam is alive at the start, otherwise all beams would be copies.
        first = tf.constant([0.0] + [_NEG_INF] * (beam_size - 1))
        scores = tf.reshape(tf.tile(first[None, :], [posts, 1]), (-1,))
        finished = tf.zeros((rows,), tf.bool)
        history, previous = tf.zeros((rows, 0), tf.int32), None
        stay = tf.where(tf.range(self.vocab_size) == PAD, 0.0, _NEG_INF)  # finished: pad only
        for step in range(top_k):
            if step > 0:  # the first step's logits come from the priming
                logits, state, _ = self._step(previous, state, memory)
            log_probs = tf.nn.log_softmax(self._step_logits(logits, vote))
            if step == 0:  # every beam of a post starts alike: keep the first beam's row
                first_step = tf.reshape(log_probs, (posts, beam_size, -1))[:, 0, :]
            log_probs = tf.where(self._blocked(used, step, min_tags), _NEG_INF, log_probs)
            log_probs = tf.where(finished[:, None], stay[None, :], log_probs)
            candidates = tf.reshape(scores[:, None] + log_probs, (posts, -1))
            scores, flat = tf.math.top_k(candidates, k=beam_size)
            source = flat // self.vocab_size + tf.range(posts)[:, None] * beam_size
            source, token = tf.reshape(source, (-1,)), tf.reshape(flat % self.vocab_size, (-1,))
            scores = tf.reshape(scores, (-1,))
            state = tf.gather(state, source)
            used = tf.logical_or(tf.gather(used, source), tf.one_hot(
                token, self.vocab_size, on_value=True, off_value=False, dtype=tf.bool))
            finished = tf.logical_or(tf.gather(finished, source), tf.equal(token, EOS))
            history = tf.concat([tf.gather(history, source), token[:, None]], axis=1)
            previous = tf.where(tf.equal(token, PAD), EOS, token)[:, None]
        lengths = tf.reduce_sum(tf.cast(history != PAD, tf.float32), axis=1)
        normalised = scores / tf.maximum(lengths, 1.0) ** self.length_penalty
        best = tf.argmax(tf.reshape(normalised, (posts, beam_size)), axis=1, output_type=tf.int32)
        chosen = tf.gather(history, best + tf.range(posts) * beam_size)
        return self._drop_given(self._confidence_order(chosen, first_step), given)

    @staticmethod
    def _confidence_order(chosen, first_step):
        """Put a beam's tags in order of the first step's probability, EOS and PAD last.

        The beam picks the likeliest *set*; its generation order follows how users write
        tags (e.g. "hurricane sandy"), but a recommendation list must lead with the tag the
        model is surest of, or precision@1 suffers.
        """
        confidence = tf.gather(first_step, chosen, batch_dims=1)
        confidence = tf.where(chosen > UNK, confidence, _NEG_INF)
        order = tf.argsort(confidence, axis=1, direction="DESCENDING", stable=True)
        return tf.gather(chosen, order, batch_dims=1)
