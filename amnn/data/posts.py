"""Reading posts (photo, caption, hashtags) from the project's CSV data contract.

A data set is a CSV named `image_text_tag.csv` with the columns `image_names, tweets,
hashtags` (`captions` is accepted for `hashtags`, the published code's name). Image paths
are relative to the CSV's folder and must stay inside it; an absent or empty `image_names`
column means a text-only data set. Every problem a user can fix raises `DataError` with file
and line; image cells that cannot be used (missing file, path leaving the folder) can
instead be recorded in `Posts.image_problems`, for `amnn.features.photo_check` to apply
--on-bad-image to.
Decoding and splitting the file into numbered records is `amnn.data.csv_records`.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "image_text_tag.csv").write_text("tweets,hashtags\\nHello NYC,#nyc #Sandy\\n")
    >>> posts = read_posts(folder)
    >>> len(posts), posts.texts, posts.hashtags, posts.has_images
    (1, ['Hello NYC'], [['nyc', 'sandy']], False)
"""

from __future__ import annotations

import contextlib
import dataclasses
import ntpath
import os
import posixpath
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import pandas as pd

from amnn.data.csv_records import read_header, read_records
from amnn.data.hashtags import parse_hashtags
from amnn.data.photo_files import BadImage, bad_image_error, file_problem
from amnn.errors import DataError

CSV_NAME = "image_text_tag.csv"
IMAGE_COLUMN = "image_names"
TEXT_COLUMN = "tweets"
TAG_COLUMNS = ("hashtags", "captions")  # the first one found is the hashtag column
PREDICTION_COLUMN = "predicted_hashtags"  # what predict.py and baselines.py add
CAPTION_COLUMN = "predicted_caption"  # what predict.py adds with a caption model
# Optional: tags the user already wrote, for predict.py to complete (never recommended back).
GIVEN_COLUMNS = ("given_hashtags", "given_captions")  # `captions`, as for TAG_COLUMNS


@dataclass
class Posts:
    """Posts read from one CSV, as plain Python lists aligned by row.

    Args:
        csv_path: Path. The CSV the posts came from.
        frame: pandas.DataFrame. The rows with their original columns as text, unchanged,
            so predictions can be written back next to them.
        image_names: list[str]. The `image_names` cells ('' for no image).
        image_paths: list[str]. Absolute image paths ('' for no image).
        texts: list[str]. Captions ('' when empty).
        hashtags: list[list[str]] or None. Normalised tags; None without a hashtag column.
        line_numbers: list[int]. The line each row starts on (the header is line 1).
        columns: dict. Role ('image_names', 'tweets', 'hashtags', 'given_hashtags') ->
            header in the file (None when absent).
        image_problems: list[BadImage]. Image cells found unusable while reading, when the
            posts were read with check_images=False: a missing file (its path is kept), or a
            path leaving the CSV's folder (its image_paths entry is '', never opened).
        given_hashtags: list[list[str]] or None. The optional `given_hashtags` column, parsed
            like `hashtags` (an empty cell gives []); None without the column.

    Example:
        >>> posts = Posts.from_rows("p.csv", ["tweets"], [["hi"]], [2])
        >>> posts.texts, posts.hashtags, len(posts.select([0]))
        (['hi'], None, 1)
    """

    csv_path: Path
    frame: pd.DataFrame
    image_names: list[str]
    image_paths: list[str]
    texts: list[str]
    hashtags: Optional[list[list[str]]]
    line_numbers: list[int]
    columns: dict[str, Optional[str]]
    image_problems: list[BadImage] = field(default_factory=list)
    given_hashtags: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def has_images(self) -> bool:
        """True when at least one post has a photo."""
        return any(self.image_paths)

    def select(self, indices: Union[Sequence[int], np.ndarray]) -> "Posts":
        """A new `Posts` holding the rows at `indices`, in that order."""
        rows = [int(i) for i in np.asarray(indices, dtype=np.int64).reshape(-1)]

        def pick(values: list) -> list:
            return [values[i] for i in rows]

        problem_of = {p.row: p for p in self.image_problems}
        problems = [dataclasses.replace(problem_of[old], row=new)
                    for new, old in enumerate(rows) if old in problem_of]
        return Posts(self.csv_path, self.frame.iloc[rows].reset_index(drop=True),
                     pick(self.image_names), pick(self.image_paths), pick(self.texts),
                     None if self.hashtags is None else pick(self.hashtags),
                     pick(self.line_numbers), dict(self.columns), problems,
                     None if self.given_hashtags is None else pick(self.given_hashtags))

    @classmethod
    def from_rows(cls, csv_path: Union[str, Path], header: list[str], rows: list[list[str]],
                  line_numbers: list[int], require_hashtags: bool = False,
                  check_images: bool = True, require_text: bool = True) -> "Posts":
        """Build posts from a header and rows of text cells, checking every cell.

        With `check_images`, image cells that cannot be used raise one DataError listing
        them all; without, they are recorded in `image_problems`.
        """
        path = Path(csv_path)
        columns = _find_columns(path, header, require_hashtags, require_text)
        width = len(header)
        for fields, line in zip(rows, line_numbers):
            if len(fields) > width:
                raise DataError(path, f"{len(fields)} fields but the header has {width}; put "
                                "text that contains commas in double quotes", row=line)
        # Short rows (some tools drop trailing empty cells) get empty cells.
        rows = [fields + [""] * (width - len(fields)) for fields in rows]
        frame = pd.DataFrame(rows, columns=header, dtype=str)

        def cells(role: str) -> list[str]:
            name = columns[role]
            return frame[name].tolist() if name is not None else [""] * len(rows)

        names = [name.strip() for name in cells(IMAGE_COLUMN)]
        paths, problems = _image_paths(path, names, line_numbers)
        if problems and check_images:
            raise bad_image_error(path, problems, columns[IMAGE_COLUMN])
        tags = [parse_hashtags(c) for c in cells("hashtags")] if columns["hashtags"] else None
        given = [parse_hashtags(c) for c in cells("given_hashtags")] \
            if columns["given_hashtags"] else None
        return cls(path, frame, names, paths, cells(TEXT_COLUMN), tags, list(line_numbers),
                   columns, problems, given)


def resolve_csv_path(path: Union[str, os.PathLike]) -> Path:
    """The CSV a data argument names: the file itself, or `image_text_tag.csv` in a folder.

    Example:
        >>> resolve_csv_path("/no/such/place")
        Traceback (most recent call last):
        amnn.errors.DataError: /no/such/place: no such file or folder
    """
    given = Path(path).expanduser()
    csv_path = given / CSV_NAME if given.is_dir() else given
    if given.is_dir() and not csv_path.is_file():
        raise DataError(given, f"this folder has no {CSV_NAME}; pass the CSV file itself or a "
                        f"folder that contains {CSV_NAME}")
    if not csv_path.is_file():
        raise DataError(given, "no such file or folder")
    return csv_path


def read_posts(path: Union[str, os.PathLike], require_hashtags: bool = True,
               check_images: bool = True) -> Posts:
    """All posts of a data set (a folder with `image_text_tag.csv`, or a CSV file).

    Args:
        path: str or Path. The data folder or CSV file.
        require_hashtags: bool. Whether a missing hashtag column is an error (training)
            or allowed (prediction, `Posts.hashtags` is then None).
        check_images: bool. Raise for missing images and image paths leaving the CSV's
            folder (all listed in one error); False records them in `Posts.image_problems`
            (train.py, which applies --on-bad-image through `amnn.features.photo_check`).

    Raises:
        DataError: bad encoding, empty file, missing columns, bad rows, missing images, or
            image paths that are absolute or leave the CSV's folder.
    """
    # One chunk holding every row, so a missing-image error lists all bad rows at once.
    chunks = iter_post_chunks(path, sys.maxsize, require_hashtags, check_images)
    posts = next(chunks, None)
    chunks.close()
    if posts is None:
        raise DataError(resolve_csv_path(path), "the file has a header but no posts")
    return posts


def iter_post_chunks(path: Union[str, os.PathLike], chunk_size: int,
                     require_hashtags: bool = False,
                     check_images: bool = False,
                     require_text: bool = True) -> Iterator[Posts]:
    """Posts in consecutive chunks of at most `chunk_size` rows, holding one chunk at a time.

    Meant for predicting over CSVs too large to hold in memory. Each chunk is checked
    like `read_posts` checks a whole file, except that image cells that cannot be used are
    by default recorded in `Posts.image_problems` rather than raised: the predictor applies
    --on-bad-image to them chunk by chunk, and a row is never lost. A header-only file
    yields nothing. `require_text=False` accepts a file without a `tweets` column (a
    caption model writes the text; its posts' texts are then '').

    Example:
        >>> import tempfile, pathlib
        >>> csv_file = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
        >>> _ = csv_file.write_text("tweets\\na\\nb\\nc\\n")
        >>> [chunk.texts for chunk in iter_post_chunks(csv_file, 2)]
        [['a', 'b'], ['c']]
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    csv_path = resolve_csv_path(path)
    records = read_records(csv_path)
    header = read_header(csv_path, records, f"{IMAGE_COLUMN},{TEXT_COLUMN},{TAG_COLUMNS[0]}")
    _find_columns(csv_path, header, require_hashtags, require_text)  # fail before any row
    lines, rows = [], []
    for line, fields in records:
        lines.append(line)
        rows.append(fields)
        if len(rows) == chunk_size:
            yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags, check_images,
                                  require_text)
            lines, rows = [], []
    if rows:
        yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags, check_images,
                              require_text)


def _find_columns(csv_path: Path, header: list[str], require_hashtags: bool,
                  require_text: bool = True) -> dict[str, Optional[str]]:
    """Role -> header name, matched without regard to case; missing required ones raise."""
    by_lower = {name.lower(): name for name in header}
    columns = {IMAGE_COLUMN: by_lower.get(IMAGE_COLUMN), TEXT_COLUMN: by_lower.get(TEXT_COLUMN),
               "hashtags": next((by_lower[n] for n in TAG_COLUMNS if n in by_lower), None),
               "given_hashtags": next((by_lower[n] for n in GIVEN_COLUMNS if n in by_lower),
                                      None)}
    missing = [] if columns[TEXT_COLUMN] or not require_text else [TEXT_COLUMN]
    if require_hashtags and columns["hashtags"] is None:
        missing.append(f"{TAG_COLUMNS[0]} (or {TAG_COLUMNS[1]})")
    if missing:
        raise DataError(csv_path, f"missing column(s) {', '.join(missing)}; found columns "
                        f"{header}, expected {IMAGE_COLUMN} (optional), {TEXT_COLUMN}, "
                        f"{TAG_COLUMNS[0]}", row=1, column=missing[0].split()[0])
    return columns


def _inside(folder: Path, name: str) -> tuple[str, Optional[tuple[str, str]]]:
    """The absolute path an image cell names, or ('', (kind, detail)) when it leaves `folder`.

    A dataset folder must hold its photos, so it can be moved or shared as one piece.
    The check is on the text, '..' segments resolved against the folder: a cell like
    '../data/a.jpg' that comes back in is accepted.
    """
    relative = name.replace("\\", "/")  # CSVs written on Windows use backslashes
    if posixpath.isabs(relative) or ntpath.splitdrive(name)[0]:
        detail = ""
        if posixpath.isabs(relative):  # a path into the folder: say exactly what to write
            with contextlib.suppress(ValueError):
                detail = f"write it as {Path(relative).resolve().relative_to(folder)}"
        return "", ("absolute", detail)
    full = posixpath.normpath(posixpath.join(str(folder), relative))
    if not (full + "/").startswith(str(folder).rstrip("/") + "/"):
        return "", ("outside", "")
    return full, None


def _image_paths(csv_path: Path, names: list[str],
                 lines: list[int]) -> tuple[list[str], list[BadImage]]:
    """Absolute image paths ('' for no image), and the cells that cannot be used."""
    folder = csv_path.parent.resolve()
    exists: dict[str, bool] = {}  # many posts share a photo: check each file once
    paths, problems = [], []
    for row, (name, line) in enumerate(zip(names, lines)):
        path, problem = _inside(folder, name) if name else ("", None)
        paths.append(path)
        if path and path not in exists:
            exists[path] = os.path.isfile(path)
        if path and not exists[path]:
            problem = file_problem(path) or ("missing", "")  # a folder, a broken link, ...
        if problem:
            problems.append(BadImage(row, line, name, *problem))
    return paths, problems
