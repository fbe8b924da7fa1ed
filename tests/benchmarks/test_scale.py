"""The scale benchmark's synthetic data: posts, photos and a cache train.py finds complete."""

import os
from collections import Counter

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.data.posts import read_posts  # noqa: E402
from amnn.features.store import FeatureCache  # noqa: E402
from benchmarks.scale.benchmark import head_csv, parse_sizes  # noqa: E402
from benchmarks.scale.data import remove_tree, write_synthetic  # noqa: E402
from benchmarks.scale.report import goal_status, scale_markdown  # noqa: E402


@pytest.fixture(scope="module")
def tiny_encoder():
    """A registered 8-channel encoder, built once (its fingerprint names the cache file)."""
    import keras

    from amnn.features.encoders import register_encoder, registry
    from amnn.features.encoders.image_encoder import ImageEncoder
    from amnn.features.photo_table import shared_encoder

    def tiny(weights, cache_dir):
        inputs = keras.Input((224, 224, 3))
        grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)
        return ImageEncoder("scale_tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)

    register_encoder("scale_tiny", tiny, channels=8)
    yield lambda cache_dir: shared_encoder("scale_tiny", None, str(cache_dir))
    registry._REGISTRY.pop("scale_tiny")


def test_the_synthetic_set_is_complete_in_the_cache_and_long_tailed(tmp_path, tiny_encoder):
    from amnn.features.photo_table import photo_table

    cache_dir = tmp_path / "cache"
    encoder = tiny_encoder(cache_dir)
    made = write_synthetic(tmp_path / "data", cache_dir, encoder, photos=20, posts=300)
    posts = read_posts(tmp_path / "data")
    assert len(posts) == 300 and len(set(posts.image_paths)) == 20
    assert all(1 <= len(tags) <= 5 for tags in posts.hashtags)
    # What train.py and predict.py ask the cache: nothing to encode, every row complete.
    with FeatureCache(made.cache_file, encoder.name, encoder.feature_shape,
                      fingerprint=encoder.fingerprint) as cache:
        assert cache.missing(posts.image_paths) == [] and len(cache) == 20
    config = AMNNConfig(encoder="scale_tiny", cache_dir=str(cache_dir), photo_features="memory")
    table = photo_table(posts.image_paths, config, progress=False, extract=False)
    assert table.features.shape == (21, 49, 8) and np.isfinite(table.features).all()
    assert (table.features[:-1] > 0).all() and not table.features[-1].any()  # blank last row
    # Long tails: the most shared photo and the most used tag stand far above the median.
    photo_posts = Counter(posts.image_paths).most_common()
    assert photo_posts[0][1] >= 5 * photo_posts[len(photo_posts) // 2][1]
    tag_posts = Counter(tag for tags in posts.hashtags for tag in tags).most_common()
    assert tag_posts[0][1] >= 5 * tag_posts[len(tag_posts) // 2][1]
    remove_tree(tmp_path / "data")
    remove_tree(cache_dir)
    assert not (tmp_path / "data").exists() and not cache_dir.exists()


def test_photos_are_distinct_files_of_one_real_jpeg(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    encoder = SimpleNamespace(name="efficientnet_lite0", feature_shape=(49, 4),
                              fingerprint="cd" * 32)
    write_synthetic(tmp_path / "d", tmp_path / "c", encoder, photos=3, posts=3)
    photos = sorted((tmp_path / "d" / "images").iterdir())
    assert [p.name for p in photos] == ["p0000000.jpg", "p0000001.jpg", "p0000002.jpg"]
    with Image.open(photos[2]) as image:
        assert image.size == (32, 32)
    subset = tmp_path / "d" / "head.csv"
    assert head_csv(tmp_path / "d" / "image_text_tag.csv", subset, 2) == 2
    assert len(read_posts(subset)) == 2


def test_sizes_flag_and_goals():
    assert parse_sizes("50000:1000000,1000:20000") == [(1000, 20000), (50000, 1000000)]
    with pytest.raises(Exception, match="POSTS >= PHOTOS"):
        parse_sizes("100:10")
    stage = {"seconds": 1.0, "rss_mib": 900, "peak_mib": 950}
    rows = [{"photos": p, "posts": 20 * p, "feature_cache_gib": p / 8000,
             "photo_table": table, "train_samples_per_s": speed, "train_peak_rss_mib": rss,
             "predict_posts_per_s": 900.0, "predict_peak_rss_mib": 1200.0,
             "predict_posts": 20000, "distinct_photos_per_batch": 40.0, "tag_vocab": 1900,
             "word_vocab": 5000, "stages": {"prepare": stage}}
            for p, table, speed, rss in ((1000, "ndarray", 300.0, 1400.0),
                                          (50000, "CachedFeatureRows", 200.0, 2100.0))]
    goals = goal_status(rows)
    assert goals["train_speed_share"] == {"value": 0.67, "goal": ">= 0.7",
                                          "photos": [1000, 50000], "met": False}
    assert not goals["train_peak_rss_mib"]["met"]
    text = scale_markdown({"machine": "m", "minutes": 20.0, "command": "c", "steps": 100,
                           "batch_size": 64, "sizes": rows, "goals": goals})
    assert "| 50,000 | 1,000,000 | 6.25 GiB | streamed |" in text and "**missed**" in text
