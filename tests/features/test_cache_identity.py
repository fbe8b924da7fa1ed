"""The feature cache is keyed by the encoder's weights and preprocessing, never its name alone.

Tiny untrained encoders (one 32x32 convolution, 8 channels) on the demo photos: two of them
share a name but not their weights, and must never read each other's features.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from amnn.errors import DataError  # noqa: E402
from amnn.features.encoders import fingerprint as fingerprints  # noqa: E402
from amnn.features.encoders import register_encoder, registry  # noqa: E402
from amnn.features.encoders.image_encoder import ImageEncoder  # noqa: E402
from amnn.features.cache_file import feature_cache_file  # noqa: E402
from amnn.features.extraction import ensure_features  # noqa: E402
from amnn.features.photo_table import load_features  # noqa: E402
from amnn.features.store import FeatureCache  # noqa: E402
from amnn.features.shards import merge_shards, shard_cache_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PHOTOS = sorted(str(p) for p in (REPO / "dataset" / "images").glob("*.jpg"))[:3]
NAME = "tiny"


def tiny(scale=1.0, preprocessing=None, normalize=lambda x: x / 255.0):
    """A tiny encoder named NAME; `scale` multiplies its (fixed) weights."""
    inputs = keras.Input((224, 224, 3))
    conv = keras.layers.Conv2D(8, 32, strides=32)
    model = keras.Model(inputs, conv(inputs))
    rng = np.random.default_rng(0)
    conv.set_weights([scale * rng.normal(0, 0.01, w.shape).astype("float32")
                      for w in conv.get_weights()])
    return ImageEncoder(NAME, model, normalize, 8, preprocessing=preprocessing)


def direct(encoder, paths):
    """The encoder's features of `paths`, computed without any cache."""
    images = [encoder.prepare(tf.io.decode_image(tf.io.read_file(p), channels=3,
                                                 expand_animations=False)) for p in paths]
    return encoder.encode_batch(tf.stack(images)).numpy()


class Counting:
    """Wraps an encoder, counting the images it encodes."""

    def __init__(self, encoder):
        self.encoder, self.images = encoder, 0
        self.name, self.feature_shape = encoder.name, encoder.feature_shape
        self.fingerprint, self.prepare = encoder.fingerprint, encoder.prepare

    def encode_batch(self, images):
        self.images += int(images.shape[0])
        return self.encoder.encode_batch(images)


def test_same_name_other_weights_never_share_features(tmp_path):
    cache = str(tmp_path)
    first, second = Counting(tiny(1.0)), Counting(tiny(2.0))
    assert first.fingerprint != second.fingerprint
    assert feature_cache_file(first, cache) != feature_cache_file(second, cache)
    assert ensure_features(PHOTOS, first, cache, progress=False) == feature_cache_file(first, cache)
    ensure_features(PHOTOS, second, cache, progress=False)
    assert second.images == len(PHOTOS)  # nothing reused from the other weights' features
    for encoder in (first, second):
        features, _ = load_features(PHOTOS, encoder, cache)
        np.testing.assert_allclose(features.astype("float32"), direct(encoder.encoder, PHOTOS),
                                   rtol=2e-3, atol=2e-3)
    ensure_features(PHOTOS, first, cache, progress=False)  # its own file is still whole
    assert first.images == len(PHOTOS)
    assert len(list((tmp_path / "features").glob("tiny-*.h5"))) == 2


def test_the_fingerprint_depends_on_what_features_depend_on(monkeypatch):
    base = tiny(1.0, preprocessing="x / 255, v1")
    assert tiny(1.0, preprocessing="x / 255, v1").fingerprint == base.fingerprint  # stable
    assert tiny(1.0, preprocessing="x / 255, v2").fingerprint != base.fingerprint
    assert tiny(1.0001, preprocessing="x / 255, v1").fingerprint != base.fingerprint
    # Without a version string, the code of `normalize` stands for the preprocessing.
    assert (tiny(normalize=lambda x: x / 255.0).fingerprint
            == tiny(normalize=lambda x: x / 255.0).fingerprint)
    assert (tiny(normalize=lambda x: x / 127.5).fingerprint
            != tiny(normalize=lambda x: x / 255.0).fingerprint)
    monkeypatch.setattr(fingerprints, "PHOTO_READING", "another-reading-v2")
    assert tiny(1.0, preprocessing="x / 255, v1").fingerprint != base.fingerprint


def test_a_file_with_another_fingerprint_is_refused_with_what_to_do(tmp_path):
    encoder = tiny()
    path = ensure_features(PHOTOS[:1], encoder, str(tmp_path), progress=False)
    with h5py.File(path, "a") as f:
        f.attrs["fingerprint"] = "0" * 64  # e.g. a file renamed by hand
    for mode in ("a", "r"):
        with pytest.raises(DataError, match="other weights or preprocessing.*delete it") as err:
            FeatureCache(path, NAME, (49, 8), mode, fingerprint=encoder.fingerprint)
        assert err.value.path == str(path)
    with pytest.raises(DataError, match="fingerprint 000000000000, not"):
        ensure_features(PHOTOS[:1], encoder, str(tmp_path), progress=False)
    with pytest.raises(DataError, match="other weights"):
        load_features(PHOTOS[:1], encoder, str(tmp_path))
    with pytest.raises(TypeError, match="encoder from get_encoder"):
        load_features(PHOTOS[:1], NAME, str(tmp_path))


def test_an_older_cache_keyed_by_name_is_left_alone_and_never_read(tmp_path, capsys):
    encoder = tiny()
    older = tmp_path / "features" / f"{NAME}.h5"  # format 1: no fingerprint in its attrs
    with FeatureCache(older, NAME, (49, 8), fingerprint="x") as cache:
        cache.write(PHOTOS[:1], np.zeros((1, 49, 8)))
    with h5py.File(older, "a") as f:
        f.attrs["format_version"] = 1
        del f.attrs["fingerprint"]
    before = older.read_bytes()
    counting = Counting(encoder)
    ensure_features(PHOTOS[:1], counting, str(tmp_path), progress=False)
    assert counting.images == 1 and older.read_bytes() == before
    assert f"{older}" in capsys.readouterr().err  # noted once, when the new file starts
    ensure_features(PHOTOS[:1], counting, str(tmp_path), progress=False)
    assert counting.images == 1 and capsys.readouterr().err == ""
    with pytest.raises(DataError, match="older AMNN, keyed by the encoder's name alone"):
        FeatureCache(older, NAME, (49, 8), "r", fingerprint=encoder.fingerprint)


@pytest.fixture
def registered():
    """NAME known to the registry (a merge reads its feature shape there), then forgotten."""
    register_encoder(NAME, lambda weights, cache_dir: tiny(), channels=8)
    yield
    registry._REGISTRY.pop(NAME)


def test_shards_of_other_weights_are_refused_at_the_merge(tmp_path, registered):
    main = str(tmp_path / "main")
    first, second = tiny(1.0), tiny(2.0)
    shards = [shard_cache_dir(main, NAME, i, 2) for i in (1, 2)]
    ensure_features(PHOTOS[:1], first, str(shards[0]), progress=False)
    ensure_features(PHOTOS[1:2], second, str(shards[1]), progress=False)
    with pytest.raises(DataError, match="refusing to merge.*other weights"):
        merge_shards(shards, NAME, cache_dir=main)
    assert not (Path(main) / "features").exists()  # nothing was written
    with pytest.raises(DataError, match="refusing to merge.*other weights"):
        merge_shards(shards[1:], NAME, cache_dir=main, fingerprint=first.fingerprint)
    counts = merge_shards(shards[:1], NAME, cache_dir=main, fingerprint=first.fingerprint)
    assert counts["merged"] == 1
    features, _ = load_features(PHOTOS[:1], first, main)  # the merge went to first's file
    assert features.shape == (1, 49, 8)
