"""Train AMNN on posts and write one model folder.

The program is `amnn.cli.train` (installed as `amnn-train`); this file runs it with the
defaults you set in this checkout's config.py. Every flag: `python scripts/train.py --help`.

Example:
    python scripts/train.py --data dataset --out models/demo --val-fraction 0 --epochs 20
"""

import sys
from pathlib import Path

try:
    from amnn.cli.train import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
