"""demo.py's prediction flags (predict.py's) reach the predictor and page it builds.

The predictor, the answerer and the page are stand-ins that record what they were given,
so no model is trained and no server starts; the names they are given are the real
classes' keyword arguments.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from amnn.cli import demo
from amnn.cli.args import config_from_args
from amnn.config import AMNNConfig
from amnn.errors import AMNNError

HASHTAG_FLAGS = ["--top-k", "7", "--min-tags", "2", "--decode", "sequence", "--memory", "off",
                 "--memory-neighbors", "9", "--memory-weight", "0.25",
                 "--memory-text-share", "0.5", "--memory-photo-share", "0.4",
                 "--encoder-weights", "w.h5", "--max-photo-pixels", "1000"]


@pytest.fixture
def given(monkeypatch):
    """What each stand-in was called with: name -> its keyword arguments."""
    import amnn.serve.caption_predictor as caption_predictor
    import amnn.serve.demo_app as demo_app
    import amnn.serve.demo_captions as demo_captions
    import amnn.serve.demo_page as demo_page
    import amnn.serve.predictor as predictor

    calls = {}

    def stand_in(name):
        def record(*args, **kwargs):
            calls[name] = kwargs
            return SimpleNamespace(name=name)
        return record

    for module, name in ((predictor, "HashtagPredictor"), (demo_app, "DemoRecommender"),
                         (demo_page, "build_page"), (demo_page, "build_caption_page"),
                         (caption_predictor, "CaptionPredictor"),
                         (demo_captions, "DemoCaptionWriter")):
        monkeypatch.setattr(module, name, stand_in(name))
    return calls


def _page(page_of, flags, tmp_path):
    args = demo.build_parser().parse_args(flags)
    config = config_from_args(args, base=AMNNConfig(), script="predict")
    trained = SimpleNamespace(config=AMNNConfig())
    return page_of(trained, config, args.beam, "features", tmp_path, None)


def test_the_hashtag_page_predicts_as_its_flags_say(given, tmp_path):
    _page(demo._hashtag_page, HASHTAG_FLAGS, tmp_path)
    assert given["HashtagPredictor"] == dict(
        cache_dir="features", encoder_weights="w.h5", progress=False, on_bad_image="error",
        memory=False, memory_neighbors=9, memory_weight=0.25, memory_text_share=0.5,
        memory_photo_share=0.4, max_photo_pixels=1000)
    assert given["DemoRecommender"] == dict(rank=False, min_tags=2)
    assert given["build_page"] == dict(top_k=7)


def test_the_hashtag_page_refuses_a_beam_it_cannot_explain(given, tmp_path):
    with pytest.raises(AMNNError, match="--beam 2"):
        _page(demo._hashtag_page, ["--beam", "2"], tmp_path)


@pytest.mark.parametrize("flags, beam", [(["--beam", "5"], 5), ([], 3)])
def test_the_caption_page_writes_with_beam_else_the_caption_beam(given, tmp_path, flags, beam):
    _page(demo._caption_page, [*flags, "--encoder-weights", "w.h5", "--max-photo-pixels", "9"],
          tmp_path)
    assert given["CaptionPredictor"] == dict(cache_dir="features", encoder_weights="w.h5",
                                             progress=False, on_bad_image="error",
                                             max_photo_pixels=9)
    assert given["DemoCaptionWriter"] == dict(beam_size=beam)
