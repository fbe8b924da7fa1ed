"""Train AMNN on posts (photo + caption + hashtags) and write one model folder.

Examples:
    # the embedded demo (a few minutes on 2 CPU cores)
    python scripts/train.py --data dataset --out models/demo --epochs 40

    # a caption writer: the post's text from its photo and hashtags (--no-image: from
    # the hashtags alone, --no-hashtags: from the photo alone)
    python scripts/train.py --data dataset --out models/captions --task caption

    # real posts with their own validation split, until early stopping ends it
    python scripts/train.py --data ../shared/data/mediaeval/train \
        --val ../shared/data/mediaeval/val --out models/mediaeval

    # the paper's encoder on Colab (downloads ImageNet weights), and the ablations
    python scripts/train.py --data DATA --out models/r50 --encoder resnet50
    python scripts/train.py --data DATA --out models/text_only --no-image
    python scripts/train.py --data DATA --out models/paper --preset paper

    # continue an interrupted run (weights, optimizer state and epoch are restored); Ctrl-C
    # or `kill` prints this command with the run's own flags
    python scripts/train.py --data DATA --out models/mediaeval --resume

    # scraped posts, some with broken or missing photos: leave those posts out
    python scripts/train.py --data DATA --out models/scraped --on-bad-image skip

    # a folder of the published code: its image_text_data.txt ('*'-separated), or its
    # fork's image_text_tag.csv (Name,Contents,captions), read as they are
    python scripts/train.py --data PUBLISHED_FOLDER --out models/published

Without --val, a seeded split by image holds out --val-fraction of the photos. After each
epoch the validation posts' hashtags are ranked and scored (val_ranking: the mean of P@1,
R@5 and A@5); training stops when it has not improved for --patience epochs and keeps the
best epoch. --val-fraction 0 trains on every post and watches the training loss instead
(for tiny sets such as the demo, where a held-out photo would be a subject never seen in
training). After training, the network encodes every training post once more for the
neighbour memory (--memory off: none), and the mix of the network's probabilities and the
neighbours' vote is chosen on the validation posts; one line says what was chosen. The folder holds model.keras, config.json, the
vocabularies, neighbours.npz, training_log.csv and training_curves.png; scripts/predict.py
needs nothing else. It is written beside --out (models/.demo.partial for models/demo, with
the checkpoints --resume continues from) and replaces --out by renames only when complete,
so a model already there stays usable until then, whatever stops the run.

Every photo is looked at before training: a post whose photo is missing, unreadable, not an
image or outside the data folder stops the run with one error listing them all
(--on-bad-image error, the default; the good photos' features are cached first); skip
leaves those posts out, text-only keeps them without their photo.

A file whose columns are not named as ours is read by position, as the published code reads
its files (photo, text, hashtags), and one line on stderr says so; --columns says which
column is which when that guess is wrong or cannot be made (`amnn.data.column_layout`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from amnn.cli.args import (
    add_columns_flag,
    add_config_flags,
    config_from_args,
    positive_int,
)
from amnn.cli.flag_names import add_version_flag
from amnn.cli.runner import cli_main, command_line, on_interrupt
from amnn.cli.tensorflow_loading import add_verbose_flag, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.errors import AMNNError
from amnn.model.folder_names import MANIFEST, WORK_DIR
from amnn.model.folder_swap import (
    adopt_old_layout,
    check_replaceable,
    finish_interrupted_swap,
    replace_folder,
    working_folder,
)
from amnn.train.distribution import (  # no TensorFlow: flags are checked first
    STRATEGY_NAMES,
    is_chief_task,
)
from amnn.train.stop_line import stop_line


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of train.py.

    Example:
        >>> build_parser().parse_args(["--data", "d", "--out", "m"]).epochs is None
        True
    """
    parser = argparse.ArgumentParser(description="Train an AMNN hashtag recommender.")
    parser.add_argument("--data", required=True, help="training folder or CSV")
    parser.add_argument("--val", help="validation folder or CSV (default: split --data by image)")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--epochs", type=positive_int,
                        help="train exactly this many epochs (default: until early stopping)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the interrupted training in --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a model or an interrupted training in --out")
    parser.add_argument("--quiet", action="store_true",
                        help="one line per epoch and no progress bars (the default when the "
                             "output is not a terminal)")
    add_verbose_flag(parser)
    add_columns_flag(parser, "--data and --val")
    parser.add_argument("--strategy", choices=STRATEGY_NAMES, default="auto",
                        help="tf.distribute strategy: auto (all GPUs mirrored when 2+, else "
                             "the GPU or the CPU), one-device, mirrored, multi-worker "
                             "($TF_CONFIG; the same command on every machine), tpu; "
                             "--batch-size is per replica")
    add_config_flags(parser, "train")
    add_version_flag(parser, "amnn-train")
    return parser


def _check_out_folder(out: Path, resume: bool, overwrite: bool) -> None:
    """Never replace a user's model by accident, never resume from nothing.

    The model in `out` stays complete until the new one replaces it by renames at the end
    (`amnn.model.folder_swap`): --overwrite discards an interrupted training, never it.
    """
    if resume and overwrite:
        raise AMNNError("--resume and --overwrite contradict each other; pick one")
    note = finish_interrupted_swap(out)  # a crash cut the last run's swap short
    if note:
        print(note, file=sys.stderr)
    work = working_folder(out)
    finished = (out / MANIFEST).is_file()
    old_layout = not finished and (out / WORK_DIR).is_dir()  # an earlier AMNN's, inside out
    if resume and not (work.is_dir() or old_layout):
        raise AMNNError(f"--resume: {out} holds no interrupted training to continue"
                        + (" (it holds a finished model)" if finished else ""))
    if (work.is_dir() or old_layout) and not (resume or overwrite):
        where = f" (in {work})" if work.is_dir() else ""
        raise AMNNError(f"{out} holds an interrupted training{where}; pass --resume to "
                        "continue it or --overwrite to start over")
    if finished and not (resume or overwrite):
        raise AMNNError(f"{out} already holds a trained model; pass --overwrite to replace it "
                        "or choose another --out")
    check_replaceable(out)
    if resume:
        adopt_old_layout(out)
    if overwrite:  # the interrupted training only: the model stays until the new one is done
        shutil.rmtree(work, ignore_errors=True)


@cli_main
def main(argv: Sequence[str] | None = None, defaults_file: Path | None = None) -> int:
    """Train and write the model folder; `defaults_file` is the user's config.py, if any."""
    args = build_parser().parse_args(argv)
    config = config_from_args(args, user_defaults=read_user_defaults(defaults_file))
    out = Path(args.out)
    # On several machines only the chief writes --out; the others train in a temporary folder.
    if args.strategy != "multi-worker" or is_chief_task():
        _check_out_folder(out, args.resume, args.overwrite)
        if args.resume and (working_folder(out) / MANIFEST).is_file():
            replace_folder(working_folder(out), out)  # killed after training had finished
            print(f"the interrupted training had finished; model: {out}", file=sys.stderr)
            return 0
    epochs = str(config.epochs) if config.epochs else f"at most {config.max_epochs}"
    on_interrupt(stop_line(out, epochs, again=command_line(argv), resume=command_line(
        argv, drop=("--overwrite", "--resume"), add=("--resume",))))
    load_tensorflow(args.verbose)  # after the flags and the folder are checked (seconds)
    from amnn.train.distribution import make_strategy

    from amnn.features.photo_reading import decoder_messages_hidden

    # TPU and multi-worker set up TensorFlow's runtime before anything else may use it.
    strategy = make_strategy(args.strategy)
    # libjpeg warns about damaged photos straight on stderr; AMNN reports them itself.
    with decoder_messages_hidden(enabled=not args.verbose):
        return _train(args, config, out, strategy)


def _train(args, config, out: Path, strategy) -> int:
    """Read the posts, train, and swap the model into `out`; the exit status."""
    from amnn.data.posts import read_posts
    from amnn.data.splits import split_by_image
    from amnn.features.photo_check import check_post_photos
    captions = config.task == "caption"

    def read(path):
        # Image cells are checked with the photos themselves, so one error (or note) covers
        # missing, undecodable and out-of-folder photos alike; --no-image opens none.
        # A caption model learns the text; its hashtags are an optional input.
        posts = read_posts(path, require_hashtags=not captions, check_images=False,
                           columns=args.columns)
        return check_post_photos(posts, config, progress=not args.quiet) \
            if config.include_image else posts

    posts = read(args.data)
    if args.val:
        train, val = posts, read(args.val)
    else:
        train_rows, val_rows = split_by_image(posts, config.val_fraction, config.seed)
        train, val = posts.select(train_rows), posts.select(val_rows)
    # A log file gets one line per epoch, not thousands of progress-bar redraws.
    one_line = args.quiet or not sys.stdout.isatty()
    if captions:
        return _train_captions(config, train, val, out, args, strategy, one_line)
    from amnn.train.fitting import train_model
    from amnn.train.preparation import prepare

    data = prepare(config, train, val, progress=not args.quiet)
    # From here on the ids and photo rows are all training needs: the posts' frames and
    # lists (0.7 GB at a million posts) and the photo encoder (0.15 GB) can go.
    del posts, train, val
    from amnn.features.photo_table import shared_encoder
    shared_encoder.cache_clear()
    # Posts held out of the user's own data for early stopping still teach the memory.
    summary = train_model(data, out, resume=args.resume, verbose=2 if one_line else 1,
                          strategy=strategy, validation_in_memory=not args.val)
    best = summary["best_val_ranking"]
    best = f"best val_ranking {best:.4f}" if best is not None else \
        f"best loss {summary['best_train_loss']:.4f}, no validation posts"
    print(f"trained for {_epochs(summary)} ({best}) in {summary['train_seconds']} s;"
          f" model: {out}", file=sys.stderr)
    if "mix_line" in summary:  # what decides the tags this model recommends, and why
        print(summary["mix_line"], file=sys.stderr)
    return 0


def _epochs(summary: dict) -> str:
    """'20 epochs', or after --resume '20 epochs (2 before the resume)'.

    Example:
        >>> _epochs({"epochs_run": 18, "epochs_logged": 20})
        '20 epochs (2 before the resume)'
    """
    total = max(summary.get("epochs_logged", 0), summary["epochs_run"])
    before = total - summary["epochs_run"]
    return f"{total} epochs" + (f" ({before} before the resume)" if before else "")


def _train_captions(config, train, val, out, args, strategy, one_line: bool) -> int:
    """train.py --task caption: the caption model into the same kind of folder."""
    from amnn.train.caption_training import prepare_captions, train_caption_model

    data = prepare_captions(config, train, val, progress=not args.quiet)
    summary = train_caption_model(data, out, resume=args.resume,
                                  verbose=2 if one_line else 1, strategy=strategy,
                                  validation_in_retrieval=not args.val)
    scored = summary["best_val_caption_score"] is not None
    best = summary["best_val_caption_score"] if scored else summary["best_val_loss"]
    name = "val_caption_score" if scored else "val_loss"
    under = scored and best < 0  # amnn.train.caption_stop.guarded_score: too few distinct
    best = f"best {name} {best:.4f}" if best is not None else \
        f"best loss {summary['best_train_loss']:.4f}, no validation posts"
    if under:
        best += ", below 0: no epoch wrote captions 80% as distinct as its posts"
    print(f"trained the caption model for {summary['epochs_run']} epochs ({best}) in "
          f"{summary['train_seconds']} s; model: {out}", file=sys.stderr)
    # Writer or retriever: what predict.py answers with, and every candidate's score.
    print(summary["caption_line"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
