"""Reading a CSV file as numbered records, the low level under `amnn.data.posts`.

`read_records` checks the whole file's encoding first (UTF-8 with or without BOM, else
CP949, what Korean Excel saves), so an encoding problem stops before any row is used,
then yields `(line, fields)` for every non-blank record. The line numbers come from the
CSV reader's count of physical lines rather than from counting records, because a quoted
cell may hold newlines: a record then spans several lines, and error messages must name
the line a user sees in an editor. `read_header` takes the first record as the header.
Every problem a user can fix raises `DataError` with file and line.

Example:
    >>> import tempfile, pathlib
    >>> csv_file = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> _ = csv_file.write_text('tweets\\n"two\\nlines"\\n\\nlast\\n')
    >>> records = read_records(csv_file)
    >>> read_header(csv_file, records, "tweets")
    ['tweets']
    >>> list(records)
    [(2, ['two\\nlines']), (5, ['last'])]
"""

from __future__ import annotations

import codecs
import csv
import sys
from pathlib import Path
from typing import Iterator, Optional

from amnn.errors import DataError

_BLOCK = 1 << 20  # bytes per read while checking the encoding

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long captions are not a reason to fail


def first_undecodable_line(csv_path: Path, encoding: str) -> Optional[int]:
    """None when the whole file decodes, else the line of the first undecodable byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    with open(csv_path, "rb") as stream:
        while True:
            block = stream.read(_BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # exc.object is the few held-back bytes of an unfinished character (never
                # a newline) followed by this block, so the count is exact.
                return newlines + exc.object[:exc.start].count(b"\n") + 1
            if not block:
                return None
            newlines += block.count(b"\n")


def detect_encoding(csv_path: Path) -> str:
    """'utf-8-sig' or 'cp949', whichever decodes the whole file; neither raises DataError."""
    bad_line = first_undecodable_line(csv_path, "utf-8-sig")
    if bad_line is None:
        return "utf-8-sig"
    if first_undecodable_line(csv_path, "cp949") is not None:
        raise DataError(csv_path, "the file is neither UTF-8 nor CP949 text; open it in a "
                        "spreadsheet or text editor and save it as UTF-8 ('CSV UTF-8')",
                        row=bad_line)
    return "cp949"


def read_records(csv_path: Path, keep_blank: bool = False,
                 delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its fields) for every non-blank record, header first.

    The whole file is decoded once first, so an encoding problem stops before any row is
    used: UTF-8 (with or without BOM), else CP949 (what Korean Excel saves). With
    `keep_blank`, a blank line is a record with no fields (an empty cell of a one-column
    file), so rows stay aligned with another file's. `delimiter` '*' reads the published
    code's `image_text_data.txt` (double quotes still quote, as pandas reads it there).
    """
    encoding = detect_encoding(csv_path)
    with open(csv_path, encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        start = 1
        try:
            for fields in reader:
                if fields or keep_blank:
                    yield start, fields
                # line_num counts physical lines, so newlines inside quoted cells count.
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(csv_path, f"not valid CSV ({exc})", row=start) from None


def read_header(csv_path: Path, records: Iterator[tuple[int, list[str]]],
                expected: str) -> list[str]:
    """The first record's names, stripped; `expected` is the header an empty file is told
    to start with. An empty file or repeated names raise DataError."""
    first = next(records, None)
    if first is None:
        raise DataError(csv_path, f"the file is empty; the first line must be the header "
                        f"'{expected}'")
    header = [name.strip() for name in first[1]]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(csv_path, f"the header repeats the columns {duplicates}", row=first[0])
    return header
