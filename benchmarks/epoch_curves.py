"""`python -m benchmarks.epoch_curves`: val metrics after every epoch of one training.

The code is benchmarks/quality/epoch_curves.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/epoch_curves.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.quality.epoch_curves import main

if __name__ == "__main__":
    sys.exit(main())
