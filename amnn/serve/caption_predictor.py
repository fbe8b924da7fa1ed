"""Writing captions for posts with a trained caption model folder (`train.py --task caption`).

Posts are decoded a batch at a time (`amnn.model.caption_decoding.CaptionWriter`) and the
captions are returned in the input order. The photo is read through the feature cache and
checked as the hashtag predictor checks it (`on_bad_image`); a post skipped for its photo
gets an empty caption, so every input row keeps its place. A model that writes from
hashtags reads them from the CSV's `hashtags` column; tags it never saw in training are
left out (a post with none is written from its photo alone, or from nothing but the
model's prior when it has no photo input).

A folder whose training chose a retriever (`amnn.train.caption_choice`: it wrote better
captions than the writer on the held-out posts) answers with it: each post gets the caption
of the most similar training post, as written, compared by the same photo features (this
machine's cache and settings, as the writer's) and hashtags. `method` overrides the choice:
"write" (the writer) or "retrieve" (the folder's best retriever). A folder written before
the choice (none recorded) writes.
"""

from __future__ import annotations

from amnn.data.photo_files import BadImageTally
from amnn.data.posts import Posts
from amnn.errors import AMNNError, DataError
from amnn.features.photo_table import photo_table, table_photos
from amnn.inputs.caption_encoding import CaptionIds, encode_caption_posts
from amnn.model.caption_decoding import CaptionWriter
from amnn.model.caption_network import CaptionNetwork
from amnn.model.caption_retrieval import CaptionRetriever
from amnn.model.folder import TrainedAMNN
from amnn.serve.machine_settings import machine_config
from amnn.serve.predictor import usable_posts
from amnn.train.caption_choice import CaptionChoice, label

CAPTION_METHODS = ("auto", "write", "retrieve")  # auto: the folder's choice


class CaptionPredictor:
    """Batched caption writing for a trained caption model.

    Args:
        trained: TrainedAMNN loaded from a caption model folder (config.task "caption").
        cache_dir, encoder_weights, max_photo_pixels: this machine's photo settings
            (None: the model's).
        progress: bool. Show a progress bar while new photos are encoded.
        on_bad_image: "error", "skip" (empty caption) or "text-only" (written without the
            photo). `bad_images` counts them over every `predict` call.
        method: "auto" (the folder's choice), "write" or "retrieve" (`CAPTION_METHODS`);
            `answers` names what answers, e.g. "writer" or "retrieval-both (alpha 0.25)".

    Usage, with a folder that `train.py --task caption` wrote (predict.py does this;
    tests/cli/test_caption_end_to_end.py trains a small caption model and runs predict.py):

        predictor = CaptionPredictor(load_model_folder("models/captions"), on_bad_image="skip")
        captions = predictor.predict(read_posts("test_dataset", require_hashtags=False),
                                     beam_size=3)  # one str per post, "" for a skipped one
    """

    def __init__(self, trained: TrainedAMNN, cache_dir: str | None = None,
                 encoder_weights: str | None = None, progress: bool = True,
                 on_bad_image: str = "error", max_photo_pixels: int | None = None,
                 photo_settings: dict | None = None, method: str = "auto"):
        if trained.config.task != "caption":
            raise ValueError("CaptionPredictor needs a caption model (task 'caption'); "
                             "use HashtagPredictor for a hashtag model")
        if method not in CAPTION_METHODS:
            raise ValueError(f"method must be one of {CAPTION_METHODS}, got {method!r}")
        self.trained = trained
        self.config = machine_config(trained.config, cache_dir, encoder_weights, on_bad_image,
                                     max_photo_pixels, **(photo_settings or {}))
        self.progress = progress
        self.bad_images = BadImageTally()
        self.ids = CaptionIds(trained.vectorizer)
        self.writer = CaptionWriter(CaptionNetwork.from_model(trained.model, trained.config),
                                    self.ids)
        self.choice = CaptionChoice.from_json(trained.caption_choice)
        self.retriever = self._retriever(method)
        self.answers = "writer" if self.retriever is None else label(
            self.retriever.name,
            self.retriever.alpha if self.retriever.name == "retrieval-both" else None)

    def _retriever(self, method: str) -> CaptionRetriever | None:
        """The retriever that answers, or None when the writer does."""
        if method == "write" or (method == "auto" and not self.choice.retrieves):
            return None
        if self.trained.caption_retrieval is None:  # "retrieve", or a damaged choice
            raise AMNNError("this caption model folder holds no retriever (it was trained "
                            "without held-out posts to choose on, or before AMNN chose "
                            "between writing and retrieving): use --caption-method write or "
                            "auto, or retrain it with validation posts")
        return CaptionRetriever.from_arrays(self.trained.caption_retrieval)

    def check_columns(self, posts: Posts) -> None:
        """A model that writes from hashtags needs the CSV's hashtags column."""
        if self.config.caption_from_hashtags and posts.hashtags is None:
            raise DataError(str(posts.csv_path), "this caption model writes from the posts' "
                            "hashtags, and the file has no hashtags column; add one "
                            "(space-separated tags, may be empty)", row=1, column="hashtags")

    def predict(self, posts: Posts, beam_size: int = 1, batch_size: int = 256,
                max_words: int | None = None) -> list[str]:
        """One caption per post (words separated by spaces), in the order of `posts`."""
        if len(posts) == 0:
            return []
        self.check_columns(posts)
        captions = [""] * len(posts)
        posts, keep = usable_posts(posts, self.config, self.bad_images, self.progress)
        if len(posts):
            written = self._write(posts, beam_size, batch_size,
                                  max_words or self.config.max_caption_words)
            for index, caption in zip(keep, written):
                captions[index] = caption
        return captions

    def _write(self, posts: Posts, beam_size: int, batch_size: int,
               max_words: int) -> list[str]:
        if self.retriever is not None:
            return self._retrieve(posts)
        features = rows = None
        if self.config.include_image:
            table = photo_table(posts.image_paths, self.config, progress=self.progress,
                                extract=False)  # find_bad_images has just cached them
            features, rows = table.features, table.rows
        encoded = encode_caption_posts(posts, self.config, self.trained.hashtag_vocab, None,
                                       rows, self.trained.segmenter)
        written = self.writer.write_posts(encoded, features, max_words, beam_size, batch_size)
        return [self.ids.text(ids) for ids in written]

    def _retrieve(self, posts: Posts) -> list[str]:
        """The retriever's captions; photos from the feature cache, as the writer reads them."""
        photos = None
        if "photo" in self.retriever.uses and self.config.include_image:
            table = photo_table(posts.image_paths, self.config, progress=self.progress,
                                extract=False)  # find_bad_images has just cached them
            photos = table_photos(table.features, table.rows)
        return self.retriever.predict(posts, photos)
