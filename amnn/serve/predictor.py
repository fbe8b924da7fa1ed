"""Recommend hashtags for posts with a trained model folder.

Posts are grouped into batches of similar caption length (so padding stays short), each
batch is encoded once and decoded by one compiled step function for all its posts, and the
results are put back in the input order. Posts whose photo cannot be used are handled as
`on_bad_image` says (see `amnn.features.photo_check`); with "skip" they get an empty tag list, so
every input row still has its result.

Posts read with a `given_hashtags` column are completed: the decoder is primed with the
tags each user already wrote and recommends the next ones, never a given tag again (see
`amnn.model.decoding`). Given tags the model's hashtag vocabulary lacks cannot prime it; they
are counted in `HashtagPredictor.unknown_given` (and still never recommended).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amnn.data.photo_files import BadImageTally
from amnn.data.posts import Posts
from amnn.features.photo_check import apply_bad_image_policy, find_bad_images
from amnn.features.photo_table import photo_table
from amnn.inputs.encoding import encode_posts, pad_ids
from amnn.model.decoding import BatchDecoder
from amnn.model.folder import TrainedAMNN
from amnn.serve.machine_settings import machine_config


@dataclass
class DecodedPost:
    """One post's decode with its explanation (`amnn.model.decoding_explain`), unmapped.

    ids, probabilities: (top_k,). region_weights: (top_k, R) or None (no photo used).
    word_ids: the caption's word ids as the model saw them (None: no text branch);
    word_weights: (top_k, len(word_ids)) or None. network_probabilities, vote_probabilities
    (top_k,), vote_weight, neighbour_rows and neighbour_similarities (n,): what each
    probability is made of (`amnn.model.decoding_explain`).
    """

    ids: np.ndarray
    probabilities: np.ndarray
    region_weights: np.ndarray | None
    word_ids: list[int] | None
    word_weights: np.ndarray | None
    shared_step: bool
    network_probabilities: np.ndarray | None = None
    vote_probabilities: np.ndarray | None = None
    vote_weight: float = 0.0
    neighbour_rows: np.ndarray | None = None
    neighbour_similarities: np.ndarray | None = None


class HashtagPredictor:
    """Batched hashtag recommendation for a trained AMNN.

    Args:
        trained: TrainedAMNN. A loaded model folder (`load_model_folder`).
        cache_dir: optional str. Where the photo feature cache lives (default: the user cache).
        encoder_weights: optional str. Local encoder weights, when the model was trained with
            a weights file that lives elsewhere on this machine.
        progress: bool. Show a progress bar while new photos are encoded.
        on_bad_image: str. "error" (raise one DataError listing the posts whose photo cannot
            be used), "skip" (give them no hashtags) or "text-only" (predict them from the
            caption alone). `bad_images` counts them over every `predict` call.
        memory: optional bool. Mix in the model's neighbour memory (None: as trained).
        max_photo_pixels: optional int. This machine's pixel limit (None: the model's).
        memory_neighbors, memory_weight, memory_text_share, memory_photo_share: optional
            overrides of the mix chosen when the model was trained
            (`amnn.model.neighbours.NeighbourMemory`).

    Example (an untrained text-only model built here; `load_model_folder` reads a trained one):
        >>> from amnn.config import AMNNConfig
        >>> from amnn.data.text import TextVectorizer, WordTokenizer
        >>> from amnn.data.vocabulary import HashtagVocabulary
        >>> from amnn.model.network import ModelSizes, build_amnn
        >>> posts = Posts.from_rows("p.csv", ["tweets", "hashtags"],
        ...                         [["rain in nyc", "sandy nyc"], ["sunny day", "sun"]], [2, 3])
        >>> words = TextVectorizer(WordTokenizer(), min_count=1).fit(posts.texts)
        >>> vocab = HashtagVocabulary.build(posts.hashtags, min_count=1)
        >>> config = AMNNConfig(include_image=False)
        >>> sizes = ModelSizes(words.vocab_size, len(vocab), (49, 32))
        >>> trained = TrainedAMNN(build_amnn(config, sizes), config, vocab, words, sizes)
        >>> tags = HashtagPredictor(trained, progress=False).predict(posts, top_k=3)
        >>> [sorted(row) for row in tags]  # untrained: every post gets all 3 tags, in any order
        [['nyc', 'sandy', 'sun'], ['nyc', 'sandy', 'sun']]
    """

    def __init__(self, trained: TrainedAMNN, cache_dir: str | None = None,
                 encoder_weights: str | None = None, progress: bool = True,
                 on_bad_image: str = "error", memory: bool | None = None,
                 memory_neighbors: int | None = None,
                 memory_weight: float | None = None,
                 memory_text_share: float | None = None,
                 max_photo_pixels: int | None = None,
                 memory_photo_share: float | None = None, photo_settings: dict | None = None):
        self.trained = trained
        self.config = machine_config(trained.config, cache_dir, encoder_weights, on_bad_image,
                                     max_photo_pixels, **(photo_settings or {}))
        self.progress = progress
        self.bad_images = BadImageTally()
        # Given tags outside the vocabulary, over every `predict` call (one note per file).
        self.unknown_given = UnknownGivenTally()
        # The neighbour memory with the mix chosen when trained, unless told otherwise.
        neighbours = trained.neighbours
        if neighbours is not None and (trained.config.memory if memory is None else memory):
            neighbours = neighbours.with_settings(memory_neighbors, memory_weight,
                                                  memory_text_share, memory_photo_share)
        else:
            neighbours = None
        self.decoder = BatchDecoder(trained.network, len(trained.hashtag_vocab),
                                    neighbours=neighbours)

    def predict(self, posts: Posts, top_k: int = 5, min_tags: int | None = None,
                beam_size: int = 1, batch_size: int = 256,
                rank: bool | None = None) -> list[list[str]]:
        """Hashtag lists (best first, at most `top_k`, no repeats) in the order of `posts`.

        `min_tags=None` always recommends `top_k` tags (AMNNConfig.min_tags); a number lets
        the learned end token stop a list after that many.

        `rank=True` ranks tags by the decoder's first-step probabilities instead of
        generating them one after another (see `BatchDecoder`); None decodes as the model
        was trained to (`AMNNConfig.decode`), as predict.py does with no flag.

        When `posts.given_hashtags` is set, each post's list holds the next tags after its
        given ones (the decoder is primed with them), never a given tag.

        A post whose photo cannot be used raises, gets [] or is predicted from its caption,
        as `on_bad_image` says.
        """
        return self._recommend(posts, top_k, min_tags, beam_size, batch_size, rank, False)

    def decode_explained(self, posts: Posts, top_k: int = 5, min_tags: int | None = None,
                         batch_size: int = 256,
                         rank: bool | None = None) -> list[DecodedPost | None]:
        """`predict`'s decode of `posts` (greedy or rank) with its explanation, per post.

        The same path as `predict` (photo cache, bad-photo policy, given tags, batching):
        the ids are those `predict` turns into tags. None for a post skipped for its photo.
        See `amnn.serve.explain.explain_posts` for the readable form.
        """
        return self._recommend(posts, top_k, min_tags, 1, batch_size, rank, True)

    def resolve_rank(self, rank: bool | None) -> bool:
        """`rank`, or for None the model's own decoding (`AMNNConfig.decode == "rank"`)."""
        return self.trained.config.decode == "rank" if rank is None else bool(rank)

    def _recommend(self, posts: Posts, top_k: int, min_tags: int | None, beam_size: int,
                   batch_size: int, rank: bool | None, explain: bool) -> list:
        rank = self.resolve_rank(rank)
        if len(posts) == 0:
            return []
        results: list = [None if explain else [] for _ in range(len(posts))]
        posts, keep = usable_posts(posts, self.config, self.bad_images, self.progress)
        if len(posts):
            min_tags = top_k if min_tags is None else min_tags
            tag_lists = self._decode(posts, top_k, min_tags, beam_size, batch_size, rank,
                                     explain)
            for index, tags in zip(keep, tag_lists):
                results[index] = tags
        return results

    def _decode(self, posts: Posts, top_k: int, min_tags: int, beam_size: int,
                batch_size: int, rank: bool, explain: bool = False) -> list:
        """Hashtag lists (or `DecodedPost`s) of posts whose photos are all usable, in order."""
        rows = None
        features = None
        if self.config.include_image:
            # find_bad_images has just extracted every usable photo: only read the cache.
            table = photo_table(posts.image_paths, self.config, progress=self.progress,
                                extract=False)
            features, rows = table.features, table.rows
        encoded = encode_posts(posts, self.config, self.trained.vectorizer, None, rows)
        given = self._given_ids(posts)
        order = np.arange(len(posts))
        if encoded.text_ids is not None:
            # Similar lengths together: the BiLSTM runs over the longest caption of a batch.
            order = np.argsort([len(ids) for ids in encoded.text_ids], kind="stable")
        results: list = [[] for _ in range(len(posts))]
        vocab = self.trained.hashtag_vocab
        for start in range(0, len(posts), batch_size):
            chunk = order[start:start + batch_size]
            inputs = {}
            if encoded.text_ids is not None:
                inputs["text_ids"] = pad_ids([encoded.text_ids[i] for i in chunk])
            if features is not None:
                inputs["image_regions"] = features[encoded.image_rows[chunk]]
            ids = self.decoder.decode(inputs, top_k=top_k, min_tags=min_tags,
                                      beam_size=beam_size, rank=rank, explain=explain,
                                      given=None if given is None else [given[i] for i in chunk])
            for row, index in enumerate(chunk):
                results[index] = (_decoded_post(ids, row, encoded.text_ids, index,
                                                posts.image_paths[index] != "")
                                  if explain else vocab.decode(ids[row]))
        return results

    def _given_ids(self, posts: Posts) -> list[list[int]] | None:
        """Each post's given tags as vocabulary ids (unknown ones counted, then left out)."""
        if posts.given_hashtags is None:
            return None
        vocab = self.trained.hashtag_vocab
        ids = []
        for tags in posts.given_hashtags:
            unknown = [tag for tag in tags if tag not in vocab]
            self.unknown_given.add(len(unknown))
            ids.append([vocab.id(tag) for tag in tags if tag in vocab])
        return ids


def _decoded_post(explained, row: int, text_ids, index: int, has_photo: bool) -> DecodedPost:
    """Row `row` of a batch's `ExplainedIds`, trimmed to post `index`'s real words."""
    words = None if text_ids is None else [int(i) for i in text_ids[index]]
    word_weights = None
    if explained.word_weights is not None:
        word_weights = explained.word_weights[row][:, :len(words)]
    # A post without its photo attended over the blank row: nothing to show.
    regions = explained.region_weights

    def row_of(array):
        return None if array is None else array[row]

    return DecodedPost(explained.ids[row], explained.probabilities[row],
                       regions[row] if regions is not None and has_photo else None,
                       words, word_weights, explained.shared_step,
                       row_of(explained.network_probabilities),
                       row_of(explained.vote_probabilities), explained.vote_weight,
                       row_of(explained.neighbour_rows),
                       row_of(explained.neighbour_similarities))


def usable_posts(posts: Posts, config, tally: BadImageTally, progress: bool):
    """`posts` after `config.on_bad_image`, and the input positions they came from.

    Looks at every photo (caching its features); "skip" leaves bad posts out, "text-only"
    keeps them without their photo, "error" raises; each bad photo is counted in `tally`.
    A model without the image branch never opens a photo.
    """
    keep = np.arange(len(posts))
    if not config.include_image:
        return posts, keep
    bad = find_bad_images(posts, config, progress=progress)
    if bad and config.on_bad_image == "skip":
        keep = np.setdiff1d(keep, [b.row for b in bad])
        posts = posts.select(keep)
    else:
        posts = apply_bad_image_policy(posts, bad, config.on_bad_image)
    tally.add(bad)
    return posts, keep


class UnknownGivenTally:
    """How many given tags (in how many posts) the model's hashtag vocabulary lacked.

    Example:
        >>> tally = UnknownGivenTally()
        >>> tally.add(2); tally.add(0); tally.add(1)
        >>> print(tally.note())
        3 given hashtags (in 2 posts) are not in the model's hashtag vocabulary: they were left
        out of the priming and are never recommended
    """

    def __init__(self) -> None:
        self.tags = 0
        self.posts = 0

    def add(self, unknown: int) -> None:
        """Count one post with `unknown` unknown given tags."""
        self.tags += unknown
        self.posts += unknown > 0

    def note(self) -> str:
        """One line for the whole run."""
        many = self.tags != 1
        return (f"{self.tags} given hashtag{'s' * many} (in {self.posts} "
                f"post{'s' * (self.posts != 1)}) {'are' if many else 'is'} not in the model's "
                f"hashtag vocabulary: {'they were' if many else 'it was'} left out of the "
                f"priming and {'are' if many else 'is'} never recommended")
