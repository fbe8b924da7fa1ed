"""Command-line flags shared by the scripts, mapped onto `AMNNConfig` fields.

Each flag overrides one config field; flags not given keep the user's default from the
checkout's config.py, else the config's default (or, in predict.py, the value the model
was trained with). Impossible values fail at parse time
with the flag named, before TensorFlow is even imported.
"""

from __future__ import annotations

import argparse

from amnn.cli.flag_names import add_old_name
from amnn.config import (
    BAD_IMAGE_POLICIES,
    DECODE_MODES,
    PHOTO_FEATURE_MODES,
    PRESETS,
    STOP_METRICS,
    TAG_LOSSES,
    TAG_ORDERS,
    TASKS,
    TOKENIZER_NAMES,
    AMNNConfig,
)
from amnn.data.column_layout import parse_columns_flag
from amnn.errors import AMNNError
from amnn.features.encoders import encoder_names  # the registry, without TensorFlow


def _checked_number(convert, accept, requirement: str):
    """An argparse type that converts text and rejects values outside `requirement`."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {requirement}, received {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, received {value}")
        return value

    return parse


# Argparse types; a bad value fails at parse time with the flag named, e.g.
#   >>> positive_int("3")
#   3
positive_int = _checked_number(int, lambda v: v >= 1, "an integer >= 1")
non_negative_int = _checked_number(int, lambda v: v >= 0, "an integer >= 0")
fraction = _checked_number(float, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")
positive_float = _checked_number(float, lambda v: v > 0.0, "a number > 0")
unit_interval = _checked_number(float, lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")


def columns_flag(text: str):
    """Argparse type of --columns: a bad value fails at parse time with the flag named.

    Example:
        >>> columns_flag("photo*text*hashtags").separator
        '*'
    """
    try:
        return parse_columns_flag(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_columns_flag(parser: argparse.ArgumentParser, files: str = "the data file") -> None:
    """Add --columns, which column of `files` is which (default: detected from the file)."""
    parser.add_argument(
        "--columns", type=columns_flag, metavar="ROLES",
        help=f"which column of {files} is which, one role per column in order, written with "
             "the file's separator: photo,text,hashtags (a CSV) or 'photo*text*hashtags' "
             "(the published code's image_text_data.txt); given = given_hashtags, - leaves a "
             "column out (default: by the header's names, else by position as the published "
             "code reads its files)")


# flag -> (config field, argparse keyword arguments); which script shows which flag.
_TRAIN_FLAGS = {
    "--task": ("task", dict(choices=TASKS, help="hashtags (default): recommend hashtags; "
                                                "caption: write the post's text from its "
                                                "photo and hashtags")),
    "--max-caption-words": ("max_caption_words", dict(
        type=positive_int, help="caption task: longest caption learned and written")),
    "--encoder": ("encoder", dict(help="image encoder")),  # choices: the registry's, when built
    "--batch-size": ("batch_size", dict(type=positive_int,
                                        help="posts per replica per training step")),
    "--learning-rate": ("learning_rate", dict(type=positive_float, help="Adam learning rate")),
    "--max-epochs": ("max_epochs", dict(type=positive_int,
                                        help="ceiling when training until early stopping")),
    "--patience": ("early_stopping_patience", dict(type=positive_int,
                                                   help="early-stopping patience in epochs")),
    "--stop-on": ("stop_on", dict(choices=STOP_METRICS,
                                  help="early stopping watches the validation posts' ranking "
                                       "(mean of P@1, R@5, A@5; default) or their loss")),
    "--val-fraction": ("val_fraction", dict(type=fraction, help="validation share without --val")),
    "--seed": ("seed", dict(type=int, help="random seed")),
    "--tokenizer": ("tokenizer", dict(choices=TOKENIZER_NAMES, help="caption tokenizer")),
    "--min-tag-count": ("min_tag_count", dict(type=positive_int,
                                              help="rarer training hashtags are dropped")),
    "--min-word-count": ("min_word_count", dict(type=positive_int,
                                                help="rarer caption words become UNK")),
    "--max-tags": ("max_tags", dict(type=positive_int, help="hashtags learned per post")),
    "--tag-order": ("tag_order", dict(choices=TAG_ORDERS, help="order of a post's tags")),
    "--tag-loss": ("tag_loss", dict(choices=TAG_LOSSES,
                                    help="decoder loss: the next tag, or any remaining tag")),
    "--dropout": ("dropout", dict(type=fraction, help="dropout rate")),
    "--decoder-units": ("decoder_units", dict(type=positive_int, help="GRU state size")),
}
_SHARED_FLAGS = {
    "--encoder-weights": ("encoder_weights", dict(help="local encoder weights file (resnet50 "
                                                       "offline)")),
    "--cache-dir": ("cache_dir", dict(help="feature cache folder (default ~/.cache/amnn)")),
    "--extract-batch-size": ("extract_batch_size", dict(type=positive_int,
                                                        help="images per encoder pass")),
    "--photo-features": ("photo_features", dict(
        choices=PHOTO_FEATURE_MODES,
        help="memory: hold every photo's features in memory (fastest); stream: read each "
             "batch's from the feature cache (bounded memory, for large crawls); auto "
             "(default): memory up to --photo-memory-mib")),
    "--photo-memory-mib": ("photo_memory_mib", dict(
        type=positive_int, help="with --photo-features auto, stream when the photos' "
                                "features would take more memory than this (default 1024)")),
    "--memory-neighbors": ("memory_neighbors", dict(
        type=positive_int, help="nearest training posts whose hashtags vote (neighbor "
                                "memory; default: chosen when the model is trained)")),
    "--memory-weight": ("memory_weight", dict(
        type=unit_interval, help="the neighbors' vote's share of the tags' distribution "
                                 "(0: the network alone, 1: the vote alone; default: chosen "
                                 "when the model is trained)")),
    "--memory-text-share": ("memory_text_share", dict(
        type=unit_interval, help="the caption words' share of the neighbors' similarity "
                                 "(default: chosen when the model is trained)")),
    "--memory-photo-share": ("memory_photo_share", dict(
        type=unit_interval, help="the photos' share of the neighbors' similarity (default: "
                                 "chosen when the model is trained)")),
    "--max-photo-pixels": ("max_photo_pixels", dict(
        type=positive_int, help="a photo with more pixels is a bad photo (see --on-bad-image), "
                                "found before decoding it (default 64000000)")),
    "--on-bad-image": ("on_bad_image", dict(
        choices=BAD_IMAGE_POLICIES,
        help="a post whose photo is missing, unreadable, not an image or outside the data "
             "folder: error (default) stops and lists them all; skip leaves the post out "
             "(predict.py: empty predicted_hashtags); text-only uses it without its photo")),
}
_PREDICT_FLAGS = {
    "--top-k": ("top_k", dict(type=positive_int, help="hashtags recommended per post")),
    "--min-tags": ("min_tags", dict(type=non_negative_int,
                                    help="let the learned end token stop a list after this "
                                         "many tags (default: always --top-k tags); decodes "
                                         "tag after tag")),
    "--beam": ("beam_size", dict(type=positive_int,
                                 help="beam width (1 = greedy); above 1 decodes tag after tag")),
    "--decode": ("decode", dict(choices=DECODE_MODES,
                                help="rank (default): every tag ranked by the first step's "
                                     "probability; sequence: tag after tag (greedy or beam)")),
    "--predict-batch-size": ("predict_batch_size", dict(type=positive_int,
                                                        help="posts decoded per batch")),
}
# predict.py --caption-method: amnn.serve.caption_predictor.CAPTION_METHODS, without TensorFlow.
CAPTION_METHODS = ("auto", "write", "retrieve")
# New name -> old name, accepted for one release (amnn.cli.flag_names.add_old_name).
_OLD_PREDICT_NAMES = {"--predict-batch-size": "--batch-size"}


def _flags(script: str) -> dict:
    chosen = dict(_SHARED_FLAGS)
    chosen.update(_TRAIN_FLAGS if script == "train" else _PREDICT_FLAGS)
    return chosen


def add_config_flags(parser: argparse.ArgumentParser, script: str, leave_out=(),
                     helps: dict | None = None) -> None:
    """Add the config flags of `script` ("train" or "predict"), all defaulting to unset.

    A program that shares another's flags takes them all from here, so they cannot drift:
    it names those it has no use for (`leave_out`; other flags there are ignored) and the
    help texts it words its own way (`helps`, flag -> text), as demo.py does with predict.py's.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_config_flags(parser, "predict", leave_out=["--predict-batch-size"])
        >>> parser.parse_args(["--top-k", "3"]).top_k
        3
    """
    helps = helps or {}
    unknown = set(helps) - set(_flags(script)).difference(leave_out)
    if unknown:  # a help text that would never be shown
        raise ValueError(f"help for flags {script} does not add: {sorted(unknown)}")
    for flag, (_, options) in _flags(script).items():
        if flag in leave_out:
            continue
        if flag == "--encoder":  # read now: an encoder registered after import counts too
            options = dict(options, choices=encoder_names())
        if flag in helps:
            options = dict(options, help=helps[flag])
        action = parser.add_argument(flag, default=None, **options)
        if script != "train" and flag in _OLD_PREDICT_NAMES:
            add_old_name(parser, action, _OLD_PREDICT_NAMES[flag])
    parser.add_argument("--memory", choices=("on", "off"),
                        help="mix the vote of the nearest training posts with the network's "
                             "distribution (default on, as chosen when trained; off: the "
                             "network alone)")
    if script != "train":  # how a caption model answers; not a setting of the model's config
        parser.add_argument("--caption-method", choices=CAPTION_METHODS, default="auto",
                            help="caption models: auto (default) answers as chosen when the "
                                 "model was trained; write: the caption writer; retrieve: the "
                                 "caption of the most similar training post")
    if script == "train":
        parser.add_argument("--preset", choices=sorted(PRESETS),
                            help="a named group of settings; paper: the published "
                                 "architecture (no lexical branch, no memory, greedy)")
        parser.add_argument("--no-image", action="store_true", help="text-only ablation")
        parser.add_argument("--no-text", action="store_true", help="image-only ablation")
        parser.add_argument("--no-hashtags", action="store_true",
                            help="caption task: write from the photo alone")
        parser.add_argument("--hashtag-words", choices=("on", "off"),
                            help="caption task: read each hashtag as its words "
                                 "(hurricanesandy -> hurricane sandy)")
        parser.add_argument("--no-lexical", action="store_true",
                            help="leave out the bag-of-words branch beside the BiLSTM")


# Settings a user's defaults file may change for predict.py: how to predict and how to
# read photos, never how the model was trained (its own config.json says that).
PREDICT_SETTINGS = ("top_k", "min_tags", "beam_size", "caption_beam_size", "decode", "predict_batch_size",
                    "encoder_weights", "cache_dir", "extract_batch_size", "max_photo_pixels",
                    "on_bad_image", "photo_features", "photo_memory_mib",
                    "memory", "memory_neighbors", "memory_weight", "memory_text_share",
                    "memory_photo_share")


def config_from_args(args: argparse.Namespace, base: AMNNConfig | None = None,
                     script: str = "train", user_defaults: dict | None = None) -> AMNNConfig:
    """`base` (default AMNNConfig()), then the user's defaults, then every flag given.

    `user_defaults` (from `amnn.cli.user_defaults`) apply in full to training; prediction
    takes only `PREDICT_SETTINGS` from them, keeping the trained model's own settings.

    Example:
        >>> parser = argparse.ArgumentParser(); add_config_flags(parser, "train")
        >>> config_from_args(parser.parse_args(["--batch-size", "8"])).batch_size
        8
        >>> config_from_args(parser.parse_args([]), user_defaults={"batch_size": 16}).batch_size
        16
    """
    changes = dict(user_defaults or {})
    if getattr(args, "preset", None):  # a flag: above the defaults file, below other flags
        changes.update(PRESETS[args.preset])
    if script != "train":
        changes = {name: value for name, value in changes.items() if name in PREDICT_SETTINGS}
    for flag, (field, _) in _flags(script).items():
        value = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if value is not None:
            changes[field] = value
    if getattr(args, "memory", None) is not None:
        changes["memory"] = args.memory == "on"
    if getattr(args, "hashtag_words", None) is not None:
        changes["hashtag_words"] = args.hashtag_words == "on"
    if getattr(args, "no_hashtags", False):
        changes["caption_from_hashtags"] = False
    if getattr(args, "no_lexical", False):
        changes["lexical_text"] = False
    # Bad photos are handled as each run says: a model trained with skip must not make
    # predict.py skip photos silently, so an absent flag means the default, not the model's.
    changes.setdefault("on_bad_image", AMNNConfig.on_bad_image)
    if "decode" not in changes and (changes.get("beam_size", 1) > 1
                                    or changes.get("min_tags") is not None):
        # A beam or an end token only exist tag after tag: asking for one asks for that.
        changes["decode"] = "sequence"
    if changes.get("encoder", AMNNConfig.encoder) not in encoder_names():
        raise AMNNError(f"unknown image encoder {changes['encoder']!r}; known encoders: "
                        f"{', '.join(encoder_names())}")
    if getattr(args, "epochs", None) is not None:
        changes["epochs"] = args.epochs
    if getattr(args, "no_image", False) and getattr(args, "no_text", False):
        raise AMNNError("--no-image and --no-text together leave nothing to learn from; "
                        "drop one of them")
    if getattr(args, "no_image", False):
        changes["include_image"] = False
    if getattr(args, "no_text", False):
        changes["include_text"] = False
    base = base or AMNNConfig()
    try:
        return base.replace(**changes)
    except ValueError as error:
        raise AMNNError(str(error)) from None
