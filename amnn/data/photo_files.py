"""Photo files that cannot be used, found without opening them, and how to tell the user.

A post's photo is bad when its `image_names` cell leaves the CSV's folder (an absolute
path, or `..` leading out), or the file is missing, unreadable or empty; a file that does
not decode as an image is found later, by the encoder (`amnn.features.photo_check`). This
module turns cells into paths (`photo_paths`; a name without an extension, as the published
code's fork writes an Instagram post id, is looked for as .jpg, .jpeg, .png, .webp), names
each kind of problem (`BadImage`), checks a file (`file_problem`), and words the one error
or note line a user sees (`bad_image_error`, `BadImageTally`).

No TensorFlow here: `amnn.data.posts` uses it while reading a CSV.

Example:
    >>> BadImage(0, 3, "gone.jpg", "missing").describe()
    'line 3: gone.jpg (not found)'
"""

from __future__ import annotations

import contextlib
import ntpath
import os
import posixpath
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from amnn.errors import DataError

# kind -> (words after "N image file(s)", words after one listed row)
KINDS = {
    "missing": ("not found", "not found"),
    "unreadable": ("not readable", "not readable"),
    "empty": ("empty", "empty file"),
    "undecodable": ("not an image or damaged", "not an image or damaged"),
    "too_large": ("over the pixel limit", "too large"),  # AMNNConfig.max_photo_pixels
    "absolute": ("given as an absolute path", "absolute path"),
    "outside": ("leaving the CSV's folder", "leaves the CSV's folder"),
}
_CONVERT = "replace the files, or convert them to JPEG or PNG"
_MOVE = "copy the photos into {folder} and write their paths relative to it (e.g. images/a.jpg)"
_ADVICE = {"missing": "fix the paths (they are relative to {folder}) or add the files",
           "unreadable": "make the files readable", "empty": _CONVERT, "undecodable": _CONVERT,
           "too_large": "shrink the photos, or raise the limit with --max-photo-pixels N "
                        "(or max_photo_pixels in config.py)",
           "absolute": _MOVE, "outside": _MOVE}
MAX_LISTED = 20  # bad rows named in one error message; the rest are counted
# Tried in order (then in upper case) for a photo named without an extension.
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
_TRIED = "also looked for " + ", ".join(PHOTO_EXTENSIONS)


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


def with_photo_extension(path: str) -> str:
    """`path`, or `path` plus the first extension of PHOTO_EXTENSIONS (lower, then upper
    case) naming a file, when `path` has no extension and names no file.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> open(os.path.join(folder, "2768320131198970077.JPEG"), "wb").close()
        >>> os.path.basename(with_photo_extension(os.path.join(folder, "2768320131198970077")))
        '2768320131198970077.JPEG'
    """
    if os.path.splitext(path)[1] or os.path.isfile(path):
        return path
    for extension in PHOTO_EXTENSIONS + tuple(e.upper() for e in PHOTO_EXTENSIONS):
        if os.path.isfile(path + extension):
            return path + extension
    return path


def photo_paths(csv_path: Path, names: list[str],
                lines: list[int]) -> tuple[list[str], list[BadImage]]:
    """Absolute photo paths of `image_names` cells ('' for no photo), and the cells that
    cannot be used (missing files keep their path; paths leaving the folder get '').

    Example:
        >>> photo_paths(Path("/d/p.csv"), ["", "../x.jpg"], [2, 3])[1]
        [BadImage(row=1, line=3, name='../x.jpg', kind='outside', detail='')]
    """
    folder = csv_path.parent.resolve()
    found: dict[str, tuple[str, bool]] = {}  # many posts share a photo: look once
    paths, problems = [], []
    for row, (name, line) in enumerate(zip(names, lines)):
        path, problem = _inside(folder, name) if name else ("", None)
        if path and path not in found:
            file = with_photo_extension(path)
            found[path] = file, os.path.isfile(file)
        if path and found[path][1]:
            path = found[path][0]
        elif path:  # a missing file keeps its path
            problem = file_problem(path) or ("missing", "")  # a folder, a broken link, ...
            if problem == ("missing", "") and not os.path.splitext(path)[1]:
                problem = ("missing", _TRIED)
        paths.append(path)
        if problem:
            problems.append(BadImage(row, line, name, *problem))
    return paths, problems


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


