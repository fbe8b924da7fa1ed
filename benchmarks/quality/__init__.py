"""Recommendation quality on real posts: AMNN against baselines over seeds, and the fold
protocol that chooses every setting.

- `benchmark.py`: `python -m benchmarks.quality`, AMNN and the baselines on val over seeds;
  `runs.py` scores one method, `report.py` writes the tables, plots and goal checks.
- `tune.py` (`python -m benchmarks.tune`): settings chosen on folds of the training posts;
  `tune_runs.py` scores the candidates of one fold. The quality benchmark reads its choices
  from benchmarks/results/tune.json.
- On the same folds: `mix_rules.py` (how a model chooses its mix of network and vote) and
  `input_probe.py` (what the inputs alone can tell).
- `completion.py`: the next tags once a user has written the first.
- `epoch_curves.py`: val after every epoch, the tool behind the older tuning notes.
"""
