"""A user's own defaults, read from a Python file of `name = value` lines (the checkout's config.py).

The published AMNN code was configured by editing `config.py`, and its users still look
there. The repository's top-level `config.py` is that file: each setting it assigns
becomes the default of `scripts/*.py`, below any flag given on the command line. The file
is executed with `runpy` (never imported as a module named `config`, a name any other
project may hold), and only names of `AMNNConfig` fields are accepted, so a typo is an
error naming the file (with the setting it most resembles) instead of a setting silently
ignored.

Each program checks only the settings it uses (`uses`): a training setting mistyped in
config.py stops train.py, not result_accuracy.py. A name that is no setting at all is still
told in one `note:` line by a program that uses none like it.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "config.py"
    >>> _ = path.write_text("epochs = 30\\ntop_k = 10\\n")
    >>> read_user_defaults(path)
    {'epochs': 30, 'top_k': 10}
    >>> read_user_defaults(path, uses=["top_k"])
    {'top_k': 10}
    >>> read_user_defaults(None)
    {}
"""

from __future__ import annotations

import dataclasses
import difflib
import runpy
import sys
import types
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from amnn.config import AMNNConfig
from amnn.errors import AMNNError

SETTINGS = tuple(f.name for f in dataclasses.fields(AMNNConfig))


def did_you_mean(name: str, names: Iterable[str] = SETTINGS) -> Optional[str]:
    """The setting `name` most resembles, if any resembles it closely.

    Example:
        >>> did_you_mean("epoch"), did_you_mean("colour")
        ('epochs', None)
    """
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return close[0] if close else None


def _not_settings(path, names: list[str]) -> str:
    """'PATH: epoch is not a setting; did you mean epochs?', for one name or several."""
    verb = "is not a setting" if len(names) == 1 else "are not settings"
    told = f"{path}: {', '.join(names)} {verb}"
    guesses = [(name, did_you_mean(name)) for name in names if did_you_mean(name)]
    if len(names) == 1 and guesses:
        told += f"; did you mean {guesses[0][1]}?"
    elif guesses:
        told += "; did you mean " + ", ".join(f"{guess} for {name}"
                                              for name, guess in guesses) + "?"
    return told


def read_user_defaults(path: Optional[Union[str, Path]],
                       uses: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """The settings assigned in `path` (`{}` for None or a file that is absent).

    Args:
        path: the user's defaults file (the checkout's config.py).
        uses: the settings the calling program takes; None: every setting (train.py).
            Only those are checked and returned.

    Raises AMNNError naming the file for a value a used setting cannot take (or of another
    type), a file Python cannot run, or a name that is not a setting: with "did you mean"
    when one resembles it. A program with `uses` only notes (one line on stderr) a name
    that is not a setting, unless the setting it resembles is one the program uses.
    """
    if path is None or not Path(path).is_file():
        return {}
    try:
        namespace = runpy.run_path(str(path))
    except Exception as error:  # a syntax error or a failing line in the user's file
        raise AMNNError(f"{path}: cannot read your defaults: {type(error).__name__}: "
                        f"{error}") from None
    settings = {name: value for name, value in namespace.items()
                if not name.startswith("_") and not callable(value)
                and not isinstance(value, types.ModuleType)}
    used = set(SETTINGS if uses is None else uses)
    unknown = sorted(set(settings) - set(SETTINGS))
    meant_here = [name for name in unknown if uses is None or did_you_mean(name) in used]
    if meant_here:
        raise AMNNError(f"{_not_settings(path, meant_here)}; the settings are the fields of "
                        "AMNNConfig in amnn/config.py, each listed (commented out) in the "
                        "checkout's config.py")
    if unknown:  # not for this program, but train.py would stop on it
        print(f"note: {_not_settings(path, unknown)} (ignored here; train.py stops on it)",
              file=sys.stderr)
    chosen = {name: value for name, value in settings.items() if name in used}
    try:
        AMNNConfig().replace(**chosen)
    except (TypeError, ValueError) as error:
        raise AMNNError(f"{path}: {error}") from None
    return chosen
