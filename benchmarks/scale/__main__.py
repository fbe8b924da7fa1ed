"""`python -m benchmarks.scale` (also `python benchmarks/scale`): benchmark.py."""

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # python benchmarks/scale: run as the module
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # benchmarks/, to find common/
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.scale.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
