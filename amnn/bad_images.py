"""Photos that cannot be used, and what `--on-bad-image` does with their posts.

A post's photo is bad when its `image_names` cell leaves the CSV's folder (an absolute
path, or `..` leading out), or the file is missing, unreadable, empty, or does not decode
as an image (truncated, a text file named .jpg, ...). `find_bad_images` finds them all at
once, storing the features of the photos that decode on the way (nothing is extracted
twice). `apply_bad_image_policy` does what the user chose: error (the default) raises one
DataError listing every bad row (line, image name, why) and what to do; skip leaves the
posts out (predict.py writes them with no hashtags); text-only keeps them as posts without
a photo (the blank row of the photo table, like an empty `image_names` cell).

No TensorFlow at import: `amnn.posts` uses this module while reading a CSV.

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
import stat
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from amnn.errors import DataError
from config import BAD_IMAGE_POLICIES

# kind -> (words after "N image file(s)", words after one listed row)
KINDS = {
    "missing": ("not found", "not found"),
    "unreadable": ("not readable", "not readable"),
    "empty": ("empty", "empty file"),
    "undecodable": ("not an image or damaged", "not an image or damaged"),
    "absolute": ("given as an absolute path", "absolute path"),
    "outside": ("leaving the CSV's folder", "leaves the CSV's folder"),
}
_CONVERT = "replace the files, or convert them to JPEG or PNG"
_MOVE = "copy the photos into {folder} and write their paths relative to it (e.g. images/a.jpg)"
_ADVICE = {"missing": "fix the paths (they are relative to {folder}) or add the files",
           "unreadable": "make the files readable", "empty": _CONVERT, "undecodable": _CONVERT,
           "absolute": _MOVE, "outside": _MOVE}
POLICY_HINT = ("or pass --on-bad-image skip (leave these posts out) or --on-bad-image "
               "text-only (keep them without their photo)")
MAX_LISTED = 20  # bad rows named in one error message; the rest are counted
_OUTCOMES = {"skip": "were left out", "text-only": "are used without their photo"}  # training


@dataclass(frozen=True)
class BadImage:
    """One post whose photo cannot be used.

    Args:
        row: int. The post's position in its `Posts`.
        line: int. The CSV line the post starts on (the header is line 1).
        name: str. The post's `image_names` cell, as written.
        kind: str. A key of `KINDS`: missing, unreadable, empty, undecodable, absolute, outside.
        detail: str. More about it (TensorFlow's error, the relative path to write), or ''.

    Example:
        >>> BadImage(0, 3, "gone.jpg", "missing").describe()
        'line 3: gone.jpg (not found)'
    """

    row: int
    line: int
    name: str
    kind: str
    detail: str = ""

    def describe(self) -> str:
        """'line 3: gone.jpg (not found)', with the detail when there is one."""
        what = KINDS[self.kind][1] + (f": {self.detail}" if self.detail else "")
        return f"line {self.line}: {self.name} ({what})"


def file_problem(path: str) -> Optional[tuple[str, str]]:
    """(kind, detail) when the file at `path` cannot even be read; None when it can.

    Example:
        >>> file_problem("/no/such/photo.jpg")
        ('missing', '')
    """
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "missing", ""
    except OSError as error:  # permission on a parent folder, a broken mount, ...
        return "unreadable", error.strerror or str(error)
    if stat.S_ISDIR(info.st_mode):
        return "unreadable", "a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "unreadable", "not a regular file"
    if not os.access(path, os.R_OK):
        return "unreadable", "permission denied"
    if info.st_size == 0:
        return "empty", ""
    return None


def bad_image_error(csv_path, bad: Sequence[BadImage], column: Optional[str] = "image_names",
                    hint: str = "") -> DataError:
    """One DataError that lists the bad rows (up to MAX_LISTED) and says what to do.

    Example:
        >>> print(bad_image_error("/d/p.csv", [BadImage(0, 2, "../x.jpg", "outside")]))
        ... # doctest: +NORMALIZE_WHITESPACE
        /d/p.csv, line 2, column 'image_names': 1 image file(s) leaving the CSV's folder:
        line 2: ../x.jpg (leaves the CSV's folder). Copy the photos into /d and write their
        paths relative to it (e.g. images/a.jpg); or leave image_names empty for a post
        without a photo
    """
    folder = Path(csv_path).parent
    counts = Counter(b.kind for b in bad)
    if len(counts) == 1:
        header = f"{len(bad)} image file(s) {KINDS[bad[0].kind][0]}"
    else:
        header = f"{len(bad)} image file(s) cannot be used (" + ", ".join(
            f"{n} {KINDS[kind][0]}" for kind, n in counts.items()) + ")"
    listed = "; ".join(b.describe() for b in bad[:MAX_LISTED])
    if len(bad) > MAX_LISTED:
        listed += f"; and {len(bad) - MAX_LISTED} more"
    advice = list(dict.fromkeys(_ADVICE[kind].format(folder=folder) for kind in counts))
    advice.append("or leave image_names empty for a post without a photo")
    if hint:
        advice.append(hint)
    todo = "; ".join(advice)
    return DataError(csv_path, f"{header}: {listed}. {todo[0].upper()}{todo[1:]}",
                     row=bad[0].line if len(bad) == 1 else None, column=column)


def find_bad_images(posts, config, progress: bool = True) -> list[BadImage]:
    """Every post of `posts` whose photo cannot be used, in row order.

    Reads `posts.image_problems` (paths leaving the folder, missing files, found while
    reading the CSV), checks the other files, and runs the encoder over the photos the
    cache lacks: what decodes is stored, what does not is reported with TensorFlow's reason.

    Args:
        posts: amnn.posts.Posts.
        config: AMNNConfig. Its encoder, encoder_weights, cache_dir, extract_batch_size.
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
        # TensorFlow loads here, only when there are photos to look at.
        from amnn.feature_cache import try_ensure_features
        from amnn.preparation import shared_encoder

        encoder = shared_encoder(config.encoder, config.encoder_weights, config.cache_dir)
        failed = try_ensure_features(list(to_decode.values()), encoder, config.cache_dir,
                                     config.extract_batch_size, progress)
        for path, reason in failed.items():
            # A file removed or changed since it was looked at says so, not "damaged".
            problem[key_of.get(path) or os.path.realpath(path)] = \
                file_problem(path) or ("undecodable", reason)
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


def raise_for_bad_images(csv_path, config, chunk_size: int, progress: bool = True) -> None:
    """Look at every photo of a CSV, chunk by chunk; raise one DataError if any is bad.

    predict.py calls it before writing anything under --on-bad-image error, so the error
    lists the bad rows of the whole file, not only those of the first chunk that has one.
    The photos' features are cached on the way, so the prediction pass extracts nothing.

    Example:
        >>> raise_for_bad_images("posts.csv", AMNNConfig(), 20000)     # doctest: +SKIP
        Traceback (most recent call last):
        amnn.errors.DataError: posts.csv: 2 image file(s) not found: line 3: a.jpg ...
    """
    from amnn.posts import iter_post_chunks  # amnn.posts imports this module

    first, bad = None, []
    for chunk in iter_post_chunks(csv_path, chunk_size, require_hashtags=False):
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


class BadImageTally:
    """Bad photos counted over one or more chunks, told in one note line at the end.

    Example:
        >>> tally = BadImageTally()
        >>> tally.add([BadImage(0, 3, "gone.jpg", "missing")])
        >>> print(tally.note("skip", "got no hashtags"))
        note: 1 post(s) with a bad photo (1 not found; line 3) got no hashtags (--on-bad-image skip)
    """

    SHOWN = 5  # line numbers named in the note

    def __init__(self) -> None:
        self.count = 0
        self.kinds: Counter = Counter()
        self.lines: list[int] = []

    def add(self, bad: Sequence[BadImage]) -> None:
        """Count the bad rows of one chunk; remember the first few line numbers."""
        self.count += len(bad)
        self.kinds.update(b.kind for b in bad)
        self.lines.extend(b.line for b in bad[:self.SHOWN - len(self.lines)])

    def note(self, policy: str, outcome: str, source: str = "") -> str:
        """One line: how many, why, the first line numbers, and what became of them."""
        where = f"{source}: " if source else ""
        kinds = ", ".join(f"{n} {KINDS[kind][0]}" for kind, n in self.kinds.items())
        lines = ", ".join(map(str, self.lines))
        lines = ("lines " if len(self.lines) > 1 else "line ") + lines + \
            (", ..." if self.count > len(self.lines) else "")
        return (f"note: {where}{self.count} post(s) with a bad photo ({kinds}; {lines}) "
                f"{outcome} (--on-bad-image {policy})")


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

