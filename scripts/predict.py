"""Recommend hashtags for a CSV of posts with a trained model folder.

The program is `amnn.cli.predict` (installed as `amnn-predict`); this file runs it with the
defaults you set in this checkout's config.py. Every flag: `python scripts/predict.py --help`.

Example:
    python scripts/predict.py --model models/demo --data test_dataset --out runs/demo_predictions.csv
"""

import sys
from pathlib import Path

try:
    from amnn.cli.predict import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
