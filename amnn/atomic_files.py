"""Write a file so that it appears complete or not at all, and never over one it must keep.

Every output the project writes (predictions CSV, JSON, PNG, metrics) goes through
`atomic_output`: the data is written to a temporary file in the same folder and published
onto the target only when writing succeeded, so a crash or Ctrl-C leaves the old file (or
none) and never a partial one that a later run would trust.

Publishing is one step of the file system, so two runs racing for one name cannot both win:

- `replace=False` (a user's output without --overwrite): `os.link` gives the finished file
  its name only if the name is free, so the check and the write are one step; the run that
  finds the name taken raises `OutputExistsError` and the file there stays as it was.
- `replace=True` (--overwrite, or a file inside a folder the program owns): `os.replace`.

Temporary files are named `.<target>.<host>-<pid>.<random><suffix>`. One left behind by a
process killed outright (SIGKILL cannot be caught) is removed by the next write of the same
target on the same machine, once that process is gone.

Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "report.txt"
    >>> with atomic_output(target, replace=False) as tmp:
    ...     _ = tmp.write_text("first")
    >>> with atomic_output(target, replace=False, flag="--out") as tmp:  # doctest: +ELLIPSIS
    ...     _ = tmp.write_text("second")
    Traceback (most recent call last):
    ...
    amnn.errors.OutputExistsError: .../report.txt was written by another run ... --out
    >>> target.read_text()
    'first'
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Union

from amnn.errors import OutputExistsError, OutputWriteError

PathLike = Union[str, "os.PathLike[str]"]

# How link() fails where the file system has no hard links (FAT, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK,
                  errno.EINVAL}
# A write that fails for want of room or rights: the user's to fix, told in one line.
_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                 errno.EPERM}
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _default_mode() -> int:
    """The permissions a plain `open(path, "w")` would give (0o666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _another(flag: Optional[str]) -> str:
    return f"another {flag}" if flag else "another file name"


def check_new_output(path: PathLike, overwrite: bool, flag: str = "--out") -> None:
    """Refuse, before any work, an output that exists (without --overwrite) or is a folder.

    Only a fail-early courtesy: `atomic_output(..., replace=False)` decides at the end.

    Example:
        >>> check_new_output(tempfile.gettempdir(), overwrite=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        amnn.errors.OutputExistsError: --out ... is a folder; give a file name
    """
    path = Path(path)
    if path.is_dir():
        raise OutputExistsError(f"{flag} {path} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite to replace it or choose "
                                f"{_another(flag)}")


def publish(temporary: PathLike, target: PathLike, replace: bool,
            flag: Optional[str] = None) -> None:
    """Give the finished `temporary` the name `target` in one step; `temporary` is gone after.

    Without `replace`, an existing `target` (even one created a moment ago by a racing run)
    is kept and OutputExistsError raised; `temporary` is then left for the caller to remove.
    """
    temporary, target = Path(temporary), Path(target)
    if replace:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)  # fails with EEXIST when the name is taken: no check first
    except FileExistsError:
        raise OutputExistsError(f"{target} was written by another run while this one worked, "
                                f"and is kept; pass --overwrite to replace it or choose "
                                f"{_another(flag)}") from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        _claim_then_rename(temporary, target, flag)
        return
    os.unlink(temporary)


def _claim_then_rename(temporary: Path, target: Path, flag: Optional[str]) -> None:
    """Without hard links: claim the name with an exclusive create, then rename onto it.

    Still one winner (O_EXCL); the target is an empty file for the instant between the two.
    """
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise OutputExistsError(f"{target} was written by another run while this one worked, "
                                f"and is kept; pass --overwrite to replace it or choose "
                                f"{_another(flag)}") from None
    try:
        os.replace(temporary, target)
    except BaseException:
        target.unlink(missing_ok=True)  # our own empty claim, never a user's file
        raise


def _process_tag() -> str:
    """`<host>-<pid>` of this process, as it appears in its temporary files' names."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:24] or "host"
    return f"{host}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


def remove_stale_temporaries(path: PathLike) -> list[Path]:
    """Delete the temporary files of `path` left by processes of this machine that are gone.

    Returns the files removed. A process still running keeps its file; so does any process
    of another machine (a shared folder), which this one cannot see.

    Example:
        >>> remove_stale_temporaries(Path(tempfile.mkdtemp()) / "out.csv")
        []
    """
    path = Path(path)
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return []
    host = _process_tag().rsplit("-", 1)[0]
    pattern = re.compile(rf"\.{re.escape(path.name)}\.{re.escape(host)}-(\d+)\.[a-z0-9_]{{8}}\..+")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found and not _alive(int(found[1])):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _ours(error: OSError, path: Path, temporary: Optional[Path]) -> bool:
    """Whether `error` came from writing `path` (not from work done inside the block)."""
    if error.filename is None:
        return True
    named = Path(os.fsdecode(error.filename))
    return named in (path, temporary) or named in path.parents


def _cannot_write(error: OSError, path: Path, flag: Optional[str]) -> OutputWriteError:
    kept = "the old file is kept" if path.exists() else "nothing was written"
    advice = ("free some space" if error.errno in _NO_ROOM
              else "choose a folder you can write to")
    if flag:
        advice += f" or choose another {flag}"
    return OutputWriteError(f"{path}: cannot be written ({error.strerror or error}); {kept}; "
                            f"{advice}")


def _flush_to_disk(path: Path) -> None:
    """Have the data on disk before the name points at it (a power cut must not leave an
    empty file under the final name); a full disk may only be reported here."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_output(path: PathLike, suffix: str = ".tmp", replace: bool = True,
                  flag: Optional[str] = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success publish it onto `path`, else delete it.

    Args:
        path: the file to write. Its folder is created if needed.
        suffix: the temporary file's ending.
        replace: True replaces an existing `path`; False keeps it and raises
            OutputExistsError (see `publish`): pass the user's --overwrite.
        flag: the option that named `path` (e.g. "--out"), for the error messages.

    The finished file gets the usual permissions (mkstemp's private 0600 would hide a shared
    result from the user's group). A full disk or a folder without write permission raises
    OutputWriteError naming `path`; the old file is kept.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        descriptor, name = tempfile.mkstemp(dir=path.parent, suffix=suffix,
                                            prefix=f".{path.name}.{_process_tag()}.")
        os.close(descriptor)
        temporary = Path(name)
        yield temporary
        _flush_to_disk(temporary)
        os.chmod(temporary, _default_mode())
        publish(temporary, path, replace, flag)
    except OSError as error:
        if error.errno in _CANNOT_WRITE and _ours(error, path, temporary):
            raise _cannot_write(error, path, flag) from None
        raise
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def save_png(figure, path: PathLike, replace: bool = True, flag: Optional[str] = None) -> Path:
    """Write a matplotlib `Figure` to `path` as a PNG, atomically; returns the path.

    `replace` and `flag` as in `atomic_output`.

    Example:
        >>> from matplotlib.figure import Figure
        >>> save_png(Figure(), Path(tempfile.mkdtemp()) / "empty.png").stat().st_size > 0
        True
    """
    with atomic_output(path, replace=replace, flag=flag) as tmp:
        # The temporary name ends in .tmp, so the format must be given.
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return Path(path)
