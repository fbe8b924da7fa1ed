"""Recommend hashtags with a simple baseline (popular, text-knn, image-knn, multimodal-knn).

The program is `amnn.cli.baselines` (installed as `amnn-baselines`); this file runs it with the
defaults you set in this checkout's config.py. Every flag: `python scripts/baselines.py --help`.

Example:
    python scripts/baselines.py --train dataset --data test_dataset --out runs/popular.csv --method popular
"""

import sys
from pathlib import Path

try:
    from amnn.cli.baselines import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
