"""End to end: train.py, predict.py and result_accuracy.py as a user runs them, on real photos.

The demo test trains a few epochs on the embedded `dataset/` (real photos through the real
EfficientNet-Lite0 encoder and HDF5 cache) and predicts `test_dataset/`. The mediaeval
test does the same on ../shared/data (or $AMNN_SHARED_DATA) and skips when it is absent.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AMNN_SHARED_DATA", REPO.parent / "shared" / "data"))
SMALL_MODEL = ["--decoder-units", "64", "--batch-size", "32"]
# The defaults' lead over the popular baseline on mediaeval val, in the mean of
# [P@1, R@5, A@5]: 0.026 over seeds 1-3 (0.000 to 0.039, docs/BENCHMARKS.md, 2026-12-06),
# 0.044 with the default seed 42, which this guard trains; the network alone, without its
# memory, fell 0.06 and 0.15 below popular on seeds 1 and 2 and 0.14 on seed 42 (seed 3:
# 0.04 above).
GUARD_MARGIN = 0.02
FOLD_CHOICES = REPO / "benchmarks" / "results" / "tune.json"  # the baselines' fold settings


# Lines TensorFlow prints while it starts; the scripts keep them out unless --verbose.
TENSORFLOW_NOISE = ("oneDNN", "cuda", "absl::InitializeLog", "cpu_feature_guard")


def run(script, *args, cache, expect=0):
    env = dict(os.environ, AMNN_CACHE_DIR=str(cache))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # quiet by default, not because the test asks
    done = subprocess.run([sys.executable, str(REPO / "scripts" / script), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    assert done.returncode == expect, done.stderr[-3000:]
    return done


def test_train_output_is_quiet_and_one_line_per_epoch_in_a_log(demo_model):
    root, _, _ = demo_model
    out, err = (root / "train_stdout.txt").read_text(), (root / "train_stderr.txt").read_text()
    assert [line.split(":")[0] for line in out.splitlines()] == ["epoch 1/3", "epoch 2/3",
                                                                  "epoch 3/3"]
    assert "\r" not in out and "\r" not in err  # no progress-bar redraws
    assert not [line for line in err.splitlines() if any(n in line for n in TENSORFLOW_NOISE)]
    assert "trained for 3 epochs" in err


def test_verbose_shows_tensorflow_start_up_messages(tmp_path):
    done = run("predict.py", "--model", tmp_path / "none", "--data", REPO / "test_dataset",
               "--out", tmp_path / "p.csv", "--verbose", cache=tmp_path / "cache", expect=2)
    assert any(n in done.stderr for n in TENSORFLOW_NOISE), done.stderr[-2000:]
    quiet = run("predict.py", "--model", tmp_path / "none", "--data", REPO / "test_dataset",
                "--out", tmp_path / "p.csv", cache=tmp_path / "cache", expect=2)
    assert quiet.stderr.startswith("error: ") and len(quiet.stderr.splitlines()) == 1


def test_train_writes_a_complete_model_folder(demo_model):
    _, cache, model = demo_model
    for name in ("model.keras", "config.json", "hashtag_vocab.json", "text_vectorizer.json",
                 "neighbours.npz", "amnn_model.json", "training_log.csv", "training_curves.png"):
        assert (model / name).is_file(), name
    assert not (model / "training").exists()  # work files are gone once the folder is complete
    config = json.loads((model / "config.json").read_text())
    assert config["epochs"] == 3 and config["decoder_units"] == 64
    assert len(pd.read_csv(model / "training_log.csv")) == 3
    # Without --val the posts held out for early stopping are the user's: the memory has them.
    training = json.loads((model / "amnn_model.json").read_text())["training"]
    with np.load(model / "neighbours.npz", allow_pickle=False) as memory:
        assert len(memory["keys"]) == training["train_posts"] + training["val_posts"]
    assert list(cache.glob("features/efficientnet_lite0-*.h5"))  # photos went through the cache


def test_predict_and_score_the_test_posts(demo_model):
    root, cache, model = demo_model
    out = root / "pred.csv"
    run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
        "--top-k", "3", "--quiet", cache=cache)
    source = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str,
                         keep_default_na=False)
    predicted = pd.read_csv(out, dtype=str, keep_default_na=False)
    # Input rows come back in order, unchanged, with one more column.
    pd.testing.assert_frame_equal(predicted[source.columns], source)
    vocabulary = set(json.loads((model / "hashtag_vocab.json").read_text())["tags"])
    for cell in predicted["predicted_hashtags"]:
        tags = cell.split()
        assert len(tags) == 3 and len(set(tags)) == 3 and set(tags) <= vocabulary
    scored = run("result_accuracy.py", out, "--top-k", "3", "--json", root / "m.json", cache=cache)
    assert "P@k" in scored.stdout
    metrics = json.loads((root / "m.json").read_text())
    assert metrics["n_posts"] == len(source)


def test_predict_without_hashtags_column_with_beam_search(demo_model, tmp_path):
    _, cache, model = demo_model
    posts = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str,
                        keep_default_na=False).drop(columns=["hashtags"]).head(6)
    (tmp_path / "images").symlink_to(REPO / "test_dataset" / "images")
    posts.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "pred.csv"
    run("predict.py", "--model", model, "--data", tmp_path / "new.csv", "--out", out,
        "--beam", "3", "--quiet", cache=cache)
    assert len(pd.read_csv(out)) == 6
    refused = run("predict.py", "--model", model, "--data", tmp_path / "new.csv", "--out", out,
                  cache=cache, expect=2)  # an existing output is never replaced silently
    assert "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    refused = run("predict.py", "--model", model, "--data", tmp_path / "new.csv", "--out",
                  tmp_path / "new.csv", "--overwrite", cache=cache, expect=2)
    assert "input" in refused.stderr


@pytest.mark.parametrize("decode", ["rank", "sequence"])
def test_predict_explain_draws_each_post_and_an_index_that_matches_the_csv(demo_model,
                                                                           tmp_path, decode):
    import html
    import re

    _, cache, model = demo_model
    out, why = tmp_path / "pred.csv", tmp_path / "why"
    done = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
               "--top-k", "3", "--decode", decode, "--explain", why, "--explain-limit", "4",
               "--chunk-size", "3", "--quiet", cache=cache)  # the limit spans two chunks
    assert str(why / "index.html") in done.stderr
    pngs = sorted(p.name for p in why.glob("*.png"))
    assert pngs == [f"post_{i:04d}.png" for i in range(1, 5)]
    page = (why / "index.html").read_text(encoding="utf-8")
    sections = page.split("<section")[1:]
    assert len(sections) == 4
    predicted = pd.read_csv(out, dtype=str, keep_default_na=False)["predicted_hashtags"]
    assert len(predicted) == 50  # every post predicted, the first four explained
    for number, section in enumerate(sections, 1):
        assert f'src="post_{number:04d}.png"' in section
        tags = [html.unescape(t) for t in re.findall(r'class="tag">#([^<]*)<', section)]
        assert tags == predicted[number - 1].split()
    refused = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out",
                  tmp_path / "again.csv", "--explain", why, cache=cache, expect=2)
    assert "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    refused = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out",
                  tmp_path / "again.csv", "--explain", tmp_path / "other", "--beam", "3",
                  cache=cache, expect=2)
    assert "beam" in refused.stderr and not (tmp_path / "other").exists()


def test_predict_honours_its_own_pixel_limit(demo_model, tmp_path):
    _, _, model = demo_model
    # A fresh cache: the limit guards decoding, and photos already cached are not decoded.
    refused = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out",
                  tmp_path / "p.csv", "--max-photo-pixels", "1000", cache=tmp_path / "cache",
                  expect=2)
    assert "over the pixel limit" in refused.stderr and "max_photo_pixels = 1,000" in \
        refused.stderr and "line 2" in refused.stderr and "Traceback" not in refused.stderr


def test_a_caption_flag_on_a_hashtag_model_is_refused(demo_model, tmp_path):
    _, cache, model = demo_model
    refused = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out",
                  tmp_path / "p.csv", "--caption-method", "write", cache=cache, expect=2)
    assert refused.stderr.count("\n") == 1 and "is a hashtag model" in refused.stderr
    assert not (tmp_path / "p.csv").exists()


def test_train_refuses_to_replace_a_model(demo_model):
    _, cache, model = demo_model
    refused = run("train.py", "--data", REPO / "dataset", "--out", model, cache=cache, expect=2)
    assert "--overwrite" in refused.stderr


def _headline(metrics: dict) -> list[float]:
    return [metrics["precision"][0], metrics["recall"][4], metrics["accuracy"][4]]


@pytest.mark.shared_data
def test_mediaeval_defaults_beat_the_popular_baseline_on_val(tmp_path):
    """The quality guard: the defaults, as a user runs them, must clearly beat popularity,
    and be at least level with the best baseline tuned on the folds.

    Recommending the most frequent tags scores P@1 0.746 on mediaeval val, so a model
    that ignores both its inputs is caught here, not only a broken one. The best baseline
    (multimodal-knn, the fold's settings) scores 0.790 in the mean of [P@1, R@5, A@5]; the
    defaults with seed 42 scored 0.797 (2026-12-06), and their mix is the one train.py chose.
    """
    from amnn.data.posts import read_posts
    from amnn.evaluate.baselines import make_baseline
    from amnn.evaluate.metrics import metrics_at_k

    data = SHARED / "mediaeval"
    if not (data / "train" / "image_text_tag.csv").is_file():
        pytest.skip(f"{data} is absent (set AMNN_SHARED_DATA to the shared data folder)")
    cache, model, out = tmp_path / "cache", tmp_path / "model", tmp_path / "val_pred.csv"
    run("train.py", "--data", data / "train", "--out", model, "--quiet", cache=cache)
    run("predict.py", "--model", model, "--data", data / "val", "--out", out, "--quiet",
        cache=cache)
    run("result_accuracy.py", out, "--json", tmp_path / "m.json", cache=cache)
    ours = _headline(json.loads((tmp_path / "m.json").read_text()))
    val = read_posts(data / "val")
    popular = make_baseline("popular").fit(read_posts(data / "train"))
    theirs = metrics_at_k(popular.recommend(val, 5), val.hashtags, 5)
    theirs = [theirs.precision[0], theirs.recall[4], theirs.accuracy[4]]
    print(f"defaults [P@1, R@5, A@5] {ours} vs popular {theirs}")
    assert sum(ours) / 3 >= sum(theirs) / 3 + GUARD_MARGIN, (ours, theirs)
    assert ours[1] > theirs[1] and ours[2] > theirs[2], (ours, theirs)
    chosen = json.loads(FOLD_CHOICES.read_text())["mediaeval"]["chosen"]
    best = 0.0
    for name in ("popular", "text-knn", "image-knn", "multimodal-knn"):
        photos = {"cache_dir": str(cache)} if "image" in name or "modal" in name else {}
        baseline = make_baseline(name, **chosen[name]["settings"], **photos)
        scored = metrics_at_k(baseline.fit(read_posts(data / "train")).recommend(val, 5),
                              val.hashtags, 5)
        best = max(best, (scored.precision[0] + scored.recall[4] + scored.accuracy[4]) / 3)
    assert sum(ours) / 3 >= best, (ours, best)
    assert "mix" in json.loads((model / "amnn_model.json").read_text())
