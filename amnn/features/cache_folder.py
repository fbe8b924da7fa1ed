"""Where AMNN keeps files it makes for the user (feature caches, converted weights).

Example:
    >>> import os; os.environ["AMNN_CACHE_DIR"] = "/tmp/amnn-cache"
    >>> str(cache_root())
    '/tmp/amnn-cache'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional


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
