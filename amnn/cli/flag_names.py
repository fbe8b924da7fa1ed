"""One name per flag across the programs: `--version`, and old flag names kept for a release.

Every program takes `--version` (`add_version_flag`). A flag renamed so that one concept
has one name everywhere (issue 26: `--top-k` for the hashtags per post, batch flags named
by what they batch, `--train` for the posts a program learns from) keeps its old name for
one release (`add_old_name`): hidden from --help, it sets the new flag and says so in one
line on stderr. tests/cli/test_flag_names.py checks every program's flags against the
names chosen.

Example:
    >>> import argparse, contextlib, io
    >>> parser = argparse.ArgumentParser(prog="amnn-score")
    >>> add_old_name(parser, parser.add_argument("--top-k", type=int), "--k")
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     parser.parse_args(["--k", "3"]).top_k
    3
    >>> print(err.getvalue(), end="")
    note: --k is deprecated; use --top-k (the old name goes in the next release)
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

DISTRIBUTION = "amnn-keras"  # pyproject.toml's [project] name


def package_version() -> str:
    """The version of the code that runs: `amnn.__version__`, else the installed package's.

    pyproject.toml reads its version from `amnn.__version__`, so the two agree when
    installed; an editable install's metadata keeps the version of the day it was
    installed, hence the module's own first.

    Example:
        >>> import amnn
        >>> package_version() == amnn.__version__
        True
    """
    import amnn

    version = getattr(amnn, "__version__", None)
    if version:
        return version
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def add_version_flag(parser: argparse.ArgumentParser, program: str) -> None:
    """Add --version: prints `program` (its console-script name) and the version, then exits.

    Example:
        >>> import contextlib
        >>> parser = argparse.ArgumentParser()
        >>> add_version_flag(parser, "amnn-train")
        >>> with contextlib.suppress(SystemExit):  # argparse exits after printing it
        ...     parser.parse_args(["--version"])  # doctest: +ELLIPSIS
        amnn-train ...
    """
    parser.add_argument("--version", action="version", version=f"{program} {package_version()}",
                        help="print the program's name and version, then exit")


class OldName(argparse.Action):
    """A flag's old name: stores into the new flag's destination and notes the new name.

    One note per parse, however often the old name is given.
    """

    def __init__(self, option_strings, dest, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new
        self._noted_in = None  # the namespace last noted in (held, so no id is reused)

    def __call__(self, parser, namespace, values, option_string=None):
        if self._noted_in is not namespace:
            self._noted_in = namespace
            print(f"note: {option_string} is deprecated; use {self.new} (the old name goes "
                  "in the next release)", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_old_name(parser: argparse.ArgumentParser, action: argparse.Action, old: str) -> None:
    """Accept `old` for the flag `action` (what `add_argument` returned) for one release.

    The old name converts and checks its value as the new one does, so a bad value fails
    the same way; it is hidden from --help, whose flags are the new names only.
    """
    if action.nargs == 0:  # store_true and the like would need their own copy
        raise ValueError(f"add_old_name takes flags with a value; {action.option_strings} "
                         "takes none")
    parser.add_argument(old, action=OldName, new=action.option_strings[0], dest=action.dest,
                        type=action.type, choices=action.choices, metavar=action.metavar,
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS)
