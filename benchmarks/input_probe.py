"""`python -m benchmarks.input_probe`: what the inputs alone can tell, on tune's folds.

The code is benchmarks/quality/input_probe.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/input_probe.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.quality.input_probe import main

if __name__ == "__main__":
    sys.exit(main())
