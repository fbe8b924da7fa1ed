"""Small JSON files written atomically and read with errors a user can act on.

Vocabularies, tokenizers and configs live in a model folder as JSON (never pickle). A
crash half-way through a write must not leave a truncated file that looks valid, so
`write_json` writes a temporary file in the same folder and renames it into place.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.json")
    >>> write_json(path, {"tags": ["sandy"]})
    >>> read_json(path)
    {'tags': ['sandy']}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Union

from amnn.atomic_files import atomic_output
from amnn.errors import ModelFolderError

PathLike = Union[str, "os.PathLike[str]"]


def write_json(path: PathLike, value: Any, replace: bool = True,
               flag: Optional[str] = None) -> None:
    """Write `value` as UTF-8 JSON to `path`, replacing any old file in one step.

    Non-ASCII text (Hangul, emoji) is written as is, so the files stay readable. A user's
    output passes `replace=args.overwrite` (and the `flag` that named it): an existing file
    is then kept and `amnn.errors.OutputExistsError` raised (`amnn.atomic_files`). Files of
    a folder the program owns (a model folder) keep the default.

    Example:
        >>> import tempfile, os
        >>> write_json(os.path.join(tempfile.mkdtemp(), "x.json"), [1, 2])
    """
    with atomic_output(path, replace=replace, flag=flag) as temporary:
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(value, stream, ensure_ascii=False, indent=1)
            stream.write("\n")


def read_json(path: PathLike) -> Any:
    """The JSON value stored in `path`.

    Raises:
        ModelFolderError: the file is missing, unreadable or not valid JSON; the message
            names the file and, for bad JSON, the line and column.

    Example:
        >>> read_json("/no/such/vocabulary.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        amnn.errors.ModelFolderError: /no/such/vocabulary.json: file not found; ...
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFolderError(f"{source}: file not found; copy the whole model folder, "
                               "or train again") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFolderError(f"{source}: cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFolderError(f"{source}, line {exc.lineno}, column {exc.colno}: not valid "
                               f"JSON ({exc.msg}); the file is damaged, train again") from None


class JsonFile:
    """Mixin: `save(path)` / `load(path)` for classes with `to_json()` and `from_json(dict)`.

    A damaged or foreign file raises ModelFolderError naming it, since these files live in
    model folders a user may have copied or edited.

    Example:
        >>> class Box(JsonFile):
        ...     def __init__(self, x): self.x = x
        ...     def to_json(self): return {"x": self.x}
        ...     @classmethod
        ...     def from_json(cls, data): return cls(data["x"])
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "b.json"); Box(3).save(path)
        >>> Box.load(path).x
        3
    """

    def save(self, path: PathLike) -> None:
        """Write the object as JSON (atomically)."""
        write_json(path, self.to_json())

    @classmethod
    def load(cls, path: PathLike):
        """Read an object written by `save`; a damaged file raises ModelFolderError."""
        try:
            return cls.from_json(read_json(path))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFolderError(f"{path}: {exc}") from None
