"""Reading posts (photo, caption, hashtags) from the project's CSV data contract.

A data set is a CSV named `image_text_tag.csv` with the columns `image_names, tweets,
hashtags` (`captions` is accepted for `hashtags`, the published code's name). The published
code's own layouts are read as they are (`amnn.data.column_layout`): its `*`-separated
`image_text_data.txt`, and its fork's `Name,Contents,captions` CSV, both by position.
Image paths are relative to the file's folder and must stay inside it; a name without an
extension is looked for as .jpg, .jpeg, .png, .webp; an absent or empty photo column means
a text-only data set. Every problem a user can fix raises `DataError` with file and line;
image cells that cannot be used (missing file, path leaving the folder) can instead be
recorded in `Posts.image_problems`, for `amnn.features.photo_check` to apply
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

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import pandas as pd

from amnn.data.column_layout import (
    IMAGE_COLUMN,
    TAG_COLUMNS,
    TEXT_COLUMN,
    ColumnsFlag,
    Layout,
    announce_layout,
    choose_separator,
    find_layout,
    parse_columns_flag,
)
from amnn.data.csv_records import read_header, read_records
from amnn.data.hashtags import parse_hashtags
from amnn.data.photo_files import BadImage, bad_image_error, photo_paths
from amnn.errors import DataError

CSV_NAME = "image_text_tag.csv"
PUBLISHED_NAME = "image_text_data.txt"  # the published code's file, also found in a folder
PREDICTION_COLUMN = "predicted_hashtags"  # what predict.py and baselines.py add
CAPTION_COLUMN = "predicted_caption"  # what predict.py adds with a caption model


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
                  check_images: bool = True, require_text: bool = True,
                  layout: Optional[Layout] = None) -> "Posts":
        """Build posts from a header and rows of text cells, checking every cell.

        With `check_images`, image cells that cannot be used raise one DataError listing
        them all; without, they are recorded in `image_problems`. `layout` says which
        column is which (`amnn.data.column_layout.find_layout`; None: found from `header`).
        """
        path = Path(csv_path)
        layout = layout or find_layout(path, header, ",", None, require_hashtags, require_text)
        columns = {role: None if index is None else header[index]
                   for role, index in layout.roles.items()}
        width = len(header)
        for fields, line in zip(rows, line_numbers):
            problem = layout.row_problem(len(fields), width)
            if problem:
                raise DataError(path, problem, row=line)
        # Short rows (some tools drop trailing empty cells) get empty cells.
        rows = [fields + [""] * (width - len(fields)) for fields in rows]
        frame = pd.DataFrame(rows, columns=header, dtype=str)

        def cells(role: str) -> list[str]:
            index = layout.roles[role]
            return [row[index] for row in rows] if index is not None else [""] * len(rows)

        names = [name.strip() for name in cells(IMAGE_COLUMN)]
        paths, problems = photo_paths(path, names, line_numbers)
        if problems and check_images:
            raise bad_image_error(path, problems, columns[IMAGE_COLUMN])
        tags = [parse_hashtags(c) for c in cells("hashtags")] if columns["hashtags"] else None
        given = [parse_hashtags(c) for c in cells("given_hashtags")] \
            if columns["given_hashtags"] else None
        return cls(path, frame, names, paths, cells(TEXT_COLUMN), tags, list(line_numbers),
                   columns, problems, given)


def resolve_csv_path(path: Union[str, os.PathLike]) -> Path:
    """The file a data argument names: the file itself, or in a folder `image_text_tag.csv`
    (ours and the fork's) or `image_text_data.txt` (the published code's).

    Example:
        >>> resolve_csv_path("/no/such/place")
        Traceback (most recent call last):
        amnn.errors.DataError: /no/such/place: no such file or folder
    """
    given = Path(path).expanduser()
    if not given.is_dir():
        if not given.is_file():
            raise DataError(given, "no such file or folder")
        return given
    found = [given / name for name in (CSV_NAME, PUBLISHED_NAME) if (given / name).is_file()]
    if len(found) == 2:
        raise DataError(given, f"this folder has both {CSV_NAME} and {PUBLISHED_NAME}; pass "
                        "the one to read, e.g. " + str(found[0]))
    if not found:
        raise DataError(given, f"this folder has no {CSV_NAME} (or {PUBLISHED_NAME}, the "
                        f"published code's); pass the CSV file itself or a folder that "
                        f"contains {CSV_NAME}")
    return found[0]


def read_posts(path: Union[str, os.PathLike], require_hashtags: bool = True,
               check_images: bool = True,
               columns: Union[ColumnsFlag, str, None] = None) -> Posts:
    """All posts of a data set (a folder with `image_text_tag.csv`, or a CSV file).

    Args:
        path: str or Path. The data folder or CSV file.
        require_hashtags: bool. Whether a missing hashtag column is an error (training)
            or allowed (prediction, `Posts.hashtags` is then None).
        check_images: bool. Raise for missing images and image paths leaving the CSV's
            folder (all listed in one error); False records them in `Posts.image_problems`
            (train.py, which applies --on-bad-image through `amnn.features.photo_check`).
        columns: ColumnsFlag, str or None. --columns, which column is which (e.g.
            'photo,text,hashtags'); None detects it from the file.

    Raises:
        DataError: bad encoding, empty file, missing columns, bad rows, missing images, or
            image paths that are absolute or leave the CSV's folder.
    """
    # One chunk holding every row, so a missing-image error lists all bad rows at once.
    chunks = iter_post_chunks(path, sys.maxsize, require_hashtags, check_images,
                              columns=columns)
    posts = next(chunks, None)
    chunks.close()
    if posts is None:
        raise DataError(resolve_csv_path(path), "the file has a header but no posts")
    return posts


def iter_post_chunks(path: Union[str, os.PathLike], chunk_size: int,
                     require_hashtags: bool = False,
                     check_images: bool = False,
                     require_text: bool = True,
                     columns: Union[ColumnsFlag, str, None] = None) -> Iterator[Posts]:
    """Posts in consecutive chunks of at most `chunk_size` rows, holding one chunk at a time.

    Meant for predicting over CSVs too large to hold in memory. Each chunk is checked
    like `read_posts` checks a whole file, except that image cells that cannot be used are
    by default recorded in `Posts.image_problems` rather than raised: the predictor applies
    --on-bad-image to them chunk by chunk, and a row is never lost. A header-only file
    yields nothing. `require_text=False` accepts a file without a `tweets` column (a
    caption model writes the text; its posts' texts are then ''). `columns` is --columns
    (see `read_posts`).

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
    flag = parse_columns_flag(columns) if isinstance(columns, str) else columns
    separator = choose_separator(csv_path, flag)
    records = read_records(csv_path, delimiter=separator)
    header = read_header(csv_path, records, f"{IMAGE_COLUMN},{TEXT_COLUMN},{TAG_COLUMNS[0]}")
    layout = find_layout(csv_path, header, separator, flag,  # fails before any row
                         require_hashtags, require_text)
    announce_layout(csv_path, layout)
    lines, rows = [], []
    for line, fields in records:
        lines.append(line)
        rows.append(fields)
        if len(rows) == chunk_size:
            yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags, check_images,
                                  require_text, layout)
            lines, rows = [], []
    if rows:
        yield Posts.from_rows(csv_path, header, rows, lines, require_hashtags, check_images,
                              require_text, layout)
