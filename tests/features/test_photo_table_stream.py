"""`photo_table` streams real cached features from disk exactly as it holds them in memory."""

from pathlib import Path

import numpy as np

from amnn.config import AMNNConfig
from amnn.features.cache_rows import CachedFeatureRows
from amnn.features.photo_table import photo_table, streams

IMAGES = Path(__file__).resolve().parents[2] / "dataset" / "images"


def test_streamed_table_equals_the_table_in_memory(tmp_path):
    photos = sorted(str(p) for p in IMAGES.glob("*.jpg"))[:3]
    paths = [photos[0], "", photos[1], photos[0], photos[2]]  # a repeat, a post without photo
    config = AMNNConfig(cache_dir=str(tmp_path))
    memory = photo_table(paths, config.replace(photo_features="memory"), progress=False)
    streamed = photo_table(paths, config.replace(photo_features="stream"), progress=False)
    assert isinstance(streamed.features, CachedFeatureRows)
    assert isinstance(memory.features, np.ndarray)
    np.testing.assert_array_equal(memory.rows, streamed.rows)
    assert streamed.rows[1] == len(streamed.features) - 1  # the blank row
    every = np.arange(len(memory.features))
    np.testing.assert_array_equal(memory.features, streamed.features[every])
    assert not streamed.features[[streamed.rows[1]]].any()


def test_auto_streams_only_past_the_memory_budget():
    paths = [f"photo{i}.jpg" for i in range(200)]  # 200 x 125 KB: about 24 MiB
    assert not streams(paths, AMNNConfig(photo_memory_mib=25))
    assert streams(paths, AMNNConfig(photo_memory_mib=20))
    assert not streams(paths, AMNNConfig(photo_memory_mib=20, photo_features="memory"))
    assert not streams(paths, AMNNConfig(photo_features="stream", include_image=False))
