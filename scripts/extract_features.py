"""Extract photo features into the cache ahead of training, whole or one shard per machine.

The program is `amnn.cli.extract` (installed as `amnn-extract`); this file runs it with the
defaults you set in this checkout's config.py. Every flag: `python scripts/extract_features.py --help`.

Example:
    python scripts/extract_features.py --data dataset
"""

import sys
from pathlib import Path

try:
    from amnn.cli.extract import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
