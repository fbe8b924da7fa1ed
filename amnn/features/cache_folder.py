"""Where AMNN keeps files it makes for the user (feature caches, converted weights), and how
long a process waits for another one that holds a feature cache.

Example:
    >>> import os; os.environ["AMNN_CACHE_DIR"] = "/tmp/amnn-cache"
    >>> str(cache_root())
    '/tmp/amnn-cache'
    >>> os.environ["AMNN_CACHE_WAIT"] = "90"
    >>> cache_wait_seconds()
    90.0
    >>> del os.environ["AMNN_CACHE_WAIT"]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from amnn.errors import AMNNError

WAIT_VARIABLE = "AMNN_CACHE_WAIT"
# Seconds to wait for a process holding a feature cache while it shows no progress: long
# enough for a training to finish reading its features or a stuck run to be noticed, short
# enough that a forgotten process does not leave a worker waiting all night.
DEFAULT_WAIT = 600.0


def cache_root(override: Optional[str] = None) -> Path:
    """The cache folder: `override`, else $AMNN_CACHE_DIR, else ~/.cache/amnn.

    Data folders may be read-only (a shared drive, a mounted dataset), so nothing is
    written next to the user's CSV.
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
