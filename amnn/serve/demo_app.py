"""The web demo's model side: one post from a browser form becomes ranked hashtags.

`DemoRecommender.recommend` takes what the page sends (a photo path or None, a caption, the
tags the user already wrote, how many tags to show), checks it, builds a one-row `Posts`
exactly as predict.py would read it from a CSV, and asks the project's own predictor
(through `amnn.serve.explain.explain_posts`) for the tags, their probabilities, what the
network and the neighbours' vote each gave them, the posts that voted and the network's
attention, which `amnn.serve.explain_drawing.draw_explanation` turns into one picture. A
bad input raises `DemoInputError` with a message meant for the page (the photo checks are
`amnn.serve.demo_photos`; a caption model's writer is `amnn.serve.demo_captions`); the
page itself (Gradio) is `amnn.serve.demo_page`, and `python scripts/demo.py`
(`amnn.cli.demo`) serves it.

Nothing heavy is imported with this module (TensorFlow, the model, Gradio): `pytest
--doctest-modules` imports every module, and the CLI checks its flags before loading them.

Example:
    >>> recommender = DemoRecommender.from_model_folder("models/demo", "/tmp/demo")
    ... # doctest: +SKIP
    >>> recommender.recommend("test_dataset/images/chelsea_face.jpg", "Whiskers", "", 3).hashtags
    ... # doctest: +SKIP
    '#cat #catsofinstagram #meow'
    >>> parse_given(" #Cat, pets  #cat ")
    ['cat', 'pets']
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from pathlib import Path

from amnn.data.hashtags import parse_hashtags
from amnn.serve.demo_photos import (NOT_A_PHOTO, DemoInputError, display_copy,  # noqa: F401
                                    photo_for_prediction, raise_for_undecodable,
                                    request_folder)

NO_INPUT = ("Upload a photo or type a caption (or both): there is nothing to recommend "
            "hashtags for yet.")


@dataclasses.dataclass
class DemoResult:
    """What the page shows for one post.

    Args:
        scores: dict. Hashtag ('#cat') -> probability, best first (a gr.Label value).
        tags: list[str]. The recommended tags, best first, without '#'.
        overlay: str or None. The explanation picture's path (the mix, the voters and,
            where the network had a share, its attention over the photo and the words).
        hashtags: str. The tags as one line to copy: '#cat #pets'.
        note: str. Anything the user should know about this answer ('' when nothing).
    """

    scores: dict[str, float]
    tags: list[str]
    overlay: str | None
    hashtags: str
    note: str


def parse_given(text: str | None) -> list[str]:
    """The tags a user typed (comma or space separated, '#' optional), normalised."""
    return parse_hashtags(text or "")


def wait_until_idle(lock: threading.Lock, seconds: float) -> bool:
    """Wait up to `seconds` for the request holding `lock` to end; False if it did not.

    The server calls it after it stops taking requests, so that its temporary folder is
    removed after, not during, the last answer.
    """
    if lock.acquire(timeout=seconds):
        lock.release()
        return True
    return False


class DemoRecommender:
    """One loaded model answering the demo page's posts, one post at a time.

    Args:
        predictor: amnn.serve.predictor.HashtagPredictor. Its config says the pixel limit
            and feature cache; it should raise for a bad photo (on_bad_image="error").
        work_dir: str or Path. Where overlays and photo copies go (a per-server temp folder).
        rank: bool or None. Rank tags by the first step, or decode tag after tag; None: as
            the model was trained to (`decode`).
        min_tags: int or None. As predict.py's --min-tags.
    """

    def __init__(self, predictor, work_dir, rank: bool | None = None,
                 min_tags: int | None = None):
        if predictor.trained.config.task == "caption":  # it would fail on every request
            raise ValueError("DemoRecommender needs a hashtag model; a caption model "
                             "(task 'caption') is served by demo_captions.DemoCaptionWriter")
        self.predictor = predictor
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.rank = rank
        self.min_tags = min_tags
        # One request at a time, from the first check to the drawing: the predictor
        # (tallies, compiled decoders, the encoder) and matplotlib's pyplot are not made for
        # threads. Gradio's queue already sends one at a time; the lock also covers callers
        # from several threads, and tells the server when the last answer is done.
        self._lock = threading.Lock()

    @classmethod
    def from_model_folder(cls, model, work_dir, **predictor_options) -> "DemoRecommender":
        """Load a model folder and predict as its config says (rank or sequence)."""
        from amnn.model.folder import load_model_folder
        from amnn.serve.predictor import HashtagPredictor

        trained = load_model_folder(model)
        options = dict(progress=False, on_bad_image="error")
        options.update(predictor_options)
        return cls(HashtagPredictor(trained, **options), work_dir,
                   min_tags=trained.config.min_tags)

    @property
    def max_photo_pixels(self) -> int:
        return self.predictor.config.max_photo_pixels

    def wait_idle(self, seconds: float) -> bool:
        """Wait up to `seconds` for the request in progress, if any; False if it went on."""
        return wait_until_idle(self._lock, seconds)

    def recommend(self, photo: str | None, caption: str | None, given: str | None,
                  top_k: int) -> DemoResult:
        """Recommend `top_k` hashtags for one post; DemoInputError when it cannot be answered.

        `photo` is a file path or None, `caption` may be empty (not both), `given` holds the
        tags the user already wrote (never recommended back).
        """
        caption = caption or ""
        if not photo and not caption.strip():
            raise DemoInputError(NO_INPUT)
        top_k = int(top_k)
        if top_k < 1:
            raise DemoInputError("Ask for at least one hashtag.")
        given_tags = parse_given(given)
        notes = []
        uses_photo = bool(photo) and self.predictor.config.include_image
        if photo and not uses_photo:
            notes.append("This model reads captions only: the photo was not used.")
        if not photo:
            notes.append("No photo: the hashtags come from the caption alone.")
        vocab = self.predictor.trained.hashtag_vocab
        unknown = [tag for tag in given_tags if tag not in vocab]
        if unknown:
            notes.append("The model never learned " + ", ".join(f"#{t}" for t in unknown)
                         + ": it could not use them, and will not recommend them.")
        # The overlay lies outside the request's folder; the photo's copies go with it.
        with self._lock, request_folder(self.work_dir) as request_dir:
            photo = (photo_for_prediction(str(photo), self.max_photo_pixels, request_dir)
                     if uses_photo else None)
            posts = self._one_post(photo, caption, given_tags, request_dir)
            raise_for_undecodable(posts, self.predictor.config)
            explanation = self._explain(posts, top_k)
            shown = self._shown(photo, request_dir) if photo else None
            overlay = self._draw(explanation, shown, caption)
        tags = list(explanation.tags)
        scores = {f"#{tag}": float(p) for tag, p in zip(tags, explanation.probabilities)}
        return DemoResult(scores, tags, overlay, " ".join(f"#{tag}" for tag in tags),
                          " ".join(notes))

    @staticmethod
    def _shown(photo: str, request_dir: Path) -> Path:
        """The photo's display copy; a photo the encoder read but Pillow cannot is refused."""
        try:
            return display_copy(photo, request_dir)
        except (OSError, SyntaxError, ValueError) as error:  # e.g. a truncated JPEG
            raise DemoInputError(f"This photo cannot be used (damaged: {error}). "
                                 "Try another photo.") from None

    @staticmethod
    def _one_post(photo: str | None, caption: str, given: list[str], request_dir: Path):
        """The post as predict.py would read it from a one-row CSV next to the photo."""
        from amnn.data.posts import Posts

        folder = Path(photo).parent if photo else request_dir
        header, row = ["image_names", "tweets"], [Path(photo).name if photo else "", caption]
        if given:  # no column at all otherwise, exactly like a CSV without given tags
            header.append("given_hashtags")
            row.append(" ".join(given))
        return Posts.from_rows(folder / "demo_post.csv", header, [row], [2])

    def _explain(self, posts, top_k: int):
        """The post's explanation from the project's own predictor (the lock held)."""
        from amnn.serve.explain import explain_posts

        return explain_posts(self.predictor, posts, top_k=top_k, rank=self.rank,
                             min_tags=self.min_tags)[0]

    def _draw(self, explanation, shown: Path | None, caption: str) -> str | None:
        """The overlay image, in the work folder (outside the request's folder)."""
        from amnn.serve.explain_drawing import draw_explanation

        out = self.work_dir / f"overlay-{uuid.uuid4().hex}.png"
        return str(draw_explanation(explanation, None if shown is None else str(shown),
                                    caption, out))
