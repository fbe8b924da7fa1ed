"""Val metrics after every epoch of one AMNN training: the tool behind the tuning notes.

    python -m benchmarks.epoch_curves mediaeval --epochs 4 --seed 1 --set tag_order=post dropout=0.5
    python -m benchmarks.epoch_curves tweeteval --epochs 10 --early-stopping-split

Trains on `DATA_ROOT/SET/train` (all posts, or with --early-stopping-split the split of them
that `scripts/train.py` would hold out) and after each epoch decodes `SET/val` greedily and
by rank, printing one JSON line: the epoch, the losses, and [P@1, R@5, A@5] per decoding.
Val is only scored here, never trained on. This is how the epochs and settings of the
quality benchmark were chosen before the fold protocol (`tune.py`, beside this file), which
chooses on folds of the training posts instead; it stays to reproduce those notes.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import keras

from amnn.config import AMNNConfig
from amnn.data.posts import read_posts
from amnn.data.splits import split_by_image
from amnn.inputs.encoding import padded_model_inputs
from amnn.inputs.pipeline import make_dataset
from amnn.model.decoding import BatchDecoder
from amnn.model.network import AMNNNetwork, build_amnn
from amnn.train.fitting import compile_model
from amnn.train.preparation import prepare
from benchmarks.common.run_log import shared_data_root
from benchmarks.quality.tune_runs import decoded_scores


def parse_settings(pairs: list[str]) -> dict:
    """`field=value` pairs -> config changes (values as Python literals, else strings).

    Example:
        >>> parse_settings(["dropout=0.5", "tag_order=post"])
        {'dropout': 0.5, 'tag_order': 'post'}
    """
    changes = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        try:
            changes[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            changes[name] = text
    return changes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("set", help="a data set folder name under --data-root")
    parser.add_argument("--data-root", type=Path,
                        default=shared_data_root())
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--early-stopping-split", action="store_true",
                        help="train on the part train.py keeps after holding out val_fraction")
    parser.add_argument("--set", nargs="*", default=[], dest="settings",
                        help="config changes as field=value")
    args = parser.parse_args(argv)
    config = AMNNConfig(seed=args.seed, **parse_settings(args.settings))
    train = read_posts(args.data_root / args.set / "train")
    val = read_posts(args.data_root / args.set / "val")
    fraction = config.val_fraction if args.early_stopping_split else 0.0
    fit_rows, stop_rows = split_by_image(train, fraction, config.seed)
    data = prepare(config, train.select(fit_rows), train.select(stop_rows), progress=False)
    config = data.config
    keras.utils.set_random_seed(config.seed)
    model = compile_model(build_amnn(config, data.sizes), config.learning_rate, config.tag_loss)
    train_ds = make_dataset(data.train, data.features, config.batch_size, shuffle=True,
                            seed=config.seed)
    stop_ds = make_dataset(data.val, data.features, config.batch_size) if len(data.val) else None
    inputs = padded_model_inputs(val, config, data.vectorizer)
    for epoch in range(1, args.epochs + 1):
        history = model.fit(train_ds, validation_data=stop_ds, epochs=1, verbose=0,
                            shuffle=False).history
        decoder = BatchDecoder(AMNNNetwork.from_model(model, config), len(data.vocab))
        line = {"set": args.set, "seed": args.seed, "settings": args.settings, "epoch": epoch,
                "loss": round(history["loss"][0], 3),
                "stop_loss": round(history["val_loss"][0], 3) if "val_loss" in history else None,
                "greedy": decoded_scores(decoder, inputs, val, data.vocab, rank=False),
                "rank": decoded_scores(decoder, inputs, val, data.vocab, rank=True)}
        print(json.dumps(line), flush=True)
    return 0

