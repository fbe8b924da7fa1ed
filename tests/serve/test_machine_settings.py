"""predict.py's photo-reading flags reach the predictors' config (they once stopped short)."""

import pytest

from amnn.cli.args import config_from_args
from amnn.cli.predict import build_parser, photo_reading
from amnn.config import AMNNConfig
from amnn.serve.machine_settings import machine_config
from amnn.serve.predictor import HashtagPredictor
from tests.serve.test_given_predictor import TINY, predictor  # noqa: F401 (a fixture)

TRAINED = AMNNConfig(extract_batch_size=32, photo_features="auto", photo_memory_mib=1024)


def test_the_flags_go_over_the_models_own_settings():
    args = build_parser().parse_args(["--model", "m", "--data", "d.csv", "--out", "o.csv",
                                      "--extract-batch-size", "4", "--photo-features",
                                      "stream", "--photo-memory-mib", "64"])
    here = machine_config(TRAINED, None, None, "error", None,
                          **photo_reading(config_from_args(args, base=TRAINED,
                                                           script="predict")))
    assert (here.extract_batch_size, here.photo_features, here.photo_memory_mib) == \
        (4, "stream", 64)


def test_without_flags_the_model_keeps_its_own():
    args = build_parser().parse_args(["--model", "m", "--data", "d.csv", "--out", "o.csv"])
    here = machine_config(TRAINED, None, None, "error", None,
                          **photo_reading(config_from_args(args, base=TRAINED,
                                                           script="predict")))
    assert here == TRAINED


def test_the_predictor_reads_photos_as_told(predictor):
    told = HashtagPredictor(predictor.trained, progress=False,
                            photo_settings={"extract_batch_size": 3})
    assert told.config.extract_batch_size == 3
    assert predictor.trained.config.extract_batch_size == TINY.extract_batch_size  # kept
    with pytest.raises(TypeError, match="photo_memory"):
        machine_config(TRAINED, None, None, "error", None, photo_memory=1)
