"""`python -m benchmarks.mix_rules`: rules for choosing a model's mix, compared on folds.

The code is benchmarks/quality/mix_rules.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/mix_rules.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.quality.mix_rules import main

if __name__ == "__main__":
    sys.exit(main())
