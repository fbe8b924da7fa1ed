"""Write a file so that it appears complete or not at all, never half-written.

Every output the project writes (predictions CSV, JSON, PNG, metrics) goes through
`atomic_output`: the data is written to a temporary file in the same folder and renamed
onto the target only when writing succeeded, so a crash or Ctrl-C leaves the old file (or
none) and never a partial one that a later run would trust.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Union

PathLike = Union[str, "os.PathLike[str]"]


def _default_mode() -> int:
    """The permissions a plain `open(path, "w")` would give (0o666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_output(path: PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success move it onto `path`, else delete it.

    The temporary file sits in the same folder so `os.replace` is a rename, atomic on POSIX
    and Windows. The parent folder is created if needed. The finished file gets the usual
    permissions (mkstemp's private 0600 would hide a shared result from the user's group).

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "report.txt"
        >>> with atomic_output(target) as tmp:
        ...     _ = tmp.write_text("done")
        >>> target.read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_png(figure, path: PathLike) -> Path:
    """Write a matplotlib `Figure` to `path` as a PNG, atomically; returns the path.

    Example:
        >>> from matplotlib.figure import Figure
        >>> import tempfile
        >>> save_png(Figure(), Path(tempfile.mkdtemp()) / "empty.png").stat().st_size > 0
        True
    """
    with atomic_output(path) as tmp:
        # The temporary name ends in .tmp, so the format must be given.
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return Path(path)
