"""Recommend hashtags for posts with a trained model folder.

Posts are grouped into batches of similar caption length (so padding stays short), each
batch is encoded once and decoded by one compiled step function for all its posts, and the
results are put back in the input order.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from amnn.decoding import BatchDecoder, ids_to_tags
from amnn.input_pipeline import pad_ids
from amnn.model_folder import TrainedAMNN
from amnn.posts import Posts
from amnn.preparation import encode_posts, photo_table


class HashtagPredictor:
    """Batched hashtag recommendation for a trained AMNN.

    Args:
        trained: TrainedAMNN. A loaded model folder (`load_model_folder`).
        cache_dir: optional str. Where the photo feature cache lives (default: the user cache).
        encoder_weights: optional str. Local encoder weights, when the model was trained with
            a weights file that lives elsewhere on this machine.
        progress: bool. Show a progress bar while new photos are encoded.

    Example:
        >>> predictor = HashtagPredictor(load_model_folder("models/demo"))   # doctest: +SKIP
        >>> predictor.predict(read_posts("test_dataset", require_hashtags=False), top_k=3)[:1]
        ... # doctest: +SKIP
        [['cat', 'catsofinstagram', 'pets']]
    """

    def __init__(self, trained: TrainedAMNN, cache_dir: Optional[str] = None,
                 encoder_weights: Optional[str] = None, progress: bool = True):
        self.trained = trained
        self.config = trained.config.replace(
            cache_dir=cache_dir if cache_dir is not None else trained.config.cache_dir,
            encoder_weights=encoder_weights or trained.config.encoder_weights)
        self.progress = progress
        self.decoder = BatchDecoder(trained.network, len(trained.hashtag_vocab))

    def predict(self, posts: Posts, top_k: int = 5, min_tags: Optional[int] = None,
                beam_size: int = 1, batch_size: int = 256,
                rank: bool = False) -> list[list[str]]:
        """Hashtag lists (best first, at most `top_k`, no repeats) in the order of `posts`.

        `min_tags=None` always recommends `top_k` tags (AMNNConfig.min_tags); a number lets
        the learned end token stop a list after that many.

        `rank=True` ranks tags by the decoder's first-step probabilities instead of
        generating them one after another (see `BatchDecoder`).
        """
        if len(posts) == 0:
            return []
        min_tags = top_k if min_tags is None else min_tags
        rows = None
        features = None
        if self.config.include_image:
            table = photo_table(posts.image_paths, self.config, progress=self.progress)
            features, rows = table.features, table.rows
        encoded = encode_posts(posts, self.config, self.trained.vectorizer, None, rows)
        order = np.arange(len(posts))
        if encoded.text_ids is not None:
            # Similar lengths together: the BiLSTM runs over the longest caption of a batch.
            order = np.argsort([len(ids) for ids in encoded.text_ids], kind="stable")
        results: list[Optional[list[str]]] = [None] * len(posts)
        tag_of = self.trained.hashtag_vocab.tag
        for start in range(0, len(posts), batch_size):
            chunk = order[start:start + batch_size]
            inputs = {}
            if encoded.text_ids is not None:
                inputs["text_ids"] = pad_ids([encoded.text_ids[i] for i in chunk])
            if features is not None:
                inputs["image_regions"] = features[encoded.image_rows[chunk]]
            ids = self.decoder.decode(inputs, top_k=top_k, min_tags=min_tags,
                                      beam_size=beam_size, rank=rank)
            for index, tags in zip(chunk, ids_to_tags(ids, tag_of)):
                results[index] = tags
        return results
