"""Reading posts (photo, caption, hashtags) from the project's CSV data contract.

A data set is a CSV named `image_text_tag.csv` with the columns `image_names, tweets,
hashtags` (`captions` is accepted for `hashtags`, the published code's name). Image paths
are relative to the CSV's folder; an absent or empty `image_names` column means a
text-only data set. Every problem a user can fix raises `DataError` with file and line.
Decoding and splitting the file into numbered records is `amnn.csv_records`.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "image_text_tag.csv").write_text("tweets,hashtags\\nHello NYC,#nyc #Sandy\\n")
    >>> posts = read_posts(folder)
    >>> len(posts), posts.texts, posts.hashtags, posts.has_images
    (1, ['Hello NYC'], [['nyc', 'sandy']], False)
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import pandas as pd

from amnn.csv_records import read_header, read_records
from amnn.errors import DataError
from amnn.hashtags import parse_hashtags

CSV_NAME = "image_text_tag.csv"
IMAGE_COLUMN = "image_names"
TEXT_COLUMN = "tweets"
TAG_COLUMNS = ("hashtags", "captions")  # the first one found is the hashtag column
_MAX_LISTED = 20  # bad rows named in one error message


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
        columns: dict. Role ('image_names', 'tweets', 'hashtags') -> header in the file.

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

        return Posts(self.csv_path, self.frame.iloc[rows].reset_index(drop=True),
                     pick(self.image_names), pick(self.image_paths), pick(self.texts),
                     None if self.hashtags is None else pick(self.hashtags),
                     pick(self.line_numbers), dict(self.columns))

    @classmethod
    def from_rows(cls, csv_path: Union[str, Path], header: list[str], rows: list[list[str]],
                  line_numbers: list[int], require_hashtags: bool = False) -> "Posts":
        """Build posts from a header and rows of text cells, checking every cell."""
        path = Path(csv_path)
        columns = _find_columns(path, header, require_hashtags)
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
        paths = _image_paths(path, names, line_numbers, columns[IMAGE_COLUMN])
        tags = [parse_hashtags(c) for c in cells("hashtags")] if columns["hashtags"] else None
        return cls(path, frame, names, paths, cells(TEXT_COLUMN), tags, list(line_numbers),
                   columns)


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


def read_posts(path: Union[str, os.PathLike], require_hashtags: bool = True) -> Posts:
    """All posts of a data set (a folder with `image_text_tag.csv`, or a CSV file).

    Args:
        path: str or Path. The data folder or CSV file.
        require_hashtags: bool. Whether a missing hashtag column is an error (training)
            or allowed (prediction, `Posts.hashtags` is then None).

    Raises:
        DataError: bad encoding, empty file, missing columns, bad rows, missing images, or
            image paths that are absolute or leave the CSV's folder.
    """
    # One chunk holding every row, so a missing-image error lists all bad rows at once.
    chunks = iter_post_chunks(path, sys.maxsize, require_hashtags)
    posts = next(chunks, None)
    chunks.close()
    if posts is None:
        raise DataError(resolve_csv_path(path), "the file has a header but no posts")
    return posts


def iter_post_chunks(path: Union[str, os.PathLike], chunk_size: int,
                     require_hashtags: bool = False) -> Iterator[Posts]:
    """Posts in consecutive chunks of at most `chunk_size` rows, holding one chunk at a time.

    Meant for predicting over CSVs too large to hold in memory. Each chunk is checked
    like `read_posts` checks a whole file; a header-only file yields nothing.

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
    _find_columns(csv_path, header, require_hashtags)  # fail before reading any row
    lines, rows = [], []
    for line, fields in records:
        lines.append(line)
        rows.append(fields)
        if len(rows) == chunk_size:
            yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags)
            lines, rows = [], []
    if rows:
        yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags)


def _find_columns(csv_path: Path, header: list[str],
                  require_hashtags: bool) -> dict[str, Optional[str]]:
    """Role -> header name, matched without regard to case; missing required ones raise."""
    by_lower = {name.lower(): name for name in header}
    columns = {IMAGE_COLUMN: by_lower.get(IMAGE_COLUMN), TEXT_COLUMN: by_lower.get(TEXT_COLUMN),
               "hashtags": next((by_lower[n] for n in TAG_COLUMNS if n in by_lower), None)}
    missing = [] if columns[TEXT_COLUMN] else [TEXT_COLUMN]
    if require_hashtags and columns["hashtags"] is None:
        missing.append(f"{TAG_COLUMNS[0]} (or {TAG_COLUMNS[1]})")
    if missing:
        raise DataError(csv_path, f"missing column(s) {', '.join(missing)}; found columns "
                        f"{header}, expected {IMAGE_COLUMN} (optional), {TEXT_COLUMN}, "
                        f"{TAG_COLUMNS[0]}", row=1, column=missing[0].split()[0])
    return columns


def _image_paths(csv_path: Path, names: list[str], lines: list[int],
                 column: Optional[str]) -> list[str]:
    """Absolute image paths ('' for no image); bad or missing files raise, all listed."""
    folder = csv_path.parent.resolve()
    exists: dict[str, bool] = {}  # many posts share a photo: check each file once
    paths, missing = [], []
    for name, line in zip(names, lines):
        paths.append("")
        if not name:
            continue
        relative = name.replace("\\", "/")  # CSVs written on Windows use backslashes
        if posixpath.isabs(relative) or ntpath.splitdrive(name)[0]:
            raise DataError(csv_path, f"image path {name!r} is absolute; write it relative "
                            "to the CSV's folder", row=line, column=column)
        relative = posixpath.normpath(relative)
        if relative == ".." or relative.startswith("../"):
            raise DataError(csv_path, f"image path {name!r} leaves the CSV's folder; keep the "
                            "images inside that folder", row=line, column=column)
        paths[-1] = str(folder / relative)
        if paths[-1] not in exists:
            exists[paths[-1]] = os.path.isfile(paths[-1])
        if not exists[paths[-1]]:
            missing.append((line, name))
    if missing:
        listed = "; ".join(f"line {line}: {name}" for line, name in missing[:_MAX_LISTED])
        more = f"; and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
        raise DataError(csv_path, f"{len(missing)} image file(s) not found (paths are relative "
                        f"to {folder}): {listed}{more}",
                        row=missing[0][0] if len(missing) == 1 else None, column=column)
    return paths
