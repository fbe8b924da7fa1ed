"""Extract the photo features of a data set ahead of training, on one machine or on many.

Examples:
    # every photo into the normal feature cache (what train.py would otherwise do first)
    python scripts/extract_features.py --data DATA

    # 4 machines, each seeing the data at the same absolute path (say /data/posts), each
    # extracting its own quarter of the photos (run it again to resume an interrupted one)
    python scripts/extract_features.py --data /data/posts --shard 1/4    # on machine 1
    python scripts/extract_features.py --data /data/posts --shard 2/4    # on machine 2
    python scripts/extract_features.py --data /data/posts --shard 3/4    # on machine 3
    python scripts/extract_features.py --data /data/posts --shard 4/4    # on machine 4

    # each writes ~/.cache/amnn/shards/efficientnet_lite0/shard-000I-of-0004/; copy them
    # all into that folder on one machine (machine 1 here), join them into its normal
    # cache, and train there: no photo is extracted again
    for i in 2 3 4; do
        rsync -a "machine$i:.cache/amnn/shards/efficientnet_lite0/" \
            ~/.cache/amnn/shards/efficientnet_lite0/
    done
    python scripts/extract_features.py --merge ~/.cache/amnn/shards/efficientnet_lite0
    python scripts/train.py --data /data/posts --out models/posts

--merge takes shard folders (shard-I-of-N), their .h5 files, or a folder holding shard
folders; merging the same shards again changes nothing, and a shard left out is named
(train.py then extracts its photos itself). Give every run the same --encoder and
--cache-dir (or $AMNN_CACHE_DIR), and train.py the same ones too, with the same
--encoder-weights: shards made with other weights are refused at the merge, and train.py
uses only features of its own weights. The cache is keyed by absolute photo path, so a
machine that sees the photos elsewhere extracts them again.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from amnn.cli.args import add_columns_flag, positive_int
from amnn.cli.flag_names import add_old_name, add_version_flag
from amnn.cli.runner import cli_main, command_line, on_interrupt
from amnn.cli.tensorflow_loading import add_verbose_flag, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.config import AMNNConfig
from amnn.features.encoders import encoder_names
from amnn.features.shards import (
    parse_shard,  # no TensorFlow: usable while parsing flags
)


def _shard_flag(text: str) -> tuple[int, int]:
    """Argparse type of --shard: a bad value fails at parse time with the flag named."""
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of extract_features.py.

    Example:
        >>> build_parser().parse_args(["--data", "d", "--shard", "2/8"]).shard
        (2, 8)
    """
    parser = argparse.ArgumentParser(
        description="Extract photo features into the cache, whole or one shard per machine, "
                    "and merge the shards.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--data", help="data folder or CSV whose photos to extract")
    mode.add_argument("--merge", nargs="+", metavar="SHARD_DIR",
                      help="shard folders (or a folder of them) to join into the main cache")
    parser.add_argument("--shard", type=_shard_flag, metavar="I/N",
                        help="extract only shard I of N (machines numbered 1 to N) into its "
                             "own shard folder")
    parser.add_argument("--encoder", choices=encoder_names(),
                        help=f"image encoder (default {AMNNConfig.encoder})")
    parser.add_argument("--encoder-weights", help="local encoder weights file (resnet50 offline)")
    parser.add_argument("--cache-dir", help="feature cache folder (default ~/.cache/amnn or "
                                            "$AMNN_CACHE_DIR)")
    # train.py's and predict.py's name: there --batch-size is the training batch
    add_old_name(parser, parser.add_argument(
        "--extract-batch-size", type=positive_int,
        help=f"images per encoder pass (default {AMNNConfig.extract_batch_size})"),
        "--batch-size")
    parser.add_argument("--max-photo-pixels", type=positive_int,
                        help="a photo with more pixels is refused from its header, before it "
                             f"is decoded (default {AMNNConfig.max_photo_pixels})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_columns_flag(parser, "--data")
    add_verbose_flag(parser)
    add_version_flag(parser, "amnn-extract")
    return parser


def _extract(args: argparse.Namespace) -> int:
    from amnn.data.posts import read_posts
    from amnn.features.encoders import (
        get_encoder,  # TensorFlow loads here, after flags are checked
    )
    from amnn.features.extraction import ensure_features
    from amnn.features.shards import shard_cache_dir, shard_paths

    # Hashtags are not needed to extract, so prediction data can be prepared the same way.
    posts = read_posts(args.data, require_hashtags=False, columns=args.columns)
    photos = shard_paths(posts.image_paths, 1, 1)  # every distinct photo
    target = args.cache_dir
    if args.shard:
        photos = shard_paths(photos, *args.shard)
        target = shard_cache_dir(args.cache_dir, args.encoder, *args.shard)
    # Even a shard with no photos writes its (empty) cache, so every shard folder exists.
    encoder = get_encoder(args.encoder, weights=args.encoder_weights, cache_dir=args.cache_dir)
    path = ensure_features(photos, encoder, cache_dir=target,
                           batch_size=args.extract_batch_size, progress=not args.quiet,
                           max_pixels=args.max_photo_pixels)
    if args.shard:
        index, count = args.shard
        total = len(shard_paths(posts.image_paths, 1, 1))
        print(f"shard {index}/{count}: features of {len(photos)} of the {total} photos in "
              f"{path}; copy {target} to the machine that merges the shards (--merge)",
              file=sys.stderr)
    else:
        print(f"features of {len(photos)} photos in {path}", file=sys.stderr)
    return 0


def _merge(args: argparse.Namespace) -> int:
    from amnn.features.cache_file import cache_root
    from amnn.features.shards import merge_shards, missing_shards

    # The shards' own encoder fingerprint (all alike, or refused) names the main cache file:
    # no encoder is built to merge.
    counts = merge_shards(args.merge, args.encoder, args.cache_dir)
    print(f"merged {counts['merged']} photos from {counts['shards_read']} shard(s) into the "
          f"{args.encoder} cache in {cache_root(args.cache_dir) / 'features'} "
          f"({counts['already_present']} already "
          f"there, {counts['skipped']} unfinished or unusable rows skipped)", file=sys.stderr)
    missing = missing_shards(args.merge, args.encoder)
    if missing:
        print(f"note: shard(s) {', '.join(missing)} not given; merge them when they are done, "
              "or train.py extracts their photos itself", file=sys.stderr)
    return 0


# (flag, config.py setting): all that extract_features.py takes from config.py
FILLED = (("encoder", "encoder"), ("encoder_weights", "encoder_weights"),
          ("cache_dir", "cache_dir"), ("extract_batch_size", "extract_batch_size"),
          ("max_photo_pixels", "max_photo_pixels"))


def _fill_defaults(args: argparse.Namespace, user_defaults: dict) -> None:
    """Flags not given take the user's config.py defaults, else AMNNConfig's."""
    for flag, setting in FILLED:
        if getattr(args, flag) is None:
            setattr(args, flag, user_defaults.get(setting, getattr(AMNNConfig, setting)))


@cli_main
def main(argv: Optional[Sequence[str]] = None, defaults_file=None) -> int:
    """Extract or merge; `defaults_file` is the user's config.py, if any."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.merge and args.shard:
        parser.error("--shard picks the photos to extract; it cannot be combined with --merge")
    _fill_defaults(args, read_user_defaults(defaults_file, uses=[s for _, s in FILLED]))
    kept, again = "shards merged" if args.merge else "photos encoded", command_line(argv)
    on_interrupt(lambda: f"interrupted; the {kept} so far are kept in the cache; run the same "
                 f"command again to continue: {again}")
    load_tensorflow(args.verbose)
    from amnn.features.photo_reading import decoder_messages_hidden

    # libjpeg warns about damaged photos straight on stderr; AMNN reports them itself.
    with decoder_messages_hidden(enabled=not args.verbose):
        return _merge(args) if args.merge else _extract(args)


if __name__ == "__main__":
    sys.exit(main())
