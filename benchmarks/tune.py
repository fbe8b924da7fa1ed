"""`python -m benchmarks.tune`: settings chosen on folds of the training posts.

The code is benchmarks/quality/tune.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/tune.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.quality.tune import main

if __name__ == "__main__":
    sys.exit(main())
