"""Speed and memory against the published pipeline, as ratios measured side by side.

- `benchmark.py`: `python -m benchmarks.speed`, the measurements below in one run, and goals;
  `report.py` writes its block of docs/BENCHMARKS.md.
- `decode.py`: our batched decoder against the published one-predict-per-tag loop.
- `extract.py`: the feature-cache builder against its ceiling (a command of its own too).
- `train.py`: one training pipeline's throughput and memory, in a child process.
- `stream.py`: predict.py over a large text-only CSV, its peak memory.
- `published_reference.py`: the published code's ways of decoding and of building training
  input, re-created on our model (the tests of the decoder compare with it too).
"""
