"""Many readers or one writer per feature cache: an flock on a lock file beside the HDF5 file.

Two AMNN processes that open one cache (two workers of a multi-worker training on one
machine, a prediction while a training runs) take turns instead of failing: readers
(`FeatureCache(mode="r")`, `CachedFeatureRows`) share the lock, a writer
(`FeatureCache(mode="a")`) holds it alone. An flock belongs to the open file, so the kernel
releases it when its process ends, however it ends (SIGKILL, a crash): a lock is never
left behind. The lock file, `<cache>.h5.lock`, stays; while a writer holds it, it holds
the writer's pid, host and progress, which a waiting process shows.

A process that must wait prints what it waits for (redrawn on a terminal, a line every 30 s
in a log) and gives up with one DataError naming the cache and its holder after
`cache_wait_seconds()` (AMNN_CACHE_WAIT, default 600 s) without progress: a writer that
keeps writing (another worker extracting the photos) is waited for as long as it takes.

HDF5's own file lock stays on, best effort: AMNN processes never meet it (this lock lets a
writer in only when no AMNN process has the file open), but it still keeps out a program
that opened the file by other means, such as h5py in a notebook.

Example:
    >>> import os, tempfile
    >>> h5 = os.path.join(tempfile.mkdtemp(), "f.h5")
    >>> with CacheLock(h5, exclusive=True) as lock:
    ...     lock.note("encoding 3/10 photos")
    ...     holder_note(lock.path)["doing"]
    'encoding 3/10 photos'
    >>> holder_note(lock.path)  # released: nobody holds it
    {}
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import h5py

from amnn.errors import DataError
from amnn.features.cache_file import WAIT_VARIABLE, cache_wait_seconds
from amnn.features.progress import LOG_INTERVAL

__all__ = ["CacheBusyError", "CacheLock", "holder_note", "open_h5"]

POLL = 0.2  # seconds between two tries while waiting: a writer's batch takes longer
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)  # no flock here
_HELD: dict = {}  # lock file -> [fd, exclusive, count]: this process's own locks
_GUARD = threading.Lock()
_WARNED: set = set()


class CacheBusyError(DataError):
    """Another process held the feature cache for longer than this one would wait."""


def open_h5(path, mode: str) -> h5py.File:
    """The HDF5 file, opened while its `CacheLock` is held.

    HDF5's own lock stays on as a guard against other programs; best effort, so a file
    system that cannot lock (some network drives) does not stop the run.
    """
    return h5py.File(path, mode, locking="best-effort")


def holder_note(lock_path) -> dict:
    """What the writer holding `lock_path` wrote about itself ({} when none is known).

    A note left by a writer that died (its pid gone on this host) is not believed.
    """
    try:
        text = Path(lock_path).read_text(encoding="utf-8")
        note = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    if note.get("host") == socket.gethostname() and not _alive(note.get("pid")):
        return {}
    return note


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _local_holders(lock_path: Path) -> list[int]:
    """Pids of this machine's processes holding an flock on `lock_path` (Linux; else [])."""
    try:
        st = os.stat(lock_path)
        inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        with open("/proc/locks", encoding="ascii") as table:
            rows = [line.split() for line in table if "FLOCK" in line and "->" not in line]
    except OSError:
        return []
    return sorted({int(r[4]) for r in rows if len(r) > 5 and r[5] == inode
                   and r[4].isdigit() and int(r[4]) != os.getpid()})


def _holder(lock_path: Path) -> tuple[str, str]:
    """(who holds the cache, what it does), for the waiting line and the timeout."""
    note = holder_note(lock_path)
    if note:
        return f"pid {note.get('pid')} on {note.get('host')}", note.get("doing", "writing it")
    pids = _local_holders(lock_path)
    if pids:
        return f"pid {', '.join(map(str, pids))} on {socket.gethostname()}", "reading it"
    return "another AMNN process", "using it"


class CacheLock:
    """The shared (reading) or exclusive (writing) lock of one feature cache file.

    Args:
        cache_path: str or Path. The .h5 file; the lock is `<cache_path>.lock` beside it.
        exclusive: bool. True to write (alone), False to read (with other readers).
        wait: float or None. Seconds to wait without progress from the holder; None:
            `cache_wait_seconds()` (AMNN_CACHE_WAIT).
        stream: file for the waiting line; None: stderr.

    Within one process the lock is counted, not taken twice; a process that reads a
    cache cannot also write it (RuntimeError) until it closes what reads it.
    """

    def __init__(self, cache_path, exclusive: bool, wait: float | None = None,
                 stream=None) -> None:
        self.cache_path = Path(cache_path)
        self.path = self.cache_path.with_name(self.cache_path.name + ".lock")
        self.exclusive, self.stream = bool(exclusive), stream
        self.wait = cache_wait_seconds() if wait is None else float(wait)
        self._key, self._held = str(self.path.resolve()), False

    def __enter__(self) -> "CacheLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> "CacheLock":
        """Take the lock, waiting for its holder as long as it makes progress."""
        with _GUARD:
            mine = _HELD.get(self._key)
            if mine is not None:
                if self.exclusive and not mine[1]:
                    raise RuntimeError(f"{self.cache_path}: this process reads the feature "
                                       "cache and cannot write it too; close the reader first")
                mine[2] += 1
                self._held = True
                return self
        fd = self._open()
        if fd is not None and not self._try(fd):
            try:
                self._wait(fd)
            except BaseException:
                os.close(fd)
                raise
        with _GUARD:
            _HELD[self._key] = [fd, self.exclusive, 1]
        self._held = True
        if self.exclusive:
            self.note("writing features")
        return self

    def note(self, doing: str) -> None:
        """Write what this writer is doing into the lock file, for the processes waiting."""
        fd = _HELD.get(self._key, [None])[0]
        if not self.exclusive or fd is None:
            return
        text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "doing": doing,
                           "since": round(time.time())}).encode()
        os.pwrite(fd, text, 0)
        os.ftruncate(fd, len(text))

    def release(self) -> None:
        """Give the lock back (the last of this process's holds gives it to the others)."""
        if not self._held:
            return
        self._held = False
        with _GUARD:
            mine = _HELD[self._key]
            mine[2] -= 1
            if mine[2] > 0:
                return
            del _HELD[self._key]
        fd = mine[0]
        if fd is None:
            return
        if mine[1]:
            os.ftruncate(fd, 0)  # no writer any more: nothing for a waiting process to show
        os.close(fd)  # closing the file releases the flock

    def _open(self):
        """The lock file's descriptor; None where no lock can be taken (say why once)."""
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
                raise
            if self.exclusive:
                raise DataError(self.path, f"cannot write the feature cache's lock file "
                                f"({error.strerror}); make {self.path.parent} writable, or set "
                                "AMNN_CACHE_DIR to a folder you can write") from None
        try:  # a read-only cache folder: readers lock the existing file as it is
            return os.open(self.path, os.O_RDONLY)
        except OSError:
            return None  # nobody can write a cache that has no lock file and cannot get one

    def _try(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as error:
            if error.errno not in _NO_LOCKS:
                raise
            if self._key not in _WARNED:
                _WARNED.add(self._key)
                print(f"warning: {self.path}: this file system cannot lock files ({error}), so "
                      "AMNN processes sharing this feature cache are not kept apart; run one "
                      "at a time, or set AMNN_CACHE_DIR to a local folder", file=sys.stderr)
        return True

    def _wait(self, fd: int) -> None:
        """Try again every POLL s; raise CacheBusyError after `wait` s without progress."""
        stream = sys.stderr if self.stream is None else self.stream
        live = hasattr(stream, "isatty") and stream.isatty()
        started = changed = shown = time.monotonic()
        seen, line = holder_note(self.path), ""
        want = "write" if self.exclusive else "read"
        while True:
            now = time.monotonic()
            note = holder_note(self.path)
            if note != seen:  # the holder is making progress: the wait goes on
                seen, changed = note, now
            who, doing = _holder(self.path)
            if now - changed >= self.wait:
                if line and live:
                    stream.write("\n")
                raise CacheBusyError(self.cache_path, f"waited {now - started:.0f} s to {want} "
                                     f"the feature cache, held by {who} ({doing}) with no "
                                     f"progress for {self.wait:g} s; wait for that process to "
                                     f"end, set {WAIT_VARIABLE} to more seconds ('inf' waits as "
                                     "long as it takes), or set AMNN_CACHE_DIR to another folder")
            text = (f"waiting to {want} the feature cache {self.cache_path}: {who} is {doing} "
                    f"({now - started:.0f} s)")
            if live:
                stream.write("\r" + text.ljust(len(line)))
                stream.flush()
                line = text
            elif not line or now - shown >= LOG_INTERVAL:
                stream.write(text + "\n")
                stream.flush()
                line, shown = text, now
            time.sleep(POLL)
            if self._try(fd):
                if live:
                    stream.write("\n")
                return
