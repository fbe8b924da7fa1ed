"""The README's two pictures, made by the project's own code from the quick-start model.

    python -m benchmarks.readme_images      # after the README's quick-start command

- docs/images/explain_example.png: `scripts/predict.py --explain` on one test_dataset post
  (`--row`, by default the second: a Korean caption, so the pictures show that Hangul is
  drawn; each tag's network and vote shares, the training posts that voted, the network's
  attention over the photo and the caption's words);
- docs/images/demo_page.png: `scripts/demo.py` in headless Chromium after uploading that
  post's photo and typing its caption (`benchmarks.demo_browser`).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from amnn.model.folder_names import MANIFEST
from benchmarks.common.paths import DOCS, REPO
from benchmarks.figures.demo_browser import find_chromium, recommend_in_browser, serving_demo

QUICK_START = ("python scripts/train.py --data dataset --out models/demo --val-fraction 0 "
               "--epochs 20 --overwrite")


def build_parser() -> argparse.ArgumentParser:
    """The flags.

    Example:
        >>> build_parser().parse_args([]).model.name
        'demo'
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    parser.add_argument("--out", type=Path, default=DOCS / "images")
    parser.add_argument("--row", type=int, default=2,
                        help="the test_dataset post shown, counted from 1 (2: a Korean one)")
    return parser


def _post(number: int) -> tuple[Path, str]:
    """(photo, caption) of test_dataset's post `number`, counted from 1.

    Example:
        >>> _post(2)[1]
        '코 분홍색인 거 너무 귀여워 미치겠다'
    """
    with open(REPO / "test_dataset" / "image_text_tag.csv", newline="",
              encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    row = rows[number - 1]
    return REPO / "test_dataset" / row["image_names"], row["tweets"]


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not (args.model / MANIFEST).is_file():
        print(f"error: no model at {args.model}; run the README's quick start first: "
              f"{QUICK_START}", file=sys.stderr)
        return 2
    chromium = find_chromium()
    if chromium is None:
        print("error: no chromium on PATH; apt-get install chromium", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    photo, caption = _post(args.row)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "post" / "images").mkdir(parents=True)
        shutil.copyfile(photo, scratch / "post" / "images" / photo.name)
        with open(scratch / "post" / "image_text_tag.csv", "w", newline="",
                  encoding="utf-8") as out:
            csv.writer(out).writerows([["image_names", "tweets"],
                                       [f"images/{photo.name}", caption]])
        subprocess.run([sys.executable, str(REPO / "scripts" / "predict.py"), "--model",
                        str(args.model), "--data", str(scratch / "post"), "--out",
                        str(scratch / "pred.csv"), "--explain", str(scratch / "explain"),
                        "--quiet"], check=True)
        shutil.copyfile(scratch / "explain" / "post_0001.png", args.out / "explain_example.png")
        with serving_demo(args.model, scratch) as url:
            shown, _ = recommend_in_browser(url, chromium, photo, caption,
                                            args.out / "demo_page.png")
    print(f"wrote {args.out / 'explain_example.png'} and {args.out / 'demo_page.png'} "
          f"(the page showed {' '.join(shown)})", file=sys.stderr)
    return 0

