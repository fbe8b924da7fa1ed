"""How a photo file becomes the upright RGB pixels the encoder sees, with a pixel limit.

Phones store most photos sideways, with an EXIF Orientation tag saying how to turn them;
`tf.io.decode_image` ignores that tag, so `decode_photo` reads it (and the photo's size)
from the file's header with Pillow, refuses a photo over the pixel limit before any pixel
is decoded, decodes with TensorFlow inside tf.data, and turns the pixels exactly as
Pillow's `ImageOps.exif_transpose` would. Every path from a photo to features
(extraction, the photo check, the image-knn baseline, shards) reads photos through here.

`PHOTO_READING` names this way of reading; the feature cache stores it, so features made
by an older reading are encoded again rather than mixed with new ones.

libjpeg, inside TensorFlow's decoder, prints its own warnings about a damaged photo
("Corrupt JPEG data: 198 extraneous bytes before marker 0xd9") on stderr from C; a program
hides them with `decoder_messages_hidden` while it reads photos, and AMNN reports a photo
it cannot use in its own words.

Example:
    A photo stored sideways with Orientation 6 ("turn 90 degrees clockwise to view"):

    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> upright = np.zeros((2, 3, 3), np.uint8); upright[0, 0] = 255  # red top-left pixel
    >>> stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    >>> exif = Image.Exif(); exif[ORIENTATION] = 6
    >>> buffer = io.BytesIO(); stored.save(buffer, "PNG", exif=exif)
    >>> stored.size, photo_header(buffer.getvalue(), 40_000_000)
    ((2, 3), 6)
    >>> pixels = decode_photo(tf.constant(buffer.getvalue()), 40_000_000).numpy()
    >>> pixels.shape, bool((pixels == upright).all())
    ((2, 3, 3), True)
    >>> photo_header(buffer.getvalue(), 5)
    Traceback (most recent call last):
    ...
    amnn.features.photo_reading.PhotoTooLarge: 2x3 = 6 pixels, over max_photo_pixels = 5
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import warnings
from typing import Iterator

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from amnn.features.store import (
    PHOTO_READING,  # the name of this reading, kept by each cache
)

__all__ = ["ORIENTATION", "PHOTO_READING", "PhotoTooLarge", "decode_failure", "decode_photo",
           "decoder_messages_hidden", "photo_header", "pixel_problem", "upright"]

ORIENTATION = 0x0112  # the EXIF Orientation tag (PIL.ExifTags.Base.Orientation)
HOW_TO_RAISE = "raise the limit with --max-photo-pixels N (or max_photo_pixels in config.py)"

# AMNN checks every photo against its own limit (max_photo_pixels) before decoding, so
# Pillow's warning about large images only repeats what the check then says.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
_hiding = False  # whether a decoder_messages_hidden block is running (they nest)


class PhotoTooLarge(ValueError):
    """A photo has more pixels than the limit; its header says so, nothing was decoded."""


def _too_large(width: int, height: int, max_pixels: int) -> PhotoTooLarge:
    return PhotoTooLarge(f"{width}x{height} = {width * height:,} pixels, over "
                         f"max_photo_pixels = {max_pixels:,}")


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation Pillow's header read found; 1 when there is none or it is damaged."""
    # A PNG's eXIf chunk may follow the pixels, and getexif() would then decode them all:
    # only what the header holds counts (phone photos are JPEG).
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        return image.getexif().get(ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):  # a damaged EXIF block
        return 1


def photo_header(data, max_pixels: int) -> int:
    """The EXIF orientation (1 to 8; 1 when absent) of a photo, from its header.

    `data` is the encoded photo (bytes) or its path; only the header is read.

    Raises PhotoTooLarge when width x height is over `max_pixels`. A file Pillow does not
    recognise gives 1: TensorFlow then decodes it or says why not, as before.
    """
    # Pillow refuses (DecompressionBombError) photos over twice its own limit; keep that
    # guard no stricter than the user's limit, never looser than Pillow's default.
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < max_pixels:
        Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            width, height = image.size
            orientation = _orientation(image) if width * height <= max_pixels else 1
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        count = f"{int(found[1]):,}" if found else "too many"
        raise PhotoTooLarge(f"{count} pixels, over max_photo_pixels = {max_pixels:,}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return 1  # not for Pillow to judge: TensorFlow decodes it or words the error
    if width * height > max_pixels:
        raise _too_large(width, height, max_pixels)
    return int(orientation) if orientation in range(1, 9) else 1


def pixel_problem(path: str, max_pixels: int) -> str | None:
    """Why the photo at `path` is over the pixel limit, or None (also for unreadable files).

    Example:
        >>> pixel_problem("/no/such/photo.jpg", 40_000_000) is None
        True
    """
    try:
        photo_header(path, max_pixels)
    except PhotoTooLarge as error:
        return str(error)
    return None


def _header_op(data: tf.Tensor, max_pixels: int) -> tf.Tensor:
    def header(encoded) -> np.int32:
        # bytes inside tf.data; a 0-d object array when run eagerly
        encoded = encoded.item() if isinstance(encoded, np.ndarray) else encoded
        return np.int32(photo_header(bytes(encoded), max_pixels))

    orientation = tf.numpy_function(header, [data], tf.int32, stateful=False)
    return tf.ensure_shape(orientation, ())


def upright(image: tf.Tensor, orientation) -> tf.Tensor:
    """`image` (H, W, C) turned as EXIF `orientation` says, like `ImageOps.exif_transpose`.

    Each orientation is a transpose (5 to 8) then flips. An upright photo (orientation 1,
    or a value that is not an orientation) is handed on as it is: tf.reverse with no axis
    would still copy it.

    Example:
        >>> image = tf.reshape(tf.range(6), (2, 3, 1))
        >>> upright(image, 6)[..., 0].numpy().tolist()  # stored sideways: turn clockwise
        [[3, 0], [4, 1], [5, 2]]
    """
    # orientation:    0      1      2      3      4      5      6      7      8
    swap_axes = [False, False, False, False, False, True, True, True, True]
    flip_rows = [False, False, False, True, True, False, False, True, True]
    flip_columns = [False, False, True, True, False, False, True, True, False]
    image = tf.convert_to_tensor(image)
    index = tf.cast(orientation, tf.int32)
    index = tf.where((index < 2) | (index > 8), 0, index)  # exif_transpose ignores those too

    def turn():
        perm = tf.where(tf.gather(swap_axes, index), [1, 0, 2], [0, 1, 2])
        axes = tf.boolean_mask([0, 1], tf.stack([tf.gather(flip_rows, index),
                                                 tf.gather(flip_columns, index)]))
        return tf.reverse(tf.transpose(image, perm), axes)

    turned = tf.cond(index > 0, turn, lambda: image)
    # Keep the channel count known: the encoder's preparation then needs no runtime branch.
    turned.set_shape([None, None, image.shape[-1]])
    return turned


def decode_photo(data: tf.Tensor, max_pixels: int) -> tf.Tensor:
    """Encoded photo bytes -> upright RGB uint8 (H, W, 3); works inside `tf.data` maps.

    The header is read first and the decoding waits for it, so a photo over `max_pixels`
    fails (PhotoTooLarge inside TensorFlow's error) before its pixels take any memory.
    """
    orientation = _header_op(data, int(max_pixels))
    with tf.control_dependencies([orientation]):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
    return upright(image, orientation)


@contextlib.contextmanager
def decoder_messages_hidden(enabled: bool = True) -> Iterator[None]:
    """Hide what C code writes on stderr (libjpeg's warnings) while the block runs.

    File descriptor 2 points at /dev/null; Python's `sys.stderr`, when it writes to that
    descriptor, is pointed at a copy of the real one, so progress bars, notes and errors
    still show (a Python error propagates after the descriptor is back). What C writes is
    lost for the block: TensorFlow's own messages are hidden anyway unless --verbose, which
    passes `enabled=False`. A block inside another changes nothing.

    Example:
        >>> with decoder_messages_hidden():
        ...     _ = os.write(2, b"Corrupt JPEG data: premature end of data segment\\n")  # lost
        ...     print("shown", file=sys.stderr)  # still on the terminal
    """
    global _hiding
    if not enabled or _hiding:
        yield
        return
    sys.stderr.flush()
    python_stderr = sys.stderr
    try:
        swap = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # pytest's capture, a StringIO
        swap = False
    real = os.dup(2)
    copy = None
    if swap:  # line-buffered like a terminal's stderr, so each line shows as it is written
        copy = open(real, "w", encoding=python_stderr.encoding or "utf-8",
                    errors="backslashreplace", buffering=1, closefd=False)
        sys.stderr = copy
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    _hiding = True
    try:
        yield
    finally:
        _hiding = False
        if copy is not None:
            copy.close()  # flushes; `real` stays open until the descriptor is back
        sys.stderr = python_stderr
        os.dup2(real, 2)
        os.close(real)


def decode_failure(path: str, max_pixels: int, prepare=None) -> str:
    """Why the photo at `path` cannot be used, in one sentence for the user.

    Its pixel count when over `max_pixels`, else TensorFlow's own error from decoding it
    (and `prepare`, the encoder's, when given), without op and device names.

    Example:
        >>> import os, tempfile
        >>> empty = os.path.join(tempfile.mkdtemp(), "empty.jpg"); open(empty, "wb").close()
        >>> decode_failure(empty, 40_000_000)
        'Input is empty.'
    """
    too_large = pixel_problem(path, max_pixels)  # said plainly, not inside TensorFlow's error
    if too_large:
        return too_large
    try:
        with decoder_messages_hidden():  # libjpeg's words, then ours, would say it twice
            image = decode_photo(tf.io.read_file(path), max_pixels)
            if prepare is not None:
                prepare(image)
        return "it failed inside the tf.data pipeline"
    except (tf.errors.OpError, ValueError) as err:  # the user needs its own message
        return re.sub(r"\{\{.*?\}\}|\[Op:.*", "", getattr(err, "message", str(err))).strip()
