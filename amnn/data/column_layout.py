"""Which column of a data file is the photo, the text and the hashtags.

Three layouts are read as they are, told apart by the file itself:

- this project's CSV: comma-separated, columns found by name (`image_names`, `tweets`,
  `hashtags` or `captions`, `given_hashtags`) in any order, other columns carried along;
- the published code's `image_text_data.txt` (w5688414/AMNN): columns separated by `*`
  and taken by position, photo, text, hashtags, whatever its header line says;
- the Korean fork's `image_text_tag.csv`: comma-separated, with the header
  `Name,Contents,captions` (or any 2 or 3 names that are not ours), also by position.

What the file cannot tell, `--columns` says: one role per column, in order, written with
the file's separator (`photo,text,hashtags`, `'photo*text*hashtags'`; `-` leaves a column
out). A file read by position is announced once, on one stderr line, so a wrong guess shows.

Example:
    >>> layout = find_layout("p.csv", ["Name", "Contents", "captions"], ",")
    >>> layout.describe()
    'column 1 = photo, 2 = text, 3 = hashtags'
    >>> find_layout("p.csv", ["tweets", "captions"], ",").roles["hashtags"]
    1
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

from amnn.errors import DataError

IMAGE_COLUMN = "image_names"
TEXT_COLUMN = "tweets"
TAG_COLUMNS = ("hashtags", "captions")  # the first one found is the hashtag column
# Optional: tags the user already wrote, for predict.py to complete (never recommended back).
GIVEN_COLUMNS = ("given_hashtags", "given_captions")  # `captions`, as for TAG_COLUMNS
ROLE_WORDS = {"photo": IMAGE_COLUMN, "text": TEXT_COLUMN, "hashtags": "hashtags",
              "given": "given_hashtags"}  # --columns word -> role
SKIP = "-"  # --columns word of a column left out
PUBLISHED = ("photo", "text", "hashtags")  # the published code's columns, by position
FORK_HEADER = ("name", "contents", "captions")  # the Korean fork's header, lower-cased
_WORD_OF_NAME = {IMAGE_COLUMN: "photo", TEXT_COLUMN: "text",
                 **{name: "hashtags" for name in TAG_COLUMNS},
                 **{name: "given" for name in GIVEN_COLUMNS}}
_FLAG_HINT = ("pass --columns with one role per column, in order (photo, text, hashtags, "
              "given, or - for a column to leave out), e.g. --columns ")
_HEADER_PEEK = 1 << 20  # bytes of the first line looked at to choose the separator


class ColumnsFlag(NamedTuple):
    """A --columns value: the separator it was written with, and one word per column."""

    separator: str
    words: tuple[str, ...]

    def __str__(self) -> str:
        return self.separator.join(self.words)


def parse_columns_flag(text: str) -> ColumnsFlag:
    """Read a --columns value; ValueError says what is wrong with it.

    Example:
        >>> parse_columns_flag("photo*text*hashtags")
        ColumnsFlag(separator='*', words=('photo', 'text', 'hashtags'))
        >>> parse_columns_flag("text,-,hashtags").words
        ('text', '-', 'hashtags')
    """
    separators = [s for s in (",", "*") if s in text]
    if len(separators) > 1:
        raise ValueError(f"write the roles with the file's separator, ',' or '*', not both; "
                         f"received {text!r}")
    separator = separators[0] if separators else ","
    words = tuple(word.strip().lower() for word in text.split(separator))
    unknown = [word for word in words if word != SKIP and word not in ROLE_WORDS]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown} in {text!r}; one per column, in order: "
                         f"{', '.join(ROLE_WORDS)}, or - for a column to leave out")
    repeated = sorted({word for word in words if word != SKIP and words.count(word) > 1})
    if repeated or all(word == SKIP for word in words):
        raise ValueError(f"{text!r} must name each role at most once and at least one; "
                         "e.g. photo,text,hashtags")
    return ColumnsFlag(separator, words)


@dataclass
class Layout:
    """How one file's columns are read.

    Args:
        separator: str. ',' or '*'.
        roles: dict. Role ('image_names', 'tweets', 'hashtags', 'given_hashtags') ->
            0-based column, or None when the file has none.
        words: tuple[str, ...] or None. The role word of each column when read by position
            ('-' for a column left out); None when read by the header's names.
        origin: str. 'names', 'published' (detected) or '--columns'.
    """

    separator: str
    roles: dict
    words: Optional[tuple[str, ...]] = None
    origin: str = "names"

    @property
    def by_position(self) -> bool:
        return self.words is not None

    def describe(self) -> str:
        """'column 1 = photo, 2 = text, 3 = hashtags'; '' when read by names."""
        parts = [f"{i} = {'not used' if word == SKIP else word}"
                 for i, word in enumerate(self.words or (), 1)]
        return "column " + ", ".join(parts) if parts else ""

    def row_problem(self, count: int, width: int) -> Optional[str]:
        """What is wrong with a row of `count` fields in a file of `width` columns, or None.

        A comma CSV's short row is fine (some tools drop trailing empty cells); in a
        '*' file it means a line break inside a post's text.
        """
        if self.separator == ",":
            return None if count <= width else (f"{count} fields but the header has {width}; "
                                                "put text that contains commas in double quotes")
        if count == width:
            return None
        what = (f"{count} fields separated by '*', but the file has {width} columns "
                f"({', '.join(self.words or ())})")
        if count > width:
            return (f"{what}: a '*' inside the text or the hashtags splits them. Replace that "
                    "'*' (the published code cannot read this line either), or put the text "
                    "in double quotes")
        return (f"{what}: a line break inside a post's text splits the post over two lines. "
                "Join them into one line, or put the text in double quotes")


def choose_separator(csv_path, flag: Optional[ColumnsFlag] = None) -> str:
    """',' or '*': the one --columns was written with, else the one the header line uses.

    ',' and '*' are single bytes in UTF-8 and CP949 alike (never part of a Korean
    character), so the first line is split before its encoding is even checked.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "image_text_data.txt"
        >>> _ = path.write_text("img*text*tags\\n2768320131198970077.jpg*hi*['a']\\n")
        >>> choose_separator(path)
        '*'
    """
    if flag is not None:
        return flag.separator
    with open(csv_path, "rb") as stream:
        line = b""
        while not line.strip(b"\r\n"):
            line = stream.readline(_HEADER_PEEK)
            if not line:
                break
    text = line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    by_star, by_comma = (next(csv.reader([text], delimiter=s), []) for s in "*,")
    if len(by_star) < 2:
        return ","
    if len(by_comma) < 2:
        return "*"
    if any(name.strip().lower() in _WORD_OF_NAME for name in by_comma):
        return ","  # our own names, one of them with a '*' in it
    raise DataError(csv_path, f"the header splits into {len(by_comma)} columns at ',' and into "
                    f"{len(by_star)} at '*'; say which separates them: " + _FLAG_HINT +
                    "photo,text,hashtags (a comma-separated file) or --columns "
                    "'photo*text*hashtags' (the published code's '*'-separated one)", row=1)


def find_layout(csv_path, header: Sequence[str], separator: str = ",",
                flag: Optional[ColumnsFlag] = None, require_hashtags: bool = False,
                require_text: bool = True) -> Layout:
    """Which column holds which role; a missing required role or a doubt raises DataError.

    Args:
        csv_path: the file, for messages.
        header: list[str]. The header line's names (`amnn.data.csv_records.read_header`).
        separator: str. What `choose_separator` chose.
        flag: ColumnsFlag or None. --columns; None detects.
        require_hashtags, require_text: bool. Whether a missing hashtags or text column
            is an error.
    """
    path = Path(csv_path)
    if flag is not None:
        words, origin = flag.words, "--columns"
    elif separator == "*":
        words, origin = _published_words(path, header), "published"
    else:
        words, origin = _words_from_names(path, header), "published"
    if words is None:
        lower = [name.lower() for name in header]
        found = {role: next((lower.index(n) for n in names if n in lower), None)
                 for role, names in ((IMAGE_COLUMN, [IMAGE_COLUMN]), (TEXT_COLUMN, [TEXT_COLUMN]),
                                     ("hashtags", TAG_COLUMNS), ("given_hashtags", GIVEN_COLUMNS))}
        layout = Layout(separator, found)
    else:
        used = tuple(words[:len(header)])  # --columns may name more than a file has
        roles = dict.fromkeys(ROLE_WORDS.values())
        roles.update({ROLE_WORDS[word]: i for i, word in enumerate(used) if word != SKIP})
        layout = Layout(separator, roles, used, origin)
    _check_required(path, header, layout, flag, require_hashtags, require_text)
    return layout


def _published_words(path: Path, header: Sequence[str]) -> tuple[str, ...]:
    """A '*' file's roles: the published code takes its columns by position."""
    if len(header) in (2, 3):
        return PUBLISHED[:len(header)]
    example = "*".join((PUBLISHED + (SKIP,) * len(header))[:len(header)])
    raise DataError(path, f"the header line has {len(header)} columns separated by '*'; the "
                    "published code's file has 3 (photo*text*hashtags): " + _FLAG_HINT +
                    f"'{example}'", row=1)


def _words_from_names(path: Path, header: Sequence[str]) -> Optional[tuple[str, ...]]:
    """A comma file's roles by position, or None to find them by name; a doubt raises."""
    lower = tuple(name.lower() for name in header)
    if lower in (FORK_HEADER, FORK_HEADER[:2]):
        return PUBLISHED[:len(header)]
    if IMAGE_COLUMN in lower or TEXT_COLUMN in lower or len(header) not in (2, 3):
        return None
    words = PUBLISHED[:len(header)]
    # Our names where the published order has other roles (say 'hashtags' first): by name
    # and by position disagree, and only the user knows which was meant.
    clashes = [(name, _WORD_OF_NAME[low]) for name, low, word in zip(header, lower, words)
               if low in _WORD_OF_NAME and _WORD_OF_NAME[low] != word]
    if not clashes:
        return words
    named = ", ".join(f"{name!r} = {word}" for name, word in clashes)
    by_name = ",".join(_WORD_OF_NAME.get(low, SKIP) for low in lower)
    raise DataError(path, f"the columns {list(header)} can be read by name ({named}) or by "
                    f"position like the published code ({Layout(',', {}, words).describe()}); "
                    + _FLAG_HINT + f"{','.join(words)} (by position) or --columns {by_name} "
                    "(by name)", row=1)


def _check_required(path: Path, header: Sequence[str], layout: Layout,
                    flag: Optional[ColumnsFlag], require_hashtags: bool,
                    require_text: bool) -> None:
    """Raise, saying what to do, when a role the caller needs has no column."""
    missing = [role for role, needed in ((TEXT_COLUMN, require_text),
                                         ("hashtags", require_hashtags))
               if needed and layout.roles[role] is None]
    if not missing:
        return
    expected = f"{IMAGE_COLUMN} (optional), {TEXT_COLUMN}, {TAG_COLUMNS[0]}"
    if not layout.by_position:
        names = [TEXT_COLUMN if role == TEXT_COLUMN else f"{TAG_COLUMNS[0]} (or "
                 f"{TAG_COLUMNS[1]})" for role in missing]
        raise DataError(path, f"missing column(s) {', '.join(names)}; found columns "
                        f"{list(header)}, expected {expected}; or " + _FLAG_HINT +
                        ",".join(PUBLISHED), row=1, column=missing[0])
    words = " and no ".join(f"{_WORD_OF_NAME[role]} column" for role in missing)
    how = (f"--columns {flag} reads" if flag is not None else
           "read by position like the published code,")
    wider = ""
    if flag is not None and len(flag.words) > len(header):
        wider = (f" (--columns names {len(flag.words)} columns, the header has {len(header)} "
                 f"separated by {layout.separator!r}: is that the file's separator?)")
    raise DataError(path, f"no {words}: {how} {layout.describe()}{wider}; found "
                    f"columns {list(header)}. Name them {expected}; or give the published "
                    f"code's 3 columns photo, text, hashtags; or " + _FLAG_HINT +
                    ",".join(PUBLISHED), row=1, column=missing[0])


_announced: set[tuple[str, str]] = set()  # predict.py reads a file twice: one line for both


def announce_layout(csv_path, layout: Layout) -> None:
    """One stderr line saying how a file read by position was understood, once per file.

    Example:
        >>> import contextlib
        >>> layout = Layout("*", {}, PUBLISHED, "published")
        >>> with contextlib.redirect_stderr(sys.stdout):
        ...     announce_layout("image_text_data.txt", layout)
        ...     announce_layout("image_text_data.txt", layout)
        note: image_text_data.txt: read as the published layout: column 1 = photo, 2 = text,
        3 = hashtags ('*'-separated, the header's names not used; --columns says otherwise)
    """
    key = (str(csv_path), layout.describe())
    if not layout.by_position or key in _announced:
        return
    _announced.add(key)
    how = "with --columns" if layout.origin == "--columns" else "as the published layout"
    kind = "'*'-separated" if layout.separator == "*" else "by position"
    advice = "" if layout.origin == "--columns" else "; --columns says otherwise"
    print(f"note: {Path(csv_path).name}: read {how}: {layout.describe()} ({kind}, the "
          f"header's names not used{advice})", file=sys.stderr)
