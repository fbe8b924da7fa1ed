"""Caption writing: the caption model from photo, hashtags or both, against retrieval baselines.

- `benchmark.py`: `python -m benchmarks.captions`, choices on folds, then val;
- `report.py`: its block of docs/BENCHMARKS.md.
"""
