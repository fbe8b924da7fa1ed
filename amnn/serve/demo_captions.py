"""The web demo for a caption model (`train.py --task caption`): a photo and tags in, a caption out.

`DemoCaptionWriter.write` takes what the caption page sends (a photo path or None, the
post's hashtags as typed), checks it as the hashtag demo does (`amnn.serve.demo_photos`),
builds the one-row `Posts` that predict.py would read from a CSV with `image_names` and
`hashtags` columns, and asks the project's `CaptionPredictor` for the caption, with
predict.py's beam (the model's `caption_beam_size`). So the page writes exactly the
`predicted_caption` of predict.py for the same post, by the same method: the writer, or
the retriever the model chose when trained (then a note says the caption is a training
post's). A bad input raises `DemoInputError` with a message for the page; the page is
`amnn.serve.demo_page.build_caption_page`.

Nothing heavy is imported with this module (TensorFlow, the model, Gradio).

Example:
    >>> writer = DemoCaptionWriter.from_model_folder("models/captions", "/tmp/demo")
    ... # doctest: +SKIP
    >>> writer.write("test_dataset/images/chelsea_face.jpg", "#cat #pets").caption
    ... # doctest: +SKIP
    'those green eyes when she hears the treat bag'
    >>> nothing_to_write_from(include_image=True, from_hashtags=False)
    'Upload a photo: this model writes the caption from the photo.'
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from amnn.data.hashtags import parse_hashtags
from amnn.serve.demo_app import wait_until_idle
from amnn.serve.demo_photos import (DemoInputError, photo_for_prediction, raise_for_undecodable,
                                    request_folder)


@dataclasses.dataclass
class CaptionResult:
    """What the caption page shows: the caption, and a note ('' when nothing to say)."""

    caption: str
    note: str


def nothing_to_write_from(include_image: bool, from_hashtags: bool) -> str:
    """The message for a request that gives the model nothing it reads."""
    if include_image and from_hashtags:
        return ("Upload a photo or give the post's hashtags (or both): there is nothing to "
                "write a caption from yet.")
    if include_image:
        return "Upload a photo: this model writes the caption from the photo."
    return "Give the post's hashtags: this model writes the caption from its hashtags."


class DemoCaptionWriter:
    """One loaded caption model answering the caption page, one post at a time.

    Args:
        predictor: amnn.serve.caption_predictor.CaptionPredictor, made with
            on_bad_image="error" (its config says the pixel limit and feature cache).
        work_dir: str or Path. Where the photo copies of a request go (a per-server folder).
        beam_size: int or None. The beam width; None: the model's caption_beam_size, as
            predict.py uses without --beam.
    """

    def __init__(self, predictor, work_dir, beam_size: int | None = None):
        self.predictor = predictor
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.beam_size = beam_size or predictor.config.caption_beam_size
        self._lock = threading.Lock()  # the predictor and its encoder are not thread-safe

    @classmethod
    def from_model_folder(cls, model, work_dir, **predictor_options) -> "DemoCaptionWriter":
        """Load a caption model folder; options as CaptionPredictor's (cache_dir, ...)."""
        from amnn.model.folder import load_model_folder
        from amnn.serve.caption_predictor import CaptionPredictor

        options = dict(progress=False, on_bad_image="error")
        options.update(predictor_options)
        return cls(CaptionPredictor(load_model_folder(model), **options), work_dir)

    def wait_idle(self, seconds: float) -> bool:
        """Wait up to `seconds` for the request in progress, if any; False if it went on."""
        return wait_until_idle(self._lock, seconds)

    def write(self, photo: str | None, hashtags: str | None) -> CaptionResult:
        """The caption of a post with this photo (path or None) and these hashtags."""
        config = self.predictor.config
        tags = parse_hashtags(hashtags or "")
        uses_photo = bool(photo) and config.include_image
        uses_tags = bool(tags) and config.caption_from_hashtags
        if not (uses_photo or uses_tags):
            raise DemoInputError(nothing_to_write_from(config.include_image,
                                                       config.caption_from_hashtags))
        notes = []
        if photo and not config.include_image:
            notes.append("This model writes from hashtags only: the photo was not used.")
        if tags and not config.caption_from_hashtags:
            notes.append("This model writes from the photo only: the hashtags were not used.")
        retrieves = self.predictor.retriever is not None
        if retrieves:
            notes.append(f"The caption of the most similar training post "
                         f"({self.predictor.answers}).")
        # A retriever compares every training tag; the writer reads its vocabulary's only.
        unknown = self._unknown(tags) if uses_tags and not retrieves else []
        if unknown:
            notes.append("The model never learned " + ", ".join(f"#{t}" for t in unknown)
                         + ": it wrote without them.")
        with self._lock, request_folder(self.work_dir) as request_dir:
            photo = (photo_for_prediction(str(photo), config.max_photo_pixels, request_dir)
                     if uses_photo else None)
            posts = self._one_post(photo, tags, request_dir)
            raise_for_undecodable(posts, config)
            caption = self.predictor.predict(posts, beam_size=self.beam_size)[0]
        return CaptionResult(caption, " ".join(notes))

    def _unknown(self, tags: list[str]) -> list[str]:
        """The tags the model cannot read: none of their inputs (tag, or words) is known."""
        from amnn.data.vocabulary import UNK

        vocab, segmenter = self.predictor.trained.hashtag_vocab, self.predictor.trained.segmenter
        return [tag for tag in tags
                if all(vocab.id(word) == UNK
                       for word in (segmenter.split(tag) if segmenter else [tag]))]

    @staticmethod
    def _one_post(photo: str | None, tags: list[str], request_dir: Path):
        """The post as predict.py would read it from a one-row CSV next to the photo."""
        from amnn.data.posts import Posts

        folder = Path(photo).parent if photo else request_dir
        row = [Path(photo).name if photo else "", " ".join(tags)]
        return Posts.from_rows(folder / "demo_post.csv", ["image_names", "hashtags"], [row],
                               [2], require_text=False)
