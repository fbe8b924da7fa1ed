"""Where the feature cache lives, which file in it belongs to an encoder, and the check that
a file is that one.

The cache folder is `cache_root()`: data folders may be read-only (a shared drive, a mounted
dataset), so nothing is written next to the user's CSV. Features depend on the encoder's
weights and preprocessing, not only on its name, so the file is keyed by the encoder's
fingerprint (`ImageEncoder.fingerprint`, a sha256 over the weight arrays, the preprocessing
version and the photo reading; see `amnn.features.encoders.fingerprint`):

    <cache_root()>/features/<encoder>-<first 12 hex digits of the fingerprint>.h5

and the full fingerprint is stored in the file's attrs and checked on every open: other
weights get another file, and a file holding another fingerprint (renamed, copied, a
12-digit collision) raises DataError instead of lending its features.

Caches of format 1 (`features/<encoder>.h5`, made before this key) are left where they are,
not adopted: their attrs name only the encoder, so nothing proves which weights made them
(a run with `--encoder-weights` wrote the same file name as a run with the defaults).
Extracting again costs minutes; silently mixing two encoders' features would cost a
model. `ensure_features` notes such a file once, when it starts the new one, so its space
can be reclaimed. A file HDF5 cannot read is moved aside, never deleted (`set_aside`).
How long a process waits for another one that holds the file is `cache_wait_seconds()`.

Example:
    >>> import os; os.environ["AMNN_CACHE_DIR"] = "/tmp/amnn-cache"
    >>> str(cache_root())
    '/tmp/amnn-cache'
    >>> from types import SimpleNamespace
    >>> encoder = SimpleNamespace(name="efficientnet_lite0", fingerprint="0123456789ab" + "f" * 52)
    >>> feature_cache_file(encoder, "/tmp/c")
    PosixPath('/tmp/c/features/efficientnet_lite0-0123456789ab.h5')
    >>> os.environ["AMNN_CACHE_WAIT"] = "90"
    >>> cache_wait_seconds()
    90.0
    >>> del os.environ["AMNN_CACHE_WAIT"]
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

from amnn.errors import AMNNError, DataError

__all__ = ["FORMAT_VERSION", "cache_root", "cache_wait_seconds", "check_identity",
           "feature_cache_file", "is_cache_file", "older_cache_note", "set_aside"]

FORMAT_VERSION = 2  # 2: one encoder fingerprint per file (1: keyed by the name alone)
FINGERPRINT_DIGITS = 12  # of the fingerprint in the file name: 48 bits, no clash in practice
WAIT_VARIABLE = "AMNN_CACHE_WAIT"
# Seconds to wait for a process holding a feature cache while it shows no progress: long
# enough for a training to finish reading its features or a stuck run to be noticed, short
# enough that a forgotten process does not leave a worker waiting all night.
DEFAULT_WAIT = 600.0


def cache_root(override: Optional[str] = None) -> Path:
    """The cache folder: `override`, else $AMNN_CACHE_DIR, else ~/.cache/amnn.

    Also where converted encoder weights are kept (`amnn.features.encoders`).
    """
    if override:
        return Path(override).expanduser()
    env = os.environ.get("AMNN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "amnn"


def cache_wait_seconds() -> float:
    """$AMNN_CACHE_WAIT as seconds (0: never wait, 'inf': as long as it takes), else 600.

    Example:
        >>> os.environ["AMNN_CACHE_WAIT"] = "soon"
        >>> cache_wait_seconds()
        Traceback (most recent call last):
        ...
        amnn.errors.AMNNError: AMNN_CACHE_WAIT must be a number of seconds ...
        >>> del os.environ["AMNN_CACHE_WAIT"]
    """
    raw = os.environ.get(WAIT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_WAIT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also NaN
        raise AMNNError(f"{WAIT_VARIABLE} must be a number of seconds >= 0 (or 'inf'), got "
                        f"{raw!r}; it is how long to wait for another process that holds the "
                        "feature cache")
    return seconds


def feature_cache_file(encoder, cache_dir=None) -> Path:
    """THE cache file of `encoder` (from `get_encoder`), the one `ensure_features` fills.

    Args:
        encoder: an ImageEncoder, or any object with `name` and `fingerprint`.
        cache_dir: str, Path or None. Cache folder; None: `cache_root()`.
    """
    return (cache_root(cache_dir) / "features"
            / f"{encoder.name}-{encoder.fingerprint[:FINGERPRINT_DIGITS]}.h5")


def is_cache_file(path, encoder_name: str) -> bool:
    """Whether a file name is one of `encoder_name`'s caches (of any fingerprint).

    Example:
        >>> is_cache_file("a/resnet50-0123456789ab.h5", "resnet50")
        True
        >>> is_cache_file("resnet50.h5", "resnet50")  # format 1, keyed by the name alone
        False
    """
    pattern = rf"{re.escape(encoder_name)}-[0-9a-f]{{{FINGERPRINT_DIGITS}}}\.h5"
    return re.fullmatch(pattern, Path(path).name) is not None


def older_cache_note(path: Path) -> str:
    """A note naming a format-1 cache beside the new file `path` ('' when there is none)."""
    older = path.with_name(f"{path.name.rsplit('-', 1)[0]}.h5")
    if path.exists() or not older.is_file():
        return ""
    return (f"note: {older} was made by an older AMNN, before feature caches were keyed by the "
            f"encoder's weights; it is not used (nothing says which weights made it), the "
            f"features go to {path.name}; delete {older.name} to free its space")


def check_identity(path, attrs, encoder_name: str, feature_shape, fingerprint,
                   refusing: str = "") -> str:
    """Raise DataError unless a cache file's attrs say it holds these features.

    Args:
        attrs: the HDF5 file's attrs (a mapping).
        fingerprint: str, or None to accept any one (the caller compares them itself).
        refusing: a prefix for the messages, e.g. "refusing to merge: ".

    Returns the file's fingerprint.
    """
    version = attrs.get("format_version")
    if version == 1:
        raise DataError(path, f"{refusing}a feature cache made by an older AMNN, keyed by the "
                        "encoder's name alone, so nothing says which weights made its features;"
                        " it is not used: delete it and extract its photos again")
    if version != FORMAT_VERSION:
        raise DataError(path, f"{refusing}not an AMNN feature cache of format {FORMAT_VERSION} "
                        f"(format {version}); move it aside and run again to rebuild it")
    encoder = attrs.get("encoder")
    shape = tuple(int(d) for d in attrs.get("feature_shape", ()))
    if encoder != encoder_name or shape != tuple(feature_shape):
        raise DataError(path, f"{refusing}this cache holds features of encoder {encoder!r} with "
                        f"shape {shape}, not {encoder_name!r} with shape {tuple(feature_shape)}; "
                        "move it aside or use another cache folder")
    stored = str(attrs.get("fingerprint", ""))
    if fingerprint is not None and stored != fingerprint:
        raise DataError(path, f"{refusing}this cache holds features of encoder {encoder!r} made "
                        f"with other weights or preprocessing (fingerprint {stored[:12]}, not "
                        f"{fingerprint[:12]}), so they are not used; delete it or move it aside "
                        "(each encoder's weights get their own file, "
                        "features/<encoder>-<fingerprint>.h5)")
    return stored


def set_aside(path: Path, writing: bool, err: Exception) -> None:
    """Move a cache file HDF5 cannot read aside (never delete a user's file), or say why not.

    Called with the file's `amnn.features.cache_lock.CacheLock` held, so no AMNN process has
    it open; HDF5's own lock failing means another program has.
    """
    if "unable to lock file" in str(err):
        raise DataError(path, "the feature cache is open in a program other than AMNN (h5py, "
                        "HDFView, an older AMNN); close it, or set AMNN_CACHE_DIR to another "
                        "folder") from err
    if not writing or not os.access(path, os.R_OK | os.W_OK):
        raise DataError(path, f"cannot read the feature cache ({err}); run the feature "
                        "extraction to rebuild it") from err
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.rename(aside)
    print(f"warning: the feature cache {path} could not be read ({err}); moved it to "
          f"{aside} and starting a new one", file=sys.stderr)
