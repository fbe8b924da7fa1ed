"""A user's own defaults, read from a Python file of `name = value` lines (the checkout's config.py).

The published AMNN code was configured by editing `config.py`, and its users still look
there. The repository's top-level `config.py` is that file: each setting it assigns
becomes the default of `scripts/*.py`, below any flag given on the command line. The file
is executed with `runpy` (never imported as a module named `config`, a name any other
project may hold), and only names of `AMNNConfig` fields are accepted, so a typo is an
error naming the file instead of a setting silently ignored.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "config.py"
    >>> _ = path.write_text("epochs = 30\\ntop_k = 10\\n")
    >>> read_user_defaults(path)
    {'epochs': 30, 'top_k': 10}
    >>> read_user_defaults(None)
    {}
"""

from __future__ import annotations

import dataclasses
import runpy
import types
from pathlib import Path
from typing import Any, Optional, Union

from amnn.config import AMNNConfig
from amnn.errors import AMNNError


def read_user_defaults(path: Optional[Union[str, Path]]) -> dict[str, Any]:
    """The settings assigned in `path` (`{}` for None or a file that is absent).

    Raises AMNNError naming the file for a name that is not a setting, a value the
    setting cannot take, or a file Python cannot run.
    """
    if path is None or not Path(path).is_file():
        return {}
    try:
        namespace = runpy.run_path(str(path))
    except Exception as error:  # a syntax error or a failing line in the user's file
        raise AMNNError(f"{path}: cannot read your defaults: {type(error).__name__}: "
                        f"{error}") from None
    fields = {f.name for f in dataclasses.fields(AMNNConfig)}
    settings = {name: value for name, value in namespace.items()
                if not name.startswith("_") and not callable(value)
                and not isinstance(value, types.ModuleType)}
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise AMNNError(f"{path}: {', '.join(unknown)} is not a setting; the settings are "
                        f"the fields of AMNNConfig in amnn/config.py: {', '.join(sorted(fields))}")
    try:
        AMNNConfig().replace(**settings)
    except (TypeError, ValueError) as error:
        raise AMNNError(f"{path}: {error}") from None
    return settings
