"""The README's figures and pictures, made from measured results and the project's own code.

- `readme_figures.py` (`python -m benchmarks.readme_figures`): the README's measured
  figures, rendered from benchmarks/results/*.json; a test fails when they disagree.
- `readme_images.py` (`python -m benchmarks.readme_images`): the README's two pictures,
  from the quick-start model.
- `demo_browser.py`: scripts/demo.py served and used in headless Chromium (the pictures and
  the browser test).
"""
