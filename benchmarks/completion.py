"""`python -m benchmarks.completion`: completing the tags a user started.

The code is benchmarks/quality/completion.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/completion.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.quality.completion import main

if __name__ == "__main__":
    sys.exit(main())
