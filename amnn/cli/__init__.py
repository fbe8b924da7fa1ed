"""The command-line programs: one module per script, each with `build_parser()` and `main(argv)`.

`scripts/*.py` and the console scripts (`amnn-train`, `amnn-predict`, `amnn-score`,
`amnn-baselines`, `amnn-extract`) both call these. Flags are checked before TensorFlow
loads, so a mistake is reported at once (`args`); `runner` turns user errors into one
line on stderr and keeps TensorFlow's start-up noise out of the output.
"""
