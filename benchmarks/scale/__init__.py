"""Training and prediction at 1k, 10k and 50k photos of synthetic posts: throughput and peak memory.

- `benchmark.py`: `python -m benchmarks.scale`, every size, the goals and the cleanup;
- `data.py`: the synthetic posts and the feature cache, written straight to disk;
- `runs.py`: one training run in a child process, and the predict.py runs;
- `report.py`: its block of docs/BENCHMARKS.md.
"""
