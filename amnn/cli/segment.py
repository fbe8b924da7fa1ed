"""Split hashtags into words and print one line per tag: `tag<TAB>words`.

Examples:
    python scripts/segment_hashtags.py hurricanesandy '#NewYorkCity' nyc2012
    python scripts/segment_hashtags.py --data ../shared/data/korean/val
    python scripts/segment_hashtags.py 제주여행 전복칼국수 --train ../shared/data/korean/train

English words come with the program (wordsegment's web counts); Korean words, and the
English words people write now (instagram, vape, names), are learnt from posts: --data
learns them from that file's captions and hashtags and splits every distinct tag of its
`hashtags` column, in the order they first appear; --train learns them from another
file (a training set) instead. Without either, Hangul stays unsplit and English uses the
web counts alone.
Tags are printed lower case without '#'. Exit status 2 means a problem with the input,
explained on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from amnn.cli.flag_names import add_old_name, add_version_flag
from amnn.cli.runner import cli_main
from amnn.data.posts import read_posts
from amnn.data.text.hashtag_words import HashtagSegmenter
from amnn.errors import AMNNError


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags (see the module docstring for examples).

    Example:
        >>> build_parser().parse_args(["#sandy", "--greedy"]).greedy
        True
    """
    parser = argparse.ArgumentParser(
        description="Split hashtags into words: prints tag<TAB>words, one tag a line.",
        epilog="Example: python scripts/segment_hashtags.py hurricanesandy 제주여행 "
               "--train ../shared/data/korean/train")
    parser.add_argument("tags", nargs="*", metavar="TAG", help="hashtags, with or without '#'")
    parser.add_argument("--data", type=Path, metavar="CSV_OR_FOLDER",
                        help="split every distinct tag of this data set's hashtags column "
                             "(and learn Korean and English words from it)")
    # --train as in baselines.py: the posts learned from, beside the --data used
    add_old_name(parser, parser.add_argument(
        "--train", type=Path, metavar="CSV_OR_FOLDER",
        help="learn Korean and English words from this data set's captions and hashtags "
             "(default: from --data's)"), "--learn-from")
    parser.add_argument("--greedy", action="store_true",
                        help="greedy longest match instead of the best path (the baseline)")
    add_version_flag(parser, "amnn-segment")
    return parser


def distinct_tags(rows: Sequence[Sequence[str]]) -> list[str]:
    """Every tag once, in the order it first appears.

    Example:
        >>> distinct_tags([["sandy", "nyc"], ["nyc", "flood"]])
        ['sandy', 'nyc', 'flood']
    """
    return list(dict.fromkeys(tag for tags in rows for tag in tags))


def _posts(path: Path):
    return read_posts(path, require_hashtags=True, check_images=False)


@cli_main
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print `tag<TAB>words` for each tag; return the exit status.

    Example:
        >>> main(["#HurricaneSandy", "nyc2012"])
        hurricanesandy	hurricane sandy
        nyc2012	nyc 2012
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.tags and args.data is None:
        parser.error("give tags to split, or --data CSV_OR_FOLDER")
    tags = [tag.strip().lstrip("#").lower() for tag in args.tags]
    empty = [given for given, tag in zip(args.tags, tags) if not any(c.isalnum() for c in tag)]
    if empty:
        raise AMNNError(f"{empty[0]!r} is not a hashtag: it has no letter or digit; "
                        "give tags such as hurricanesandy or '#제주여행'")
    data = _posts(args.data) if args.data is not None else None
    if data is not None:
        tags += distinct_tags(data.hashtags)
    learn = _posts(args.train) if args.train is not None else data
    segmenter = (HashtagSegmenter.fit(learn.texts, learn.hashtags) if learn is not None
                 else HashtagSegmenter())
    split = segmenter.split_greedy if args.greedy else segmenter.split
    for tag in tags:
        print(f"{tag}\t{' '.join(split(tag))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
