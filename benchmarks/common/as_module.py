"""Let `python benchmarks/NAME.py` run exactly as `python -m benchmarks.NAME` does.

Run as a file, a benchmark has only its own folder on its import path, so
`from benchmarks.common.report import ...` would fail; rather than running the benchmark
with an edited `sys.path` (and a second copy of the module, imported as `__main__`), the
file starts itself again as the module, with the repository root on `PYTHONPATH` and the
same arguments. A command at the top of `benchmarks/` begins with::

    if __name__ == "__main__" and not __package__:  # python benchmarks/NAME.py
        from common.as_module import run_as_module
        run_as_module(__file__)

and a family's `__main__.py` (`python benchmarks/quality`, the folder) or a family's child
process (`python benchmarks/speed/train.py`), whose folder is not `benchmarks/`, loads this
launcher by its path (no `sys.path` edit anywhere)::

        launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
        run_as_module = runpy.run_path(str(launcher))["run_as_module"]
        run_as_module(__file__)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def module_name(file: str) -> tuple[str, Path]:
    """The dotted module a file is (a package's `__main__.py` is the package), and the
    folder that holds its top package (the repository root).

    Example:
        >>> import benchmarks
        >>> here = Path(benchmarks.__file__).resolve().parent
        >>> module_name(str(here / "quality" / "__main__.py"))[0]
        'benchmarks.quality'
        >>> name, root = module_name(str(here / "speed" / "train.py"))
        >>> name, root == here.parent
        ('benchmarks.speed.train', True)
    """
    path = Path(file).resolve()
    parts = [] if path.stem == "__main__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():  # up through the packages
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def module_command(file: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The `python -m benchmarks.NAME ARGS` command and environment for a benchmark file.

    Example:
        >>> import benchmarks
        >>> here = Path(benchmarks.__file__).resolve().parent
        >>> command, env = module_command(str(here / "tune.py"), ["--folds", "2"])
        >>> command[1:]
        ['-m', 'benchmarks.tune', '--folds', '2']
        >>> env["PYTHONPATH"].split(os.pathsep)[0] == str(here.parent)
        True
    """
    name, root = module_name(file)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", name, *argv], env


def run_as_module(file: str) -> None:
    """Replace this process by the benchmark run as a module (never returns)."""
    command, env = module_command(file, sys.argv[1:])
    if os.name == "posix":
        os.execve(sys.executable, command, env)  # same process id: signals and exit code pass
    raise SystemExit(subprocess.call(command, env=env))
