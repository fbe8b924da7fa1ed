"""Try a trained model in a browser: a local web page that recommends hashtags for a post.

Examples:
    python scripts/demo.py                          # models/demo, http://127.0.0.1:7860
    python scripts/demo.py --model models/mine --port 8000 --top-k 10

The page takes a photo (upload one or pick an example post of --examples) and a caption,
optionally the hashtags the post already has, and shows the recommended hashtags with
their probabilities and why: the network's and the neighbours' vote's share of each, the
training posts that voted, and where the network looked. Predictions are predict.py's (same model
folder, same settings from config.py). The server listens on 127.0.0.1 only and is never
shared publicly; uploads, overlays and the photo feature cache live in a temporary folder
removed when the server stops (--cache-dir keeps the features in a folder of yours).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from amnn.cli.args import config_from_args, positive_int
from amnn.cli.runner import add_verbose_flag, cli_main, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.errors import AMNNError

DEFAULT_MODEL = "models/demo"
# README's quick start trains the default model.
TRAIN_HINT = ("python scripts/train.py --data dataset --out models/demo --val-fraction 0 "
              "--epochs 20 --overwrite")
HOST = "127.0.0.1"  # this machine only: the demo has no login


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of demo.py.

    Example:
        >>> args = build_parser().parse_args([])
        >>> args.model, args.port, args.top_k
        ('models/demo', 7860, None)
    """
    parser = argparse.ArgumentParser(description="Serve a web page that recommends hashtags "
                                                 "with a trained AMNN.")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"model folder written by train.py (default {DEFAULT_MODEL})")
    parser.add_argument("--port", type=positive_int, default=7860,
                        help="port on 127.0.0.1 (default 7860)")
    parser.add_argument("--examples", default=None,
                        help="data folder whose first photos are offered as examples "
                             "(default: test_dataset next to the scripts, if present)")
    parser.add_argument("--top-k", type=positive_int, default=None,
                        help="hashtags recommended at first (the page has a slider)")
    parser.add_argument("--max-photo-pixels", type=positive_int, default=None,
                        help="a photo with more pixels is refused (default 64000000)")
    parser.add_argument("--cache-dir", default=None,
                        help="photo feature cache (default: a temporary folder of this server)")
    add_verbose_flag(parser)
    return parser


def _missing_model(model: Path) -> str:
    if model == Path(DEFAULT_MODEL):
        return f"no trained model at {model}; train the demo model first: {TRAIN_HINT}"
    return f"no trained model at {model}; pass --model with a folder written by train.py"


@cli_main
def main(argv: Sequence[str] | None = None, defaults_file: Path | None = None) -> int:
    """Serve the demo until interrupted; `defaults_file` is the user's config.py, if any."""
    args = build_parser().parse_args(argv)
    user_defaults = read_user_defaults(defaults_file)
    model = Path(args.model)
    if not (model / "model.keras").is_file():
        raise AMNNError(_missing_model(model))
    examples_folder = Path(args.examples) if args.examples else (
        Path(defaults_file).parent / "test_dataset" if defaults_file else None)
    with tempfile.TemporaryDirectory(prefix="amnn-demo-") as work:
        # Gradio keeps uploads under GRADIO_TEMP_DIR; this server's go to its own folder.
        os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(work) / "uploads"))
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
        load_tensorflow(args.verbose)
        from amnn.model.folder import load_model_folder
        from amnn.serve.demo_app import DemoRecommender
        from amnn.serve.demo_page import MAX_FILE_SIZE, build_page, example_posts
        from amnn.serve.predictor import HashtagPredictor

        trained = load_model_folder(model)
        config = config_from_args(args, base=trained.config, script="predict",
                                  user_defaults=user_defaults)
        predictor = HashtagPredictor(
            trained, cache_dir=args.cache_dir or str(Path(work) / "features"),
            encoder_weights=config.encoder_weights, progress=False, on_bad_image="error",
            memory=config.memory, memory_neighbors=config.memory_neighbors,
            memory_weight=config.memory_weight, memory_text_share=config.memory_text_share,
            memory_photo_share=config.memory_photo_share,
            max_photo_pixels=config.max_photo_pixels)
        recommender = DemoRecommender(predictor, Path(work) / "answers",
                                      rank=config.decode == "rank", min_tags=config.min_tags)
        examples = []
        if examples_folder is not None and examples_folder.exists():
            examples = example_posts(examples_folder)
        page = build_page(recommender, examples, top_k=config.top_k)
        allowed = [work] + ([str(examples_folder.resolve())] if examples else [])
        print(f"AMNN demo of {model} on http://{HOST}:{args.port} (Ctrl+C stops it)",
              file=sys.stderr, flush=True)
        try:
            page.queue(default_concurrency_limit=1).launch(
                server_name=HOST, server_port=args.port, share=False, inbrowser=False,
                allowed_paths=allowed, max_file_size=MAX_FILE_SIZE, ssr_mode=False,
                mcp_server=False, quiet=not args.verbose, show_error=False,
                footer_links=["api"])
        except KeyboardInterrupt:
            pass
        except OSError as error:  # the port is taken
            raise AMNNError(f"cannot serve on {HOST}:{args.port} ({error}); "
                            "pass another --port") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
