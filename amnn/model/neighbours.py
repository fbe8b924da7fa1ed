"""A neighbour memory: the training posts, voted at prediction time.

Retrieval-augmented decoding in the manner of kNN-LM (Khandelwal et al., ICLR 2020): after
training, the network's fused encoding of every training post (the decoder's first state)
is kept with that post's hashtags, its caption's TF-IDF word vector
(`amnn.model.word_bags`) and its photo's pooled encoder features (`amnn.model.photo_keys`).
Each view finds a new post's `neighbors` nearest items by its own cosine and they vote for
their tags with their similarity (`amnn.model.votes`): the training posts by caption words
and by encoding, the distinct training photos by photo (each with its posts' tag shares, so
copies of a photo count once). The views' votes are mixed by their shares, as the
multimodal-kNN baseline mixes its text and image votes:

    vote = text_share * vote(words) + photo_share * vote(photo)
           + (1 - text_share - photo_share) * vote(encoding)

and the vote, a distribution over hashtags, is mixed into the decoder's:

    p(tag) = (1 - weight) * softmax(decoder logits) + weight * vote(tag)

The vote keeps what nearest neighbours are good at (near-copies, place names, the photo of
one event) while the network generalises. The shares, `neighbors` and `weight` are chosen
for each model when it is trained, on posts held out from training
(`amnn.train.mix_choice`). It is stored as plain arrays in the model folder
(`neighbours.npz`, read with `allow_pickle=False`).
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from amnn.data.vocabulary import PAD, UNK
from amnn.inputs.encoding import EncodedPosts, input_batches
from amnn.model.photo_keys import PhotoKeys
from amnn.model.votes import as_sparse_tensor, carrier_matrix, top_k_vote, towards_given
from amnn.model.word_bags import WordBags


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def pad_tag_rows(tag_ids: list[list[int]]) -> np.ndarray:
    """Lists of hashtag ids -> an int32 matrix padded with PAD (0).

    Example:
        >>> pad_tag_rows([[5, 6], [7]]).tolist()
        [[5, 6], [7, 0]]
    """
    width = max([len(row) for row in tag_ids] + [1])
    table = np.full((len(tag_ids), width), PAD, np.int32)
    for i, row in enumerate(tag_ids):
        table[i, : len(row)] = row
    return table


class NeighbourMemory:
    """Training posts and their hashtags; votes for the tags of a query's neighbours.

    Args:
        keys: float array (N, D). The fused encodings of the N training posts.
        tags: int array (N, T). Their hashtag ids, padded with PAD (0).
        tag_vocab_size: int. Size of the hashtag vocabulary (ids 0..V-1).
        neighbors: int. How many nearest training posts vote.
        weight: float in [0, 1]. The vote's share of the mixed distribution.
        words: WordBags or None. The training captions' word vectors (text models only).
        text_share: float in [0, 1]. The word vectors' share of the similarity.
        photos: PhotoKeys or None. The training photos' pooled features (photo models only).
        photo_share: float in [0, 1]. The photos' share of the similarity.

    Example:
        >>> memory = NeighbourMemory(np.eye(3), pad_tag_rows([[4], [5], [4, 6]]),
        ...                          tag_vocab_size=7, neighbors=2, weight=0.5)
        >>> vote = memory.vote(np.array([[1.0, 0.0, 1.0]])).numpy()
        >>> [round(float(v), 2) for v in vote[0, 4:]]
        [0.67, 0.0, 0.33]
    """

    def __init__(self, keys: np.ndarray, tags: np.ndarray, tag_vocab_size: int,
                 neighbors: int, weight: float, words: WordBags | None = None,
                 text_share: float = 0.0, photos: PhotoKeys | None = None,
                 photo_share: float = 0.0):
        if len(keys) != len(tags) or len(keys) == 0:
            raise ValueError(f"need one tag row per key and at least one key, got "
                             f"{len(keys)} keys and {len(tags)} tag rows")
        text_share = float(text_share) if words is not None else 0.0
        photo_share = float(photo_share) if photos is not None else 0.0
        if not (0.0 <= weight <= 1.0 and 0.0 <= text_share and 0.0 <= photo_share
                and text_share + photo_share <= 1.0 + 1e-6) or neighbors < 1:
            raise ValueError(f"weight must be in [0, 1], the shares in [0, 1] with a sum of "
                             f"at most 1, and neighbors >= 1, got {weight}, {text_share}, "
                             f"{photo_share}, {neighbors}")
        for name, view_rows in (("caption", None if words is None else words.rows.shape[0]),
                                ("photo", None if photos is None else len(photos))):
            if view_rows is not None and view_rows != len(keys):
                raise ValueError(f"need one {name} row per key, got {view_rows} rows for "
                                 f"{len(keys)} keys")
        self.keys = _unit_rows(np.asarray(keys, np.float32))
        self.tags = np.asarray(tags, np.int32)
        self.tag_vocab_size = int(tag_vocab_size)
        self.neighbors = min(int(neighbors), len(self.keys))
        self.weight = float(weight)
        self.words, self.text_share = words, text_share
        self.photos, self.photo_share = photos, photo_share
        self._keys = tf.constant(self.keys)
        posts = carrier_matrix(self.tags, self.tag_vocab_size)  # (N, V)
        # Per view, which tags its items carry (scipy); photos: their posts' tag shares.
        self.carriers = {"encoding": posts, "words": posts}
        if photos is not None:
            self.carriers["photo"] = photos.tag_shares(posts)
        posts_tensor = as_sparse_tensor(posts)
        self._carriers = {name: posts_tensor if matrix is posts else as_sparse_tensor(matrix)
                          for name, matrix in self.carriers.items()}

    @property
    def encoding_share(self) -> float:
        """The network encoding's share of the similarity (what the other views leave)."""
        return max(0.0, 1.0 - self.text_share - self.photo_share)

    def views(self, queries, text_ids=None, image_regions=None,
              names=("encoding", "words", "photo")) -> dict[str, tf.Tensor]:
        """Each named view's cosine to its items: "encoding" (B, N), and "words" (B, N) and
        "photo" (B, P) when the memory and the query both have them."""
        views = {}
        if "encoding" in names:
            queries = tf.math.l2_normalize(tf.cast(queries, tf.float32), axis=-1)
            views["encoding"] = tf.matmul(queries, self._keys, transpose_b=True)
        if "words" in names and self.words is not None and text_ids is not None:
            views["words"] = self.words.similarity(text_ids)
        if "photo" in names and self.photos is not None and image_regions is not None:
            views["photo"] = self.photos.similarity(image_regions)
        return views

    def shares(self) -> dict[str, float]:
        """Each view's share of the vote."""
        return {"encoding": self.encoding_share, "words": self.text_share,
                "photo": self.photo_share}

    def view_votes(self, queries, text_ids=None, given=None, image_regions=None) -> dict:
        """Per view with a share: (vote (B, V), similarities (B, k), item rows (B, k)).

        `given` (B, V) bool marks the tags each post's user already wrote: then only items
        that carry one of them vote, the nearest first (a co-occurrence vote weighted by
        similarity), unless no item carries any.
        """
        votes = {}
        voting = [name for name, share in self.shares().items() if share > 0]
        for name, similarity in self.views(queries, text_ids, image_regions, voting).items():
            carriers = self._carriers[name]
            if given is not None:
                similarity = towards_given(similarity, carriers, given)
            k = min(self.neighbors, self.carriers[name].shape[0])
            votes[name] = top_k_vote(similarity, k, carriers)
        return votes

    def vote(self, queries, text_ids=None, given=None, image_regions=None) -> tf.Tensor:
        """Encodings (B, D) [and captions, photos] -> the neighbours' tag distribution (B, V)."""
        votes = self.view_votes(queries, text_ids, given, image_regions)
        if not votes:  # every share on a view this query lacks: no vote
            return tf.zeros((tf.shape(queries)[0], self.tag_vocab_size))
        shares = self.shares()
        mixed = tf.add_n([shares[name] * vote for name, (vote, _, _) in votes.items()])
        return tf.math.divide_no_nan(mixed, tf.reduce_sum(mixed, axis=-1, keepdims=True))

    def voters(self, queries, text_ids=None, given=None,
               image_regions=None) -> tuple[tf.Tensor, tf.Tensor]:
        """(weights (B, M), remembered post rows (B, M)) of every item that voted: each
        view's neighbours, their similarity times the view's share; a photo is shown by
        its first post."""
        weights, rows = [], []
        for name, (_, near, items) in self.view_votes(queries, text_ids, given,
                                                       image_regions).items():
            weights.append(self.shares()[name] * near)
            rows.append(tf.gather(self.photos.representatives, items) if name == "photo"
                        else tf.cast(items, tf.int64))
        if not weights:
            empty = tf.zeros((tf.shape(queries)[0], 0))
            return empty, tf.cast(empty, tf.int64)
        return tf.concat(weights, axis=1), tf.concat(rows, axis=1)

    def mix(self, logits, vote) -> tf.Tensor:
        """Decoder logits (B, V) and a vote (B, V) -> log of the mixed distribution (B, V)."""
        return tf.math.log(mix_distributions(tf.nn.softmax(logits, axis=-1), vote,
                                             self.weight) + 1e-12)

    def with_settings(self, neighbors: int | None = None, weight: float | None = None,
                      text_share: float | None = None,
                      photo_share: float | None = None) -> "NeighbourMemory":
        """The same memory with other settings (None: kept).

        Changing one share alone keeps the other and gives the encoding what is left; a
        share that would make the two sum above 1 lowers the other one to fit.
        """
        text = self.text_share if text_share is None else float(text_share)
        photo = self.photo_share if photo_share is None else float(photo_share)
        if text + photo > 1.0:  # the share the caller named wins
            photo, text = (1.0 - text, text) if text_share is not None else (photo, 1.0 - photo)
        return NeighbourMemory(self.keys, self.tags, self.tag_vocab_size,
                               self.neighbors if neighbors is None else neighbors,
                               self.weight if weight is None else weight, self.words,
                               text, self.photos, photo)

    def settings(self) -> dict:
        """The mix this memory applies, as plain numbers.

        Example:
            >>> NeighbourMemory(np.eye(2), pad_tag_rows([[4], [5]]), 6, 1, 0.5).settings()
            {'neighbors': 1, 'weight': 0.5, 'text_share': 0.0, 'photo_share': 0.0}
        """
        return {"neighbors": self.neighbors, "weight": self.weight,
                "text_share": self.text_share, "photo_share": self.photo_share}

    def save(self, path: os.PathLike) -> None:
        """Write the arrays (and the settings) to an .npz file."""
        with open(path, "wb") as handle:
            words = self.words.arrays() if self.words is not None else {}
            photos = self.photos.arrays() if self.photos is not None else {}
            np.savez(handle, keys=self.keys.astype(np.float16), tags=self.tags,
                     tag_vocab_size=self.tag_vocab_size, neighbors=self.neighbors,
                     weight=self.weight, text_share=self.text_share,
                     photo_share=self.photo_share, **words, **photos)

    @classmethod
    def load(cls, path: os.PathLike, **settings) -> "NeighbourMemory":
        """Read `save`'s file (no pickle); `settings` as in `with_settings` override it."""
        with np.load(path, allow_pickle=False) as arrays:
            words = WordBags.from_arrays(arrays) if "word_idf" in arrays else None
            photos = PhotoKeys.from_arrays(arrays) if "photo_keys" in arrays else None
            photo_share = float(arrays["photo_share"]) if "photo_share" in arrays else 0.0
            memory = cls(arrays["keys"], arrays["tags"], int(arrays["tag_vocab_size"]),
                         int(arrays["neighbors"]), float(arrays["weight"]), words,
                         float(arrays["text_share"]), photos, photo_share)
        return memory.with_settings(**settings)


def mix_distributions(network, vote, weight: float):
    """(1 - weight) * the network's distribution + weight * the vote (arrays or tensors).

    Example:
        >>> mix_distributions(np.array([0.8, 0.2]), np.array([0.0, 1.0]), 0.25).tolist()
        [0.6000000000000001, 0.4]
    """
    return (1.0 - weight) * network + weight * vote


def encode_for_memory(network, encoded: EncodedPosts, features: np.ndarray | None,
                      batch_size: int = 256) -> np.ndarray:
    """The fused encodings (first decoder states) of encoded posts, as float32 (N, D).

    Example (an untrained text-only network whose decoder state has 4 units):
        >>> from amnn.config import AMNNConfig
        >>> from amnn.model.network import AMNNNetwork, ModelSizes
        >>> config = AMNNConfig(include_image=False, decoder_units=4)
        >>> network = AMNNNetwork.create(config, ModelSizes(10, 8, (49, 32)))
        >>> posts = EncodedPosts([[2, 3], [4, 5], [6, 7]], None, None)  # caption word ids
        >>> encode_for_memory(network, posts, None, batch_size=2).shape
        (3, 4)
    """
    states = []
    for inputs in input_batches(encoded, features, batch_size):
        _, state = network.encode(inputs.get("text_ids"), inputs.get("image_regions"))
        states.append(np.asarray(state, np.float32))
    return np.concatenate(states)


def build_neighbour_memory(network, encoded: EncodedPosts, features: np.ndarray | None,
                           tag_vocab_size: int, neighbors: int, weight: float,
                           word_vocab_size: int | None = None, text_share: float = 0.0,
                           photo_share: float = 0.0,
                           keys: np.ndarray | None = None) -> NeighbourMemory:
    """A memory of encoded training posts (with targets): encodings, captions, photos, tags.

    The captions' word vectors are kept when the posts have text and `word_vocab_size` is
    given; the photos' pooled features when they have photos. `keys`: the posts' encodings
    when already computed (`encode_for_memory`).
    """
    tags = [[t for t in target if t > UNK] for target in encoded.targets]
    words = photos = None
    if encoded.text_ids is not None and word_vocab_size:
        words = WordBags.fit(encoded.text_ids, word_vocab_size)
    if encoded.image_rows is not None and features is not None:
        photos = PhotoKeys.from_features(features, encoded.image_rows)
    if keys is None:
        keys = encode_for_memory(network, encoded, features)
    return NeighbourMemory(keys, pad_tag_rows(tags), tag_vocab_size, neighbors, weight,
                           words, text_share, photos, photo_share)
