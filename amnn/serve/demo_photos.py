"""The web demo's photo checks: what a browser uploads is looked at before the model sees it.

`check_photo` reads only the header (a 50-megapixel upload is refused before a pixel is
decoded) and Pillow's structural check; `raise_for_undecodable` then lets the encoder
itself look at the photo, caching its features. Each says what is wrong with a
`DemoInputError`, whose message is written for the page. `display_copy` makes the small
upright copy the explanation is drawn on. Used by `amnn.serve.demo_app` (hashtags) and
`amnn.serve.demo_captions` (captions).

Example:
    >>> try:
    ...     check_photo("/no/such/upload.jpg", 64_000_000)
    ... except DemoInputError as error:
    ...     print(error)
    The uploaded photo is no longer on the server; upload it again.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from amnn.errors import AMNNError

NOT_A_PHOTO = ("That file is not a photo this demo can read (or it is damaged). Upload a "
               "JPEG, PNG, GIF, BMP or WebP image.")
# The overlay is for the eye: a copy this wide is plenty, and drawing a 50-megapixel
# photo at full size would take seconds and hundreds of megabytes.
DISPLAY_SIDE = 1024


class DemoInputError(AMNNError):
    """What the user sent cannot be answered; the message says why, for the page."""


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


def photo_for_prediction(photo: str, max_pixels: int, request_dir: Path) -> str:
    """The photo's path, checked; copied when its name would not survive a CSV cell."""
    check_photo(photo, max_pixels)
    if "\\" in Path(photo).name:  # a backslash in an image cell reads as a folder
        copy = request_dir / f"upload{Path(photo).suffix.replace(chr(92), '')}"
        shutil.copyfile(photo, copy)
        return str(copy)
    return photo


def raise_for_undecodable(posts, config) -> None:
    """DemoInputError when the encoder cannot read the post's photo (it is cached if it can).

    A file that passed the header check may still not decode: this is the encoder's own
    look at it, and its features are then cached for the prediction.
    """
    from amnn.data.photo_files import KINDS
    from amnn.features.photo_check import find_bad_images

    if not posts.has_images:
        return
    bad = find_bad_images(posts, config, progress=False)
    if bad:
        what = KINDS[bad[0].kind][1]
        detail = " ".join(bad[0].detail.split())[:200]
        raise DemoInputError(f"This photo cannot be used ({what}"
                             f"{': ' + detail if detail else ''}). Try another photo.")


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


@contextlib.contextmanager
def request_folder(work_dir: Path) -> Iterator[Path]:
    """A fresh folder for one request's files (photo copies, its one-row CSV), removed after.

    Example:
        >>> import tempfile
        >>> with request_folder(Path(tempfile.mkdtemp())) as folder:
        ...     folder.is_dir()
        True
        >>> folder.exists()
        False
    """
    folder = work_dir / uuid.uuid4().hex
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
