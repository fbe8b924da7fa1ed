"""What every benchmark family shares, and nothing else: families import from here, never
the other way round.

- `paths`: the repository, `benchmarks/results/` (every writer's JSON) and `docs/`;
- `report`: mean ± spread over seeds, Markdown tables, and the marked blocks of
  docs/BENCHMARKS.md and README.md that a benchmark rewrites;
- `run_log`: the resumable log of finished runs, and where the team's real posts are;
- `script_training`: a model folder trained as `scripts/train.py --data TRAIN` trains it;
- `memory`: this process's resident memory and its peak while a block runs;
- `as_module`: `python benchmarks/NAME.py` restarted as `python -m benchmarks.NAME`.
"""
