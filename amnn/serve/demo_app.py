"""The web demo's model side: one post from a browser form becomes ranked hashtags.

`DemoRecommender.recommend` takes what the page sends (a photo path or None, a caption, the
tags the user already wrote, how many tags to show), checks it, builds a one-row `Posts`
exactly as predict.py would read it from a CSV, and asks the project's own predictor
(through `amnn.serve.explain.explain_posts`) for the tags, their probabilities, what the
network and the neighbours' vote each gave them, the posts that voted and the network's
attention, which `amnn.serve.explain_drawing.draw_explanation` turns into one picture. A bad input raises `DemoInputError` with a message meant for the page; the
page itself (Gradio) is `amnn.serve.demo_page`, and `python scripts/demo.py` (`amnn.cli.demo`) serves it.

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
import shutil
import threading
import uuid
from pathlib import Path

from amnn.data.hashtags import parse_hashtags
from amnn.errors import AMNNError

NO_INPUT = ("Upload a photo or type a caption (or both): there is nothing to recommend "
            "hashtags for yet.")
NOT_A_PHOTO = ("That file is not a photo this demo can read (or it is damaged). Upload a "
               "JPEG, PNG, GIF, BMP or WebP image.")
# The overlay is for the eye: a copy this wide is plenty, and drawing a 50-megapixel
# photo at full size would take seconds and hundreds of megabytes.
DISPLAY_SIDE = 1024


class DemoInputError(AMNNError):
    """What the user sent cannot be answered; the message says why, for the page."""


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


def check_photo(path: str, max_pixels: int) -> int:
    """The photo's EXIF orientation, or DemoInputError when it is gone, too large or no photo.

    Only the header is read (Pillow), so a 50-megapixel upload is refused before a pixel
    of it is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    from amnn.features.photo_reading import PhotoTooLarge, photo_header

    if not Path(path).is_file():
        raise DemoInputError("The uploaded photo is no longer on the server; upload it again.")
    try:
        orientation = photo_header(path, max_pixels)
    except PhotoTooLarge as error:
        raise DemoInputError(f"This photo is too large ({error}). Upload a smaller photo, or "
                             "start the demo with a higher --max-photo-pixels.") from None
    try:
        with Image.open(path) as image:
            image.verify()  # structure only (chunks, checksums); no pixel is decoded
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DemoInputError(NOT_A_PHOTO) from error
    return orientation


def display_copy(path: str, out_folder: Path) -> Path:
    """An upright (EXIF orientation applied), at most DISPLAY_SIDE-pixel PNG of the photo.

    The overlay is drawn on this copy, so it is upright whatever the drawing code does
    with EXIF tags (the copy has none), and cheap for a large photo.
    """
    from PIL import Image, ImageOps

    out = out_folder / f"photo-{uuid.uuid4().hex}.png"
    with Image.open(path) as image:
        image.draft("RGB", (DISPLAY_SIDE, DISPLAY_SIDE))  # JPEG: decode at a smaller scale
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
    upright.save(out)
    return out


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
        self.predictor = predictor
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.rank = rank
        self.min_tags = min_tags
        # Gradio's queue already sends one request at a time; the lock also covers callers
        # that use this object from several threads directly.
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
        request_dir = self.work_dir / uuid.uuid4().hex
        request_dir.mkdir()
        try:
            photo = self._photo_for_prediction(str(photo), request_dir) if uses_photo else None
            posts = self._one_post(photo, caption, given_tags, request_dir)
            # The predictor (tallies, compiled decoders, the encoder) and matplotlib's
            # pyplot are not made for threads: one request at a time uses them.
            with self._lock:
                explanation = self._explain(posts, top_k)
                shown = self._shown(photo, request_dir) if photo else None
                overlay = self._draw(explanation, shown, caption)
        finally:
            # The overlay lies outside it; the photo's copies are not needed any more.
            shutil.rmtree(request_dir, ignore_errors=True)
        tags = list(explanation.tags)
        scores = {f"#{tag}": float(p) for tag, p in zip(tags, explanation.probabilities)}
        return DemoResult(scores, tags, overlay, " ".join(f"#{tag}" for tag in tags),
                          " ".join(notes))

    def _photo_for_prediction(self, photo: str, request_dir: Path) -> str:
        """The photo's path, checked; copied when its name would not survive a CSV cell."""
        check_photo(photo, self.max_photo_pixels)
        if "\\" in Path(photo).name:  # a backslash in an image cell reads as a folder
            copy = request_dir / f"upload{Path(photo).suffix.replace(chr(92), '')}"
            shutil.copyfile(photo, copy)
            return str(copy)
        return photo

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
        from amnn.data.photo_files import KINDS
        from amnn.features.photo_check import find_bad_images
        from amnn.serve.explain import explain_posts

        if posts.has_images:
            # The encoder's own look at the photo (its features are cached for the
            # prediction): a file that passed the header check may still not decode.
            bad = find_bad_images(posts, self.predictor.config, progress=False)
            if bad:
                what = KINDS[bad[0].kind][1]
                detail = " ".join(bad[0].detail.split())[:200]
                raise DemoInputError(f"This photo cannot be used ({what}"
                                     f"{': ' + detail if detail else ''}). Try another photo.")
        return explain_posts(self.predictor, posts, top_k=top_k, rank=self.rank,
                             min_tags=self.min_tags)[0]

    def _draw(self, explanation, shown: Path | None, caption: str) -> str | None:
        """The overlay image, in the work folder (outside the request's folder)."""
        from amnn.serve.explain_drawing import draw_explanation

        out = self.work_dir / f"overlay-{uuid.uuid4().hex}.png"
        return str(draw_explanation(explanation, None if shown is None else str(shown),
                                    caption, out))
