"""Recommend hashtags for a CSV of posts with a trained model folder.

Examples:
    python scripts/predict.py --model models/demo --data test_dataset --out runs/demo_pred.csv
    python scripts/predict.py --model models/demo --data new_posts.csv --out pred.csv \
        --top-k 10 --beam 4
    python scripts/predict.py --model models/demo --data new_posts.csv --out pred.csv \
        --decode sequence --memory off        # the network alone, tag after tag
    python scripts/predict.py --model models/demo --data scraped --out pred.csv \
        --on-bad-image skip
    python scripts/predict.py --model models/demo --data test_dataset --out pred.csv \
        --explain runs/why      # also runs/why/post_0001.png ... and runs/why/index.html

    # a caption model (train.py --task caption) adds `predicted_caption` instead; it
    # writes with a beam of 3 unless --beam says otherwise (--beam 1: greedy)
    python scripts/predict.py --model models/captions --data test_dataset --out caps.csv

By default every hashtag is ranked by the network's first-step probability mixed with the
vote of the post's nearest training posts (the model's neighbour memory), in the mix that
train.py chose for this model on its held-out posts (amnn_model.json, "mix"); --memory off
leaves the vote out, --memory-neighbors/--memory-weight/--memory-text-share/
--memory-photo-share change the mix for this run.

An optional `given_hashtags` column holds tags the user already wrote (same forms as
`hashtags`; an empty cell gives nothing): the model is primed with them and recommends the
next --top-k tags, never a given one. Given tags the model never learned cannot prime it;
one line on stderr counts them.

The output holds the input rows, in their order and with their columns unchanged, plus
`predicted_hashtags`: space-separated, best first, no repeats, at most --top-k. The input
may lack a `hashtags` column. The published code's layouts are read as they are (its fork's
`Name,Contents` CSV, its '*'-separated image_text_data.txt; --columns says which column is
which when needed); the output is always a comma CSV under the input's header names.
New photos are encoded once through the feature cache. The CSV is read and written in
chunks (--chunk-size rows), so memory stays bounded; the output appears only when complete,
and never replaces the input or an existing file unless --overwrite is given: not even one
that another run wrote while this one worked (the one that finishes second stops with an
error and writes nothing).

A post whose photo is missing, unreadable, not an image or outside the data folder stops
the run with one error listing them all (--on-bad-image error, the default); with
--on-bad-image skip its row is written with an empty predicted_hashtags, with text-only it
is predicted from its caption alone. Either way every input row is in the output; the
counts printed say how many posts were predicted, and a file whose every post was skipped
is an error, not an output of empty cells.

--explain DIR also draws, for the first --explain-limit posts, where the decoder looked in
the photo and the caption when it chose each tag (DIR/post_0001.png ..., listed in
DIR/index.html). The explained tags are the CSV's: they come from the same decode. In rank
mode all tags share one decoder step, so one map; --decode sequence gives one per tag; beam
search (--beam > 1) cannot be explained.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from amnn.cli.args import (
    PREDICT_SETTINGS,
    add_columns_flag,
    add_config_flags,
    config_from_args,
    positive_int,
)
from amnn.cli.flag_names import add_version_flag
from amnn.errors import AMNNError
from amnn.cli.runner import cli_main, on_interrupt
from amnn.cli.tensorflow_loading import add_verbose_flag, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.data.posts import PREDICTION_COLUMN, resolve_csv_path
from amnn.serve.prediction_csv import PredictionCounts, check_output, write_predictions

# What became of posts with a bad photo, for the note line (--on-bad-image).
_OUTCOMES = {"skip": f"were written with an empty {PREDICTION_COLUMN}",
             "text-only": "were predicted from their caption alone"}


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of predict.py.

    Example:
        >>> build_parser().parse_args(["--model", "m", "--data", "d", "--out", "p.csv"]).chunk_size
        20000
    """
    parser = argparse.ArgumentParser(description="Recommend hashtags with a trained AMNN.")
    parser.add_argument("--model", required=True, help="model folder written by train.py")
    parser.add_argument("--data", required=True, help="folder with image_text_tag.csv, or a CSV")
    parser.add_argument("--out", required=True, help="predictions CSV to write")
    parser.add_argument("--chunk-size", type=positive_int, default=20000,
                        help="rows read, predicted and written at a time")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing --out (and the explanations in --explain)")
    parser.add_argument("--explain", metavar="DIR",
                        help="also draw why each tag was chosen (attention over the photo and "
                             "caption) into DIR: post_0001.png ... and index.html")
    parser.add_argument("--explain-limit", type=positive_int, default=50,
                        help="posts explained with --explain (the first ones)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    add_columns_flag(parser, "--data")
    add_verbose_flag(parser)
    add_config_flags(parser, "predict")
    add_version_flag(parser, "amnn-predict")
    return parser


@cli_main
def main(argv: Sequence[str] | None = None, defaults_file: Path | None = None) -> int:
    """Predict and write the CSV; `defaults_file` is the user's config.py, if any."""
    args = build_parser().parse_args(argv)
    on_interrupt(lambda: f"interrupted; {args.out} was not written (a file already there is "
                         "unchanged); run the same command again")
    user_defaults = read_user_defaults(defaults_file, uses=PREDICT_SETTINGS)
    source, out = resolve_csv_path(args.data), Path(args.out)
    check_output([source], out, args.overwrite)
    if args.explain:
        from amnn.serve.explain_page import check_explain_folder
        check_explain_folder(Path(args.explain), args.overwrite)
        if args.beam is not None and args.beam > 1:
            raise AMNNError("--explain cannot explain beam search (--beam > 1): it keeps "
                            "several tag lists at once; drop --beam or --explain")
    load_tensorflow(args.verbose)

    from amnn.features.photo_reading import decoder_messages_hidden

    # libjpeg warns about damaged photos straight on stderr; AMNN reports them itself.
    with decoder_messages_hidden(enabled=not args.verbose):
        return _predict(args, user_defaults, source, out)


def _predict(args, user_defaults: dict, source: Path, out: Path) -> int:
    """Load the model, predict every post of `source` and write `out`; the exit status."""
    from amnn.features.photo_check import raise_for_bad_images
    from amnn.model.folder import load_model_folder
    from amnn.serve.predictor import HashtagPredictor

    trained = load_model_folder(args.model)
    config = config_from_args(args, base=trained.config, script="predict",
                              user_defaults=user_defaults)
    if trained.config.task == "caption":
        return _predict_captions(trained, config, source, out, args)
    if args.caption_method != "auto":
        raise AMNNError(f"--caption-method chooses how a caption model answers; {args.model} "
                        "is a hashtag model: drop --caption-method")
    predictor = HashtagPredictor(trained, cache_dir=config.cache_dir,
                                 encoder_weights=config.encoder_weights,
                                 progress=not args.quiet,
                                 on_bad_image=config.on_bad_image, memory=config.memory,
                                 memory_neighbors=config.memory_neighbors,
                                 memory_weight=config.memory_weight,
                                 memory_text_share=config.memory_text_share,
                                 memory_photo_share=config.memory_photo_share,
                                 max_photo_pixels=config.max_photo_pixels,
                                 photo_settings=photo_reading(config))

    if config.on_bad_image == "error" and config.include_image:
        # Every photo first: one error then names every bad row of the file, before any
        # prediction is made (the features are cached, so they are extracted once).
        raise_for_bad_images(source, predictor.config, args.chunk_size,
                             progress=not args.quiet, columns=args.columns)

    rank = config.decode == "rank"
    if args.explain and not rank and config.beam_size > 1:  # e.g. a beam from config.py
        raise AMNNError("--explain cannot explain beam search (beam_size > 1); use --beam 1")
    explained = None
    if args.explain:
        from amnn.serve.explain_page import ExplanationFolder
        explained = ExplanationFolder(Path(args.explain), args.explain_limit)

    def recommend(chunk):
        options = dict(top_k=config.top_k, min_tags=config.min_tags,
                       batch_size=config.predict_batch_size, rank=rank)
        head = [] if explained is None else list(range(min(explained.remaining, len(chunk))))
        tags = []
        if head:  # the first posts: their tags come from the explaining decode itself
            from amnn.serve.explain import explain_posts
            firsts = chunk.select(head)
            for index, why in enumerate(explain_posts(predictor, firsts, **options)):
                explained.add(why, firsts.image_paths[index], firsts.texts[index])
                tags.append(why.tags)
        if len(head) < len(chunk):
            rest = chunk.select(range(len(head), len(chunk)))
            tags += predictor.predict(rest, beam_size=config.beam_size, **options)
        return tags

    counts = PredictionCounts(predictor.bad_images, config.on_bad_image, source)

    def report(count):
        if not args.quiet:
            print(f"predicted {counts.progress(count)}", file=sys.stderr)

    try:
        written = write_predictions(source, out, recommend, args.chunk_size, on_chunk=report,
                                    columns=args.columns, overwrite=args.overwrite,
                                    finish=counts.require_some)
    except BaseException:  # Ctrl-C or an error: the old explanations stay as they were
        if explained is not None:
            explained.discard()
        raise
    if predictor.bad_images.count:  # one line for the whole file, not one per chunk
        print(predictor.bad_images.note(config.on_bad_image, _OUTCOMES[config.on_bad_image],
                                        source.name), file=sys.stderr)
    if predictor.unknown_given.tags:
        print(f"note: {predictor.unknown_given.note()}", file=sys.stderr)
    print(counts.summary(written, out), file=sys.stderr)
    if explained is not None:
        files = explained.finish()
        print(f"wrote {len(files) - 1} explanations ({explained.folder}/post_0001.png ...) "
              f"listed in {files[-1]}", file=sys.stderr)
    return 0


def photo_reading(config) -> dict:
    """--extract-batch-size, --photo-features and --photo-memory-mib (or config.py's), for
    the predictor: how this machine reads photos, over what the model folder remembers."""
    from amnn.serve.machine_settings import PHOTO_READING
    return {name: getattr(config, name) for name in PHOTO_READING}


def _predict_captions(trained, config, source: Path, out: Path, args) -> int:
    """A caption model: the input rows plus `predicted_caption`, in order."""
    from amnn.data.posts import CAPTION_COLUMN
    from amnn.features.photo_check import raise_for_bad_images
    from amnn.serve.caption_predictor import CaptionPredictor

    if args.explain:
        raise AMNNError("--explain draws why hashtags were chosen; this is a caption model "
                        "(task 'caption'): drop --explain")
    predictor = CaptionPredictor(trained, cache_dir=config.cache_dir,
                                 encoder_weights=config.encoder_weights,
                                 progress=not args.quiet, on_bad_image=config.on_bad_image,
                                 max_photo_pixels=config.max_photo_pixels,
                                 photo_settings=photo_reading(config),
                                 method=args.caption_method)
    if not args.quiet:  # the choice made when trained, or --caption-method's
        print(f"caption method: {predictor.answers}", file=sys.stderr)
    if config.on_bad_image == "error" and trained.config.include_image:
        raise_for_bad_images(source, predictor.config, args.chunk_size,
                             progress=not args.quiet, require_text=False, columns=args.columns)

    # --beam chooses for this run; else the caption beam (3, chosen on the folds), which
    # config.py may change: the hashtag model's beam_size (1) is not a caption setting.
    beam = args.beam if args.beam is not None else config.caption_beam_size

    def write(chunk):
        return predictor.predict(chunk, beam_size=beam, batch_size=config.predict_batch_size)

    counts = PredictionCounts(predictor.bad_images, config.on_bad_image, source)

    def report(count):
        if not args.quiet:
            print(f"wrote captions for {counts.progress(count)}", file=sys.stderr)

    written = write_predictions(source, out, write, args.chunk_size, on_chunk=report,
                                column=CAPTION_COLUMN, require_text=False, columns=args.columns,
                                overwrite=args.overwrite, finish=counts.require_some)
    if predictor.bad_images.count:
        outcome = {"skip": f"were written with an empty {CAPTION_COLUMN}",
                   "text-only": "were written without their photo"}[config.on_bad_image]
        print(predictor.bad_images.note(config.on_bad_image, outcome, source.name),
              file=sys.stderr)
    print(counts.summary(written, out, CAPTION_COLUMN), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
