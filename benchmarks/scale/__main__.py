"""`python -m benchmarks.scale` (also `python benchmarks/scale`): benchmark.py."""

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # python benchmarks/scale: run as the module
    import runpy  # the launcher, loaded by its path: nothing is added to sys.path
    launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
    run_as_module = runpy.run_path(str(launcher))["run_as_module"]
    run_as_module(__file__)

from benchmarks.scale.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
