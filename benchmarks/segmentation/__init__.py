"""Splitting hashtags into words, on hand-labelled real tags.

- `benchmark.py`: `python -m benchmarks.segmentation`, best path against greedy;
- `labels.py`: the labelled tags and their dev and test halves;
- `coverage.py`: how many Korean tags hold a word training never writes;
- `notes.py`: the measured design choices its docs block repeats.
"""
