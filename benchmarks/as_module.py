"""Let `python benchmarks/NAME.py` run exactly as `python -m benchmarks.NAME` does.

Run as a file, a benchmark has only `benchmarks/` on its import path, so
`from benchmarks.report import ...` would fail; rather than editing `sys.path`, the file
starts itself again as the module, with the repository root on `PYTHONPATH` and the same
arguments. Each benchmark's entry point begins with::

    if __name__ == "__main__" and not __package__:  # python benchmarks/NAME.py
        from as_module import run_as_module
        run_as_module(__file__)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def module_command(file: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The `python -m benchmarks.NAME ARGS` command and environment for a benchmark file.

    >>> command, env = module_command("/repo/benchmarks/speed.py", ["--quick"])
    >>> command[1:]
    ['-m', 'benchmarks.speed', '--quick']
    >>> env["PYTHONPATH"].split(os.pathsep)[0] == str(Path("/repo").resolve())
    True
    """
    path = Path(file).resolve()
    root = str(path.parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return [sys.executable, "-m", f"{path.parent.name}.{path.stem}", *argv], env


def run_as_module(file: str) -> None:
    """Replace this process by the benchmark run as a module (never returns)."""
    command, env = module_command(file, sys.argv[1:])
    if os.name == "posix":
        os.execve(sys.executable, command, env)  # same process id: signals and exit code pass
    raise SystemExit(subprocess.call(command, env=env))
