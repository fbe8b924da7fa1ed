"""`python -m benchmarks.readme_figures`: the README's figures from benchmarks/results/*.json.

The code is benchmarks/figures/readme_figures.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/readme_figures.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.figures.readme_figures import main

if __name__ == "__main__":
    sys.exit(main())
