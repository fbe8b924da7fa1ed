"""`python -m benchmarks.segmentation` (also `python benchmarks/segmentation`): benchmark.py."""

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # python benchmarks/segmentation: run as the module
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # benchmarks/, to find common/
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.segmentation.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
