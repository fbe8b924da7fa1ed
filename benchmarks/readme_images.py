"""`python -m benchmarks.readme_images`: the README's two pictures from the quick-start model.

The code is benchmarks/figures/readme_images.py; this file keeps the command the docs cite
(benchmarks/__init__.py says why).
"""

import sys

if __name__ == "__main__" and not __package__:  # python benchmarks/readme_images.py
    from common.as_module import run_as_module
    run_as_module(__file__)

from benchmarks.figures.readme_images import main

if __name__ == "__main__":
    sys.exit(main())
