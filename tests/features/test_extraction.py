"""Tests of the HDF5 region-feature cache, on scikit-image's bundled photos and real Lite0."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skimage  # noqa: E402
import tensorflow as tf  # noqa: E402

from amnn.features.encoders import get_encoder  # noqa: E402
from amnn.errors import DataError  # noqa: E402
from amnn.features.cache_file import feature_cache_file  # noqa: E402
from amnn.features.extraction import ensure_features  # noqa: E402
from amnn.features.photo_table import load_features  # noqa: E402
from amnn.features.store import FeatureCache, FeaturesNotCachedError  # noqa: E402

SKIMAGE_DATA = Path(skimage.__file__).parent / "data"
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png")  # camera: grey
NAME = "efficientnet_lite0"


class Spy:
    """Wraps an encoder, counting the images it encodes; can stop after some batches."""

    def __init__(self, encoder, interrupt_after=None):
        self.encoder, self.name, self.feature_shape = encoder, encoder.name, encoder.feature_shape
        self.fingerprint = encoder.fingerprint
        self.prepare, self.interrupt_after = encoder.prepare, interrupt_after
        self.batches = self.images = 0

    def encode_batch(self, images):
        if self.batches == self.interrupt_after:
            raise KeyboardInterrupt
        self.batches += 1
        self.images += int(images.shape[0])
        return self.encoder.encode_batch(images)


@pytest.fixture(scope="module")
def lite0(tmp_path_factory):
    """The real Lite0 encoder, its converted weights cached once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMNN_CACHE_DIR", str(tmp_path_factory.mktemp("weights")))
        yield get_encoder(NAME)


@pytest.fixture
def spy(lite0, tmp_path, monkeypatch):
    """A counting Lite0, with this test's own feature cache folder."""
    monkeypatch.setenv("AMNN_CACHE_DIR", str(tmp_path / "cache"))
    return Spy(lite0)


@pytest.fixture
def photos(tmp_path):
    """Copies of the bundled photos, so tests may change them."""
    folder = tmp_path / "photos"
    folder.mkdir()
    return [str(shutil.copy(SKIMAGE_DATA / name, folder / name)) for name in PHOTOS]


def stored(key, encoder):
    with h5py.File(feature_cache_file(encoder), "r") as f:
        return f[key][:]


def test_extracts_float16_features_once_equal_to_the_encoder(spy, lite0, photos):
    path = ensure_features(photos + photos[:2], spy, batch_size=2, progress=False)
    assert path == feature_cache_file(spy) and spy.images == 5
    features = stored("features", spy)
    assert features.dtype == np.float16 and features.shape == (5, 49, 1280)
    assert np.isfinite(features).all() and stored("complete", spy).tolist() == [1] * 5
    ensure_features(photos, spy, progress=False)
    assert spy.images == 5
    images = [tf.io.decode_image(tf.io.read_file(p), channels=3, expand_animations=False)
              for p in photos]
    direct = lite0.encode_batch(tf.stack([lite0.prepare(image) for image in images])).numpy()
    np.testing.assert_allclose(features.astype(np.float32), direct, rtol=2e-3, atol=2e-3)


def test_changed_photo_is_recomputed_touched_photo_is_not(spy, photos):
    ensure_features(photos, spy, progress=False)
    before = stored("features", spy)
    shutil.copy(photos[1], photos[0])  # new content under the old name
    stat = os.stat(photos[2])
    os.utime(photos[2], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same content
    ensure_features(photos, spy, progress=False)
    assert spy.images == 6
    after = stored("features", spy)
    np.testing.assert_allclose(after[0].astype(np.float32), before[1].astype(np.float32),
                               atol=1e-2)
    assert stored("mtimes", spy)[2] == stat.st_mtime_ns + 10**9


def test_interrupted_run_resumes_where_it_stopped(lite0, spy, photos):
    stopping = Spy(lite0, interrupt_after=1)
    with pytest.raises(KeyboardInterrupt):
        ensure_features(photos, stopping, batch_size=2, progress=False)
    with FeatureCache(feature_cache_file(spy), NAME, (49, 1280),
                      fingerprint=spy.fingerprint) as cache:
        assert len(cache) == 2 and photos[0] in cache and photos[2] not in cache
    ensure_features(photos, spy, batch_size=2, progress=False)
    assert spy.images == 3


def test_unfinished_and_non_finite_rows_are_recomputed(spy, photos):
    ensure_features(photos, spy, progress=False)
    with h5py.File(feature_cache_file(spy), "a") as f:
        f["complete"][0] = 0
        f["features"][3, 7, 11] = np.nan
    with FeatureCache(feature_cache_file(spy), NAME, (49, 1280),
                      fingerprint=spy.fingerprint) as cache:
        assert cache.missing(photos) == [photos[0], photos[3]]
        with pytest.raises(FeaturesNotCachedError, match="astronaut.png"):
            cache.read(photos[:1])
    ensure_features(photos, spy, progress=False)
    assert spy.images == 7 and np.isfinite(stored("features", spy)).all()


@pytest.mark.parametrize("damage", ["not hdf5", "truncated"])
def test_corrupt_cache_is_moved_aside_not_deleted(spy, photos, capsys, damage):
    path = feature_cache_file(spy)
    if damage == "not hdf5":
        path.parent.mkdir(parents=True)
        path.write_bytes(b"not an HDF5 file")
    else:
        with FeatureCache(path, NAME, (49, 1280), fingerprint=spy.fingerprint) as cache:
            cache.write(photos, np.ones((len(photos), 49, 1280)))
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    damaged = path.read_bytes()
    ensure_features(photos[:1], spy, progress=False)
    aside = list(path.parent.glob(f"{path.name}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    assert "warning" in capsys.readouterr().err and stored("complete", spy).tolist() == [1]


def test_undecodable_photos_raise_after_the_good_ones_are_saved(spy, photos, tmp_path):
    bad = [tmp_path / "photos" / "x.jpg", tmp_path / "photos" / "y.png"]
    for i, path in enumerate(bad):
        path.write_bytes(np.random.default_rng(i).bytes(2000))
    with pytest.raises(DataError, match=r"x\.jpg.*cannot read.*1 more: .*y\.png") as err:
        ensure_features(photos[:2] + [str(p) for p in bad], spy, progress=False)
    assert err.value.path == str(bad[0])
    ensure_features(photos[:2], spy, progress=False)
    assert spy.images == 2


def test_missing_photo_raises_before_encoding(spy, photos):
    with pytest.raises(DataError, match="nowhere.jpg.*not found"):
        ensure_features(photos[:1] + ["nowhere.jpg"], spy, progress=False)
    assert spy.images == 0


def test_load_features_keeps_each_photo_once(spy, photos):
    ensure_features(photos[:3], spy, progress=False)
    respelled = str(Path(photos[1]).parent / "." / Path(photos[1]).name)
    features, index = load_features([photos[1], "", photos[0], respelled, photos[1]], spy)
    assert features.shape == (2, 49, 1280) and features.dtype == np.float16
    assert index.dtype == np.int32 and index.tolist() == [0, -1, 1, 0, 0]
    np.testing.assert_array_equal(features[1], stored("features", spy)[0])
    with pytest.raises(FeaturesNotCachedError, match="rocket.jpg"):
        load_features(photos, spy)
    features, index = load_features(["", ""], spy, cache_dir=str(Path(photos[0]).parent))
    assert features.shape == (0, 49, 1280) and index.tolist() == [-1, -1]


def test_cache_of_another_encoder_or_shape_is_refused(tmp_path):
    path, fingerprint = tmp_path / "f.h5", "ab" * 32
    with FeatureCache(path, NAME, (49, 1280), fingerprint=fingerprint) as cache:
        assert cache.write([str(path)], np.ones((1, 49, 1280))) == []
        assert str(path) in cache and len(cache) == 1
        np.testing.assert_array_equal(cache.read([str(path)] * 2), np.ones((2, 49, 1280)))
    with pytest.raises(DataError, match="shape"):
        FeatureCache(path, NAME, (49, 320), fingerprint=fingerprint)
    with pytest.raises(DataError, match="resnet50"):
        FeatureCache(path, "resnet50", (49, 1280), fingerprint=fingerprint)


def test_a_cache_that_opens_but_cannot_be_written_is_moved_aside(spy, photos, capsys,
                                                                 monkeypatch):
    # A run killed mid-write can leave a file whose reads work but whose next write fails
    # (h5py: "bad heap index"); the rows cached before it are then encoded again.
    ensure_features(photos[:2], spy, progress=False)
    real_write, failures = FeatureCache._write, []

    def fail_once(self, *args):
        if not failures:
            failures.append(1)
            raise OSError("Can't synchronously write data (bad heap index)")
        return real_write(self, *args)

    monkeypatch.setattr(FeatureCache, "_write", fail_once)
    ensure_features(photos, spy, progress=False)
    path = feature_cache_file(spy)
    assert len(list(path.parent.glob(f"{path.name}.corrupt-*"))) == 1
    assert "warning" in capsys.readouterr().err
    # 2 cached, the other 3 encoded but not written, then all 5 again into the new file
    assert spy.images == 2 + (len(photos) - 2) + len(photos)
    with FeatureCache(path, NAME, (49, 1280), mode="r", fingerprint=spy.fingerprint) as cache:
        assert cache.missing(photos) == []
