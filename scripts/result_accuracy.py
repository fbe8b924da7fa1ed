"""Score predicted hashtags: precision, recall, accuracy and F1 at k.

The program is `amnn.cli.score` (installed as `amnn-score`); this file runs it with the
defaults you set in this checkout's config.py. Every flag: `python scripts/result_accuracy.py --help`.

Example:
    python scripts/result_accuracy.py runs/demo_predictions.csv
"""

import sys
from pathlib import Path

try:
    from amnn.cli.score import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
