"""Serve a web page that recommends hashtags for a photo and its caption (http://127.0.0.1:7860).

The program is `amnn.cli.demo`; this file runs it with the defaults you set in this
checkout's config.py. Every flag: `python scripts/demo.py --help`.

Example:
    python scripts/demo.py --model models/demo --port 7860
"""

import sys
from pathlib import Path

try:
    from amnn.cli.demo import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main(defaults_file=Path(__file__).resolve().parent.parent / "config.py"))
