"""Split hashtags into words: prints `tag<TAB>words`, one tag a line.

The program is `amnn.cli.segment` (installed as `amnn-segment`). Every flag:
`python scripts/segment_hashtags.py --help`.

Example:
    python scripts/segment_hashtags.py hurricanesandy 제주여행 --train ../shared/data/korean/train
"""

import sys
from pathlib import Path

try:
    from amnn.cli.segment import main
except ModuleNotFoundError as error:  # the package is installed by requirements.txt
    sys.exit(f"error: {error}; run `pip install -r requirements.txt` in "
             f"{Path(__file__).resolve().parent.parent} first")

if __name__ == "__main__":
    sys.exit(main())
