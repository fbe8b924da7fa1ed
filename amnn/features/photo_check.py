"""Look at every photo through the encoder, and do what `--on-bad-image` says with bad ones.

`find_bad_images` finds every post whose photo cannot be used: the file problems found
while reading the CSV (`amnn.data.photo_files`), plus the photos that do not decode,
found by running the encoder over the photos the cache lacks (what decodes is stored, so
nothing is extracted twice), and photos over `max_photo_pixels`, found from their header
before they are decoded. `apply_bad_image_policy` does what the user chose: error (the
default) raises one DataError listing every bad row (line, image name, why) and what to
do; skip leaves the posts out (predict.py writes them with no hashtags); text-only keeps
them as posts without a photo (the blank row of the photo table, like an empty
`image_names` cell).

Example:
    A tiny untrained encoder registered as "tiny" (real runs use efficientnet_lite0) looks
    at one good photo and one text file named .jpg; a third post's photo is missing.

    >>> import shutil, tempfile
    >>> import keras
    >>> import amnn
    >>> from amnn.config import AMNNConfig
    >>> from amnn.data.posts import Posts
    >>> from amnn.features.encoders import register_encoder, registry
    >>> from amnn.features.encoders.image_encoder import ImageEncoder
    >>> def tiny(weights, cache_dir):
    ...     inputs = keras.Input((224, 224, 3))
    ...     grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)  # (B, 7, 7, 8)
    ...     return ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)
    >>> register_encoder("tiny", tiny, channels=8)
    >>> folder = Path(tempfile.mkdtemp())
    >>> photos = Path(amnn.__file__).parent.parent / "test_dataset" / "images"
    >>> _ = shutil.copy(photos / "coffee_cup.jpg", folder / "cup.jpg")
    >>> _ = (folder / "notes.jpg").write_text("a caption, not a photo")
    >>> posts = Posts.from_rows(folder / "posts.csv", ["image_names", "tweets"],
    ...                         [["cup.jpg", "espresso"], ["gone.jpg", "lost"],
    ...                          ["notes.jpg", "notes"]], [2, 3, 4], check_images=False)
    >>> config = AMNNConfig(encoder="tiny", cache_dir=str(folder))
    >>> bad = find_bad_images(posts, config, progress=False)
    >>> [(b.line, b.name, b.kind) for b in bad]
    [(3, 'gone.jpg', 'missing'), (4, 'notes.jpg', 'undecodable')]
    >>> apply_bad_image_policy(posts, bad, "text-only").image_paths[1:]
    ['', '']
    >>> apply_bad_image_policy(posts, bad, "skip").texts
    ['espresso']
    >>> shared_encoder.cache_clear(); _ = registry._REGISTRY.pop("tiny")  # forget "tiny"
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Sequence

from amnn.config import BAD_IMAGE_POLICIES
from amnn.data.photo_files import BadImage, BadImageTally, bad_image_error, file_problem
from amnn.data.posts import iter_post_chunks
from amnn.errors import DataError
from amnn.features.extraction import try_ensure_features
from amnn.features.photo_reading import pixel_problem
from amnn.features.photo_table import shared_encoder

POLICY_HINT = ("or pass --on-bad-image skip (leave these posts out) or --on-bad-image "
               "text-only (keep them without their photo)")


_OUTCOMES = {"skip": "were left out", "text-only": "are used without their photo"}  # training


def find_bad_images(posts, config, progress: bool = True) -> list[BadImage]:
    """Every post of `posts` whose photo cannot be used, in row order.

    Reads `posts.image_problems` (paths leaving the folder, missing files, found while
    reading the CSV), checks the other files, and runs the encoder over the photos the
    cache lacks: what decodes is stored, what does not is reported with TensorFlow's reason.

    Args:
        posts: amnn.data.posts.Posts.
        config: AMNNConfig. Its encoder, encoder_weights, cache_dir, extract_batch_size,
            max_photo_pixels.
        progress: bool. Show the extraction progress bar.

    Example:
        Missing photos are found without the encoder, which is built only for files that
        exist (the module's example decodes some):

        >>> import tempfile
        >>> from amnn.config import AMNNConfig
        >>> from amnn.data.posts import Posts
        >>> posts = Posts.from_rows(Path(tempfile.mkdtemp()) / "posts.csv",
        ...                         ["image_names", "tweets"],
        ...                         [["cat.jpg", "hi"], ["", "no photo"]], [2, 3],
        ...                         check_images=False)
        >>> [b.describe() for b in find_bad_images(posts, AMNNConfig())]
        ['line 2: cat.jpg (not found)']
    """
    known = {b.row: b for b in posts.image_problems}
    # Many posts share a photo: each file is looked at once, by its resolved path.
    key_of = {p: os.path.realpath(p) for p in set(posts.image_paths) if p}
    problem: dict[str, tuple[str, str]] = {}
    to_decode: dict[str, str] = {}
    for row, path in enumerate(posts.image_paths):
        key = key_of.get(path)
        if key is None or row in known or key in problem or key in to_decode:
            continue
        found = file_problem(path)
        if found:
            problem[key] = found
        else:
            to_decode[key] = path
    if to_decode:
        encoder = shared_encoder(config.encoder, config.encoder_weights, config.cache_dir)
        limit = config.max_photo_pixels
        failed = try_ensure_features(list(to_decode.values()), encoder, config.cache_dir,
                                     config.extract_batch_size, progress, limit)
        for path, reason in failed.items():
            # A file removed or changed since it was looked at says so, not "damaged".
            too_large = pixel_problem(path, limit)
            problem[key_of.get(path) or os.path.realpath(path)] = file_problem(path) or (
                ("too_large", too_large) if too_large else ("undecodable", reason))
    bad = dict(known)
    for row, path in enumerate(posts.image_paths):
        if path and row not in bad and key_of[path] in problem:
            bad[row] = BadImage(row, posts.line_numbers[row], posts.image_names[row],
                                *problem[key_of[path]])
    return [bad[row] for row in sorted(bad)]


def _policy_error(posts, bad: Sequence[BadImage]) -> DataError:
    return bad_image_error(posts.csv_path, bad, posts.columns.get("image_names") or
                           "image_names", POLICY_HINT + ". Features of the good photos are "
                           "cached, so the next run only extracts what changed")


def raise_for_bad_images(csv_path, config, chunk_size: int, progress: bool = True,
                         require_text: bool = True, columns=None) -> None:
    """Look at every photo of a CSV, chunk by chunk; raise one DataError if any is bad.

    predict.py calls it before writing anything under --on-bad-image error, so the error
    lists the bad rows of the whole file, not only those of the first chunk that has one.
    The photos' features are cached on the way, so the prediction pass extracts nothing.
    `columns` is --columns (None detects the file's layout).

    Example:
        Two missing photos in two chunks of one row each, named in one error:

        >>> import tempfile
        >>> from amnn.config import AMNNConfig
        >>> csv = Path(tempfile.mkdtemp()) / "posts.csv"
        >>> _ = csv.write_text("image_names,tweets\\na.jpg,hi\\nb.jpg,hello\\n,no photo\\n")
        >>> raise_for_bad_images(csv, AMNNConfig(), chunk_size=1)
        Traceback (most recent call last):
        ...
        amnn.errors.DataError: .../posts.csv, column 'image_names': 2 image file(s) not found:
        line 2: a.jpg (not found); line 3: b.jpg (not found). Fix the paths ...
    """

    first, bad = None, []
    for chunk in iter_post_chunks(csv_path, chunk_size, require_hashtags=False,
                                  require_text=require_text, columns=columns):
        first = first or chunk
        bad.extend(find_bad_images(chunk, config, progress))
    if bad:
        raise _policy_error(first, bad)


def apply_bad_image_policy(posts, bad: Sequence[BadImage], policy: str):
    """`posts` with `policy` applied to the `bad` rows (from `find_bad_images`).

    error raises one DataError listing them; skip returns the other posts
    (`posts.select`); text-only returns every post, the bad ones without their photo.

    Example:
        >>> import tempfile
        >>> from amnn.data.posts import Posts
        >>> posts = Posts.from_rows(Path(tempfile.mkdtemp()) / "posts.csv",
        ...                         ["image_names", "tweets"],
        ...                         [["cat.jpg", "hi"], ["", "no photo"]], [2, 3],
        ...                         check_images=False)
        >>> bad = posts.image_problems  # cat.jpg is missing
        >>> apply_bad_image_policy(posts, bad, "skip").texts
        ['no photo']
        >>> apply_bad_image_policy(posts, bad, "text-only").image_paths
        ['', '']
    """
    if policy not in BAD_IMAGE_POLICIES:
        raise ValueError(f"policy must be one of {BAD_IMAGE_POLICIES}, got {policy!r}")
    if not bad:
        return posts
    if policy == "error":
        raise _policy_error(posts, bad)
    rows = {b.row for b in bad}
    if policy == "skip":
        return posts.select([i for i in range(len(posts)) if i not in rows])
    # text-only: '' is what a post without a photo has; the frame keeps the cell as written.
    paths = ["" if i in rows else p for i, p in enumerate(posts.image_paths)]
    return dataclasses.replace(posts, image_paths=paths, image_problems=[])


def check_post_photos(posts, config, progress: bool = True, outcome: str = ""):
    """Find the bad photos of `posts`, apply `config.on_bad_image`, print one note line.

    Used by train.py on each data file before it is split. Raises DataError when skip
    leaves no post at all.

    Example:
        >>> import contextlib, tempfile
        >>> from amnn.config import AMNNConfig
        >>> from amnn.data.posts import Posts
        >>> posts = Posts.from_rows(Path(tempfile.mkdtemp()) / "posts.csv",
        ...                         ["image_names", "tweets"],
        ...                         [["cat.jpg", "hi"], ["", "no photo"]], [2, 3],
        ...                         check_images=False)
        >>> with contextlib.redirect_stderr(sys.stdout):  # the note goes to stderr
        ...     kept = check_post_photos(posts, AMNNConfig(on_bad_image="skip"))
        note: posts.csv: 1 post(s) with a bad photo (1 not found; line 2) were left out
        (--on-bad-image skip)
        >>> kept.texts
        ['no photo']
    """
    bad = find_bad_images(posts, config, progress)
    kept = apply_bad_image_policy(posts, bad, config.on_bad_image)
    if bad:
        tally = BadImageTally()
        tally.add(bad)
        print(tally.note(config.on_bad_image, outcome or _OUTCOMES[config.on_bad_image],
                         Path(posts.csv_path).name), file=sys.stderr)
    if len(kept) == 0:
        raise DataError(posts.csv_path, "every post has a bad photo, so none is left; fix the "
                        "photos, or pass --on-bad-image text-only to use the captions alone",
                        column=posts.columns.get("image_names"))
    return kept

