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
    >>> bad = find_bad_images(posts, AMNNConfig(), progress=False)       # doctest: +SKIP
    >>> [(b.line, b.name, b.kind) for b in bad]                          # doctest: +SKIP
    [(3, 'gone.jpg', 'missing'), (7, 'notes.jpg', 'undecodable')]
    >>> apply_bad_image_policy(posts, bad, "text-only").image_paths[1]   # doctest: +SKIP
    ''
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
        >>> [b.describe() for b in find_bad_images(posts, AMNNConfig())]   # doctest: +SKIP
        ['line 4: cat.jpg (not an image or damaged: Input is empty.)']
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
        >>> raise_for_bad_images("posts.csv", AMNNConfig(), 20000)     # doctest: +SKIP
        Traceback (most recent call last):
        amnn.errors.DataError: posts.csv: 2 image file(s) not found: line 3: a.jpg ...
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
        >>> apply_bad_image_policy(posts, [BadImage(1, 3, "x.jpg", "missing")], "skip")
        ... # doctest: +SKIP
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
        >>> posts = check_post_photos(read_posts(d, check_images=False), config)  # doctest: +SKIP
        note: image_text_tag.csv: 2 post(s) with a bad photo (2 not found; lines 3, 9) were
        left out (--on-bad-image skip)
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

