"""Writing captions word by word: greedy decoding and beam search, a batch at a time.

Every post of a batch is encoded once; each step runs the decoder for the whole batch (or
batch x beam) in one compiled call. A caption ends at the learned end token (EOS) or after
`max_words` words, never before the first word. PAD, UNK and BOS are never written, a
word that would repeat a three-word sequence already written is not chosen, no word
follows itself, and a content word (any word but the vocabulary's function words,
`CaptionIds.content`) is written at most once: decoders of short texts otherwise fall into
loops ("the storm the storm the storm", "la imagen de la selva de ny que ser de ny",
"this is is is a shark"). `amnn.inputs.caption_repetition` measures the same rules. A
word twice in a row is rare in what people write: 2.1 % of mediaeval's training captions,
3.8 % of tweeteval's (mostly "@user @user"), 12.8 % of the Korean posts' (mostly emoji,
"👍 👍"), and "the the" in 4 of mediaeval's 4,404.

Usage, with the layers of a trained caption model (tests/model/test_caption_network.py
trains a tiny one and checks what this writes; predict.py writes through
`amnn.serve.caption_predictor`):

    writer = CaptionWriter(CaptionNetwork.from_model(model, config), CaptionIds(vectorizer))
    written = writer.write({"image_regions": regions, "tag_ids": tag_ids}, max_words=30,
                           beam_size=3)  # each post's word ids, e.g. [[12, 40, 7, 903], ...]
    captions = [writer.ids.text(ids) for ids in written]
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts
from amnn.inputs.encoding import input_batches
from amnn.model.caption_network import CaptionNetwork

NO_REPEAT_NGRAM = 3  # a written caption never holds the same three words twice


def _banned_by_repeat(words: list[int], n: int = NO_REPEAT_NGRAM) -> list[int]:
    """Words that would complete an n-gram already in `words`.

    Example:
        >>> _banned_by_repeat([5, 6, 7, 5, 6])
        [7]
    """
    if len(words) < n - 1:
        return []
    prefix = tuple(words[len(words) - n + 1:])
    return [words[i + n - 1] for i in range(len(words) - n + 1)
            if tuple(words[i:i + n - 1]) == prefix]


_TAG_AXES = ("tag_ids", "tags", "tag_mask")  # (batch, tags, ...): a post's tag list varies


def _open_spec(tensor, key: str = "") -> tf.TensorSpec:
    """A spec of `tensor` with the batch axis open, and the tag axis for hashtag tensors.

    Example:
        >>> _open_spec(tf.zeros((4, 3), tf.int32), "tag_ids").shape.as_list()
        [None, None]
    """
    shape = list(tensor.shape)
    shape[0] = None
    if key in _TAG_AXES:
        shape[1] = None
    return tf.TensorSpec(shape, tensor.dtype)


class CaptionWriter:
    """Greedy and beam-search caption decoding for a trained `CaptionNetwork`.

    Args:
        network: CaptionNetwork with trained layers.
        ids: CaptionIds. BOS, EOS and the ids never written.
        length_penalty: float. Beam hypotheses are compared by their log-probability
            divided by length ** length_penalty (0: raw sums, which favour short captions).
    """

    def __init__(self, network: CaptionNetwork, ids: CaptionIds,
                 length_penalty: float = 1.0) -> None:
        self.network, self.ids, self.length_penalty = network, ids, length_penalty
        self._encode = self._step = None  # compiled at the first batch, for any batch
        ban = np.zeros(ids.size, dtype=np.float32)
        ban[ids.never_written] = -np.inf
        self._ban = ban

    def _compile(self, inputs: dict) -> None:
        """Compile encode and step once, with the batch and tag-list sizes left open.

        Batches differ in size and in their longest tag list; a signature with those axes
        open keeps tf.function from tracing again for every new shape.
        """
        inputs = {key: tf.convert_to_tensor(value) for key, value in inputs.items()}
        self._encode = tf.function(self._encode_batch, input_signature=[
            {key: _open_spec(value, key) for key, value in inputs.items()}])
        memory, state = self._encode(inputs)
        self._step = tf.function(self._step_batch, input_signature=[
            tf.TensorSpec([None], tf.int32), _open_spec(state),
            {key: _open_spec(value, key) for key, value in memory.items()}])

    def _encode_batch(self, inputs):
        return self.network.encode(inputs.get("tag_ids"), inputs.get("image_regions"))

    def _step_batch(self, words, state, memory):
        logits, state = self.network.decode(words[:, None], state, memory)
        return tf.nn.log_softmax(logits[:, 0, :]), state

    def write(self, inputs: dict, max_words: int, beam_size: int = 1) -> list[list[int]]:
        """Each post's written word ids (EOS not included), in the batch's order."""
        if self._encode is None:
            self._compile(inputs)
        if beam_size <= 1:
            return self._greedy(inputs, max_words)
        return self._beam(inputs, max_words, beam_size)

    def write_posts(self, posts: CaptionPosts, features, max_words: int, beam_size: int = 1,
                    batch_size: int = 256) -> list[list[int]]:
        """`write` over encoded posts, `batch_size` at a time (their photo rows index
        `features`): what predict.py, early stopping and the write-or-retrieve choice write."""
        return [caption for inputs in input_batches(posts, features, batch_size, "tag_ids")
                for caption in self.write(inputs, max_words, beam_size)]

    def _scores(self, log_probs, written: list[list[int]], step: int, max_words: int):
        """Step log-probabilities with forbidden words at -inf; EOS forced at the end."""
        scores = log_probs + self._ban
        if step == max_words:  # the caption is full: only the end remains
            scores = np.full_like(scores, -np.inf)
            scores[:, self.ids.eos] = 0.0
            return scores
        if step == 0:  # a caption has at least one word, even from an unsure model
            scores[:, self.ids.eos] = -np.inf
        content = self.ids.content
        rules = content.any()  # a model saved before the rules decodes as it did
        for row, words in enumerate(written):
            scores[row, _banned_by_repeat(words)] = -np.inf
            if rules and words:
                scores[row, [w for w in words if content[w]]] = -np.inf  # said once
                scores[row, words[-1]] = -np.inf  # not twice in a row
        return scores

    def _greedy(self, inputs: dict, max_words: int) -> list[list[int]]:
        memory, state = self._encode(inputs)
        count = int(state.shape[0])
        written: list[list[int]] = [[] for _ in range(count)]
        done = np.zeros(count, dtype=bool)
        words = np.full(count, self.ids.bos, dtype=np.int32)
        for step in range(max_words + 1):
            log_probs, state = self._step(tf.constant(words), state, memory)
            chosen = self._scores(log_probs.numpy(), written, step, max_words).argmax(-1)
            for row in np.flatnonzero(~done):
                if chosen[row] == self.ids.eos:
                    done[row] = True
                else:
                    written[row].append(int(chosen[row]))
            if done.all():
                break
            words = chosen.astype(np.int32)
        return written

    def _beam(self, inputs: dict, max_words: int, beam_size: int) -> list[list[int]]:
        memory, state = self._encode(inputs)
        count = int(state.shape[0])
        # Each post's encoding once per beam: rows post*beam ... post*beam + beam - 1.
        tile = np.repeat(np.arange(count), beam_size)
        memory = {key: tf.gather(value, tile) for key, value in memory.items()}
        state = tf.gather(state, tile)
        sums = np.tile([0.0] + [-np.inf] * (beam_size - 1), count)  # one live beam at first
        hypotheses: list[list[int]] = [[] for _ in range(count * beam_size)]
        finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(count)]
        words = np.full(count * beam_size, self.ids.bos, dtype=np.int32)
        for step in range(max_words + 1):
            log_probs, state = self._step(tf.constant(words), state, memory)
            scores = self._scores(log_probs.numpy(), hypotheses, step, max_words)
            total = (sums[:, None] + scores).reshape(count, -1)  # (posts, beam x words)
            best = np.argsort(-total, axis=1, kind="stable")[:, :2 * beam_size]
            rows, next_words, next_sums = [], [], []
            for post in range(count):
                kept = 0
                for flat in best[post]:
                    value = total[post, flat]
                    source, word = post * beam_size + flat // self.ids.size, flat % self.ids.size
                    if not np.isfinite(value) or kept == beam_size:
                        break
                    if word == self.ids.eos:
                        length = len(hypotheses[source]) + 1
                        finished[post].append((value / length ** self.length_penalty,
                                               hypotheses[source]))
                        continue
                    rows.append(source)
                    next_words.append(word)
                    next_sums.append(value)
                    kept += 1
                for _ in range(beam_size - kept):  # dead beams keep the shape
                    rows.append(post * beam_size)
                    next_words.append(self.ids.eos)
                    next_sums.append(-np.inf)
            if self._all_settled(finished, next_sums, beam_size, count):
                break
            hypotheses = [hypotheses[r] + [w] if np.isfinite(s) else []
                          for r, w, s in zip(rows, next_words, next_sums)]
            sums = np.asarray(next_sums)
            words = np.asarray(next_words, dtype=np.int32)
            state = tf.gather(state, rows)
        return [max(done, key=lambda item: item[0])[1] if done else [] for done in finished]

    def _all_settled(self, finished, next_sums, beam_size: int, count: int) -> bool:
        """True when no live hypothesis is left, or every post has `beam_size` ended ones."""
        live = np.isfinite(np.asarray(next_sums)).reshape(count, beam_size).any(axis=1)
        return all(not live[post] or len(finished[post]) >= beam_size for post in range(count))
