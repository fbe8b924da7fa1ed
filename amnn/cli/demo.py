"""Try a trained model in a browser: a local web page that recommends hashtags for a post.

Examples:
    python scripts/demo.py                          # models/demo, http://127.0.0.1:7860
    python scripts/demo.py --model models/mine --port 8000 --top-k 10
    python scripts/demo.py --decode sequence --memory off   # the network alone, tag after tag

The page takes a photo (upload one or pick an example post of --examples) and a caption,
optionally the hashtags the post already has, and shows the recommended hashtags with
their probabilities and why: the network's and the neighbours' vote's share of each, the
training posts that voted, and where the network looked. A caption model (train.py --task
caption) gets a page that takes a photo and hashtags and writes the caption. Answers are
predict.py's: same model folder, same settings from config.py, and predict.py's flags
but those a page has no use for (`NOT_FOR_THE_PAGE`). The server listens on
127.0.0.1 only and is never shared publicly; uploads, overlays and the photo feature cache
live in a temporary folder removed when the server stops, by Ctrl-C (exit status 130) or
SIGTERM (`kill`, `timeout`, a service manager: 143); --cache-dir keeps the features in a
folder of yours.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from amnn.cli.args import PREDICT_SETTINGS, add_config_flags, config_from_args, positive_int
from amnn.cli.flag_names import add_version_flag
from amnn.cli.runner import cli_main
from amnn.cli.tensorflow_loading import add_verbose_flag, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.errors import AMNNError

DEFAULT_MODEL = "models/demo"
# README's quick start trains the default model.
TRAIN_HINT = ("python scripts/train.py --data dataset --out models/demo --val-fraction 0 "
              "--epochs 20 --overwrite")
HOST = "127.0.0.1"  # this machine only: the demo has no login
# On a stop, the answer in progress may finish (its files are in the temporary folder)
# for this long before the folder is removed anyway.
LAST_ANSWER_S = 20.0
# predict.py's flags that a page has no use for, and why; it takes every other one
# (tests/cli/test_flag_names.py checks both).
NOT_FOR_THE_PAGE = {
    "--data": "the posts are the ones typed into the page (--examples offers some)",
    "--columns": "the --examples folder is read by its header's names, else by position",
    "--out": "answers are shown, not written",
    "--overwrite": "no file is written",
    "--chunk-size": "one post per request",
    "--predict-batch-size": "one post per request",
    "--extract-batch-size": "one photo per request",
    "--photo-features": "one photo per request: nothing to hold in memory or stream",
    "--photo-memory-mib": "one photo per request: nothing to hold in memory or stream",
    "--on-bad-image": "the page refuses a bad photo and says why",
    "--explain": "the page explains every answer",
    "--explain-limit": "the page explains every answer",
    "--quiet": "the server shows no progress bars; --verbose adds TensorFlow's messages",
}
# predict.py's help, worded for the page.
_PAGE_HELP = {
    "--top-k": "hashtags recommended at first (the page has a slider)",
    "--beam": "caption models: beam width (default 3; 1: greedy); a hashtag page explains "
              "each answer, which beam search cannot",
    "--max-photo-pixels": "a photo with more pixels is refused (default 64000000)",
    "--cache-dir": "photo feature cache (default: a temporary folder of this server)",
}


class Stopped(KeyboardInterrupt):
    """A stop signal (Ctrl-C's SIGINT, or SIGTERM) arrived; `signum` says which.

    A KeyboardInterrupt, as Ctrl-C's own: no `except Exception` of a library swallows it.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of demo.py.

    Example:
        >>> args = build_parser().parse_args([])
        >>> args.model, args.port, args.top_k
        ('models/demo', 7860, None)
    """
    parser = argparse.ArgumentParser(
        description="Serve a web page that recommends hashtags with a trained AMNN.",
        epilog="The prediction flags are predict.py's, except those a page has no use for "
               "(it answers one post at a time and explains each answer): "
               f"{', '.join(NOT_FOR_THE_PAGE)}.")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"model folder written by train.py (default {DEFAULT_MODEL})")
    parser.add_argument("--port", type=positive_int, default=7860,
                        help="port on 127.0.0.1 (default 7860)")
    parser.add_argument("--examples", default=None,
                        help="data folder whose first photos are offered as examples "
                             "(default: test_dataset next to the scripts, if present)")
    add_verbose_flag(parser)
    add_config_flags(parser, "predict", leave_out=NOT_FOR_THE_PAGE, helps=_PAGE_HELP)
    add_version_flag(parser, "amnn-demo")
    return parser


def _missing_model(model: Path) -> str:
    if model == Path(DEFAULT_MODEL):
        return f"no trained model at {model}; train the demo model first: {TRAIN_HINT}"
    return f"no trained model at {model}; pass --model with a folder written by train.py"


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Stopped` in the block, once: later ones are ignored.

    So `kill` stops the demo as Ctrl-C does, and a second signal cannot cut short the
    removal of its temporary folder. The previous handlers are back after the block.

    Example:
        >>> with stop_signals():
        ...     try:
        ...         os.kill(os.getpid(), signal.SIGTERM)
        ...     except Stopped as stop:
        ...         print(stop, 128 + stop.signum)
        SIGTERM 143
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    stopping = []

    def stop(signum, frame):
        if not stopping:
            stopping.append(signum)
            raise Stopped(signum)

    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, stop) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@cli_main
def main(argv: Sequence[str] | None = None, defaults_file: Path | None = None) -> int:
    """Serve the demo until stopped; `defaults_file` is the user's config.py, if any."""
    args = build_parser().parse_args(argv)
    user_defaults = read_user_defaults(defaults_file, uses=PREDICT_SETTINGS)
    model = Path(args.model)
    if not (model / "model.keras").is_file():
        raise AMNNError(_missing_model(model))
    examples_folder = Path(args.examples) if args.examples else (
        Path(defaults_file).parent / "test_dataset" if defaults_file else None)
    with stop_signals():
        work, stopped = Path(tempfile.mkdtemp(prefix="amnn-demo-")), None
        try:
            _serve(args, model, work, examples_folder, user_defaults)
        except Stopped as stop:
            stopped = stop
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if stopped is None:
        return 0
    print(f"stopped ({stopped}): {_what_was_removed(work, args.cache_dir)}", file=sys.stderr)
    return 128 + stopped.signum  # the shell's status for a program ended by that signal


def _what_was_removed(work: Path, cache_dir: str | None) -> str:
    """The last line's account of the temporary folder (and of the features)."""
    if work.exists():
        return f"could not remove {work}; delete it by hand (it holds uploaded photos)"
    if cache_dir:
        return f"removed {work} (uploads and answers); the photo features stay in {cache_dir}"
    return f"removed {work} (uploads, answers and photo features)"


def _serve(args, model: Path, work: Path, examples_folder: Path | None, user_defaults):
    """Load the model and serve its page from `work` until a signal raises `Stopped`."""
    # Gradio keeps uploads under GRADIO_TEMP_DIR; this server's go to its own folder.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(work / "uploads"))
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
    load_tensorflow(args.verbose)
    from amnn.features.photo_reading import decoder_messages_hidden

    # libjpeg warns about damaged uploads straight on stderr; the page reports them itself.
    with decoder_messages_hidden(enabled=not args.verbose):
        _serve_model(args, model, work, examples_folder, user_defaults)


def _serve_model(args, model: Path, work: Path, examples_folder: Path | None, user_defaults):
    """`_serve` once TensorFlow is loaded: the model, its page, and the server loop."""
    from amnn.model.folder import load_model_folder
    from amnn.serve.demo_page import MAX_FILE_SIZE

    trained = load_model_folder(model)
    config = config_from_args(args, base=trained.config, script="predict",
                              user_defaults=user_defaults)
    cache_dir = args.cache_dir or str(work / "features")
    examples_folder = examples_folder if examples_folder and examples_folder.exists() else None
    page_of = _caption_page if trained.config.task == "caption" else _hashtag_page
    options = {"method": args.caption_method} if trained.config.task == "caption" else {}
    answerer, page = page_of(trained, config, args.beam, cache_dir, work, examples_folder,
                             **options)
    allowed = [str(work)] + ([str(examples_folder.resolve())] if examples_folder else [])
    print(f"AMNN demo of {model} on http://{HOST}:{args.port} (Ctrl+C stops it)",
          file=sys.stderr, flush=True)
    log = logging.getLogger("amnn.demo")  # one line a refusal, a traceback a bug
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    propagate, log.propagate = log.propagate, False  # not twice, should a caller log too
    try:
        try:
            page.queue(default_concurrency_limit=1).launch(
                server_name=HOST, server_port=args.port, share=False, inbrowser=False,
                allowed_paths=allowed, max_file_size=MAX_FILE_SIZE, ssr_mode=False,
                mcp_server=False, quiet=not args.verbose, show_error=False,
                footer_links=["api"], prevent_thread_lock=True)
        except OSError as error:  # the port is taken
            raise AMNNError(f"cannot serve on {HOST}:{args.port} ({error}); "
                            "pass another --port") from None
        while page.is_running:
            time.sleep(0.5)  # until Ctrl-C or SIGTERM raises Stopped
    finally:
        page.close(verbose=False)  # no new requests; then the one in progress may end
        answerer.wait_idle(LAST_ANSWER_S)
        log.removeHandler(handler)
        log.propagate = propagate


def _hashtag_page(trained, config, beam: int | None, cache_dir: str, work: Path,
                  examples_folder):
    """The answerer and page of a hashtag model, predicting as `config` says."""
    from amnn.serve.demo_app import DemoRecommender
    from amnn.serve.demo_page import build_page, example_posts
    from amnn.serve.predictor import HashtagPredictor

    if beam is not None and beam > 1:
        raise AMNNError(f"--beam {beam}: the page explains each answer, and beam search "
                        "cannot be explained; drop --beam (predict.py takes it)")
    predictor = HashtagPredictor(
        trained, cache_dir=cache_dir, encoder_weights=config.encoder_weights,
        progress=False, on_bad_image="error", memory=config.memory,
        memory_neighbors=config.memory_neighbors, memory_weight=config.memory_weight,
        memory_text_share=config.memory_text_share,
        memory_photo_share=config.memory_photo_share,
        max_photo_pixels=config.max_photo_pixels)
    recommender = DemoRecommender(predictor, work / "answers", rank=config.decode == "rank",
                                  min_tags=config.min_tags)
    examples = example_posts(examples_folder) if examples_folder else []
    return recommender, build_page(recommender, examples, top_k=config.top_k)


def _caption_page(trained, config, beam: int | None, cache_dir: str, work: Path,
                  examples_folder, method: str = "auto"):
    """The answerer and page of a caption model; `beam` (--beam) and `method`
    (--caption-method) as in predict.py."""
    from amnn.serve.caption_predictor import CaptionPredictor
    from amnn.serve.demo_captions import DemoCaptionWriter
    from amnn.serve.demo_page import build_caption_page, example_posts

    # auto is CaptionPredictor's own default (the folder's choice): passed only when changed.
    chosen = {} if method == "auto" else {"method": method}
    predictor = CaptionPredictor(trained, cache_dir=cache_dir,
                                 encoder_weights=config.encoder_weights, progress=False,
                                 on_bad_image="error", max_photo_pixels=config.max_photo_pixels,
                                 **chosen)
    # predict.py's beam: --beam, else config.py's caption beam (3); the hashtag model's
    # beam_size (1) is not a caption setting.
    writer = DemoCaptionWriter(predictor, work / "answers",
                               beam_size=beam if beam is not None else config.caption_beam_size)
    examples = example_posts(examples_folder, text="hashtags") if examples_folder else []
    return writer, build_caption_page(writer, examples)


if __name__ == "__main__":
    sys.exit(main())
