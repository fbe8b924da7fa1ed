"""Benchmarks that measure AMNN-Keras and write their numbers into docs/.

Run them from the repository root, e.g. `python -m benchmarks.quality`.
"""
