"""Phone photos are read upright, huge photos are refused from their header, and features
read another way get another cache file rather than being mixed with new ones.

A tiny untrained CNN stands in for the encoder (seconds, no weights): it is not rotation
invariant, so features of a photo read sideways differ from those of the upright photo.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.data.posts import CSV_NAME, read_posts  # noqa: E402
from amnn.errors import DataError  # noqa: E402
from amnn.features.encoders import get_encoder, register_encoder, registry  # noqa: E402
from amnn.features.encoders.image_encoder import ImageEncoder  # noqa: E402
from amnn.features.encoders import fingerprint  # noqa: E402
from amnn.features.cache_file import feature_cache_file  # noqa: E402
from amnn.features.extraction import ensure_features  # noqa: E402
from amnn.features.photo_table import load_features  # noqa: E402
from amnn.features.store import FeaturesNotCachedError  # noqa: E402
from amnn.features.photo_check import check_post_photos  # noqa: E402
from amnn.features.photo_reading import (  # noqa: E402
    ORIENTATION,
    decode_failure,
    decode_photo,
    decoder_messages_hidden,
    upright,
)
from amnn.features.shards import merge_shards, shard_cache_dir  # noqa: E402

IMAGES = Path(__file__).resolve().parents[2] / "dataset" / "images"
NAME = "tiny_reading"


def _tiny(weights, cache_dir):
    inputs = keras.Input((224, 224, 3))
    init = keras.initializers.RandomNormal(stddev=0.01, seed=7)
    grid = keras.layers.Conv2D(8, 32, strides=32, kernel_initializer=init)(inputs)  # 7x7x8
    return ImageEncoder(NAME, keras.Model(inputs, grid), lambda x: x / 255.0, 8)


@pytest.fixture(scope="module")
def tiny():
    register_encoder(NAME, _tiny, channels=8)
    yield get_encoder(NAME)
    registry._REGISTRY.pop(NAME, None)


class Counting:
    """Wraps an encoder, counting the photos it encodes."""

    def __init__(self, encoder):
        self.encoder, self.name, self.feature_shape = encoder, encoder.name, encoder.feature_shape
        self.prepare, self.images = encoder.prepare, 0
        self.fingerprint = encoder.fingerprint

    def encode_batch(self, images):
        self.images += int(images.shape[0])
        return self.encoder.encode_batch(images)


def save_with_orientation(image: Image.Image, path: Path, orientation: int) -> Path:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, quality=95, exif=exif)
    return path


@pytest.fixture
def phone_photos(tmp_path):
    """coffee.jpg upright, and stored sideways as a phone does: Orientation 6 and 8."""
    photo = Image.open(IMAGES / "coffee.jpg").convert("RGB")  # 600x400, not square
    paths = {1: photo.save(tmp_path / "upright.jpg", quality=95) or tmp_path / "upright.jpg"}
    # 6: "turn 90 degrees clockwise to view", so the pixels are stored turned anticlockwise.
    paths[6] = save_with_orientation(photo.transpose(Image.Transpose.ROTATE_90),
                                     tmp_path / "six.jpg", 6)
    paths[8] = save_with_orientation(photo.transpose(Image.Transpose.ROTATE_270),
                                     tmp_path / "eight.jpg", 8)
    return {o: str(p) for o, p in paths.items()}


@pytest.mark.parametrize("orientation", range(10))
def test_upright_turns_pixels_as_pillow_exif_transpose_does(orientation):
    stored = np.random.default_rng(orientation).integers(0, 256, (3, 5, 3), dtype=np.uint8)
    image = Image.fromarray(stored)
    image.getexif()[ORIENTATION] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(upright(tf.constant(stored), orientation).numpy(), expected)


def test_a_sideways_phone_photo_decodes_upright(phone_photos):
    for orientation in (6, 8):
        path = phone_photos[orientation]
        pixels = decode_photo(tf.io.read_file(path), 40_000_000).numpy()
        with Image.open(path) as image:
            assert image.size == (400, 600)  # stored sideways
            shown = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        assert pixels.shape == (400, 600, 3)  # coffee.jpg is 600x400
        # TensorFlow and Pillow decode JPEG a level or two apart; turned wrongly: ~50 apart.
        assert np.abs(pixels.astype(int) - shown).mean() < 3.0


def test_sideways_photos_give_the_features_of_the_upright_photo(tiny, phone_photos, tmp_path):
    paths = [phone_photos[o] for o in (1, 6, 8)]
    ensure_features(paths, tiny, cache_dir=str(tmp_path / "cache"), progress=False)
    features, index = load_features(paths, tiny, cache_dir=str(tmp_path / "cache"))
    up, six, eight = (features[i].astype(np.float32) for i in index)
    scale = np.abs(up).max()
    # Only JPEG's own losses differ between the files: a few levels of 255.
    assert np.abs(six - up).max() < 0.05 * scale and np.abs(eight - up).max() < 0.05 * scale
    # What the cache held before the fix, the photo read as stored, is far from it.
    sideways = tf.io.decode_image(tf.io.read_file(paths[1]), channels=3,
                                  expand_animations=False)
    as_stored = tiny.encode_batch(tf.stack([tiny.prepare(sideways)])).numpy()[0]
    assert np.abs(as_stored - up).max() > 0.2 * scale


def write_posts(folder: Path, names: list[str]) -> Path:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(IMAGES / name, folder / "images" / name)
    rows = [(f"images/{name}", f"caption {i}", "tag") for i, name in enumerate(names)]
    pd.DataFrame(rows, columns=["image_names", "tweets", "hashtags"]).to_csv(
        folder / CSV_NAME, index=False)
    return folder


def test_a_photo_over_the_limit_is_a_bad_photo_named_with_its_row(tiny, tmp_path, capsys):
    data = write_posts(tmp_path / "data", ["chelsea.jpg", "coffee.jpg"])  # 451x300, 600x400
    config = AMNNConfig(encoder=NAME, cache_dir=str(tmp_path / "cache"),
                        max_photo_pixels=200_000)
    posts = read_posts(data, check_images=False)
    with pytest.raises(DataError) as error:
        check_post_photos(posts, config, progress=False)
    message = str(error.value)
    assert error.value.path.endswith(CSV_NAME) and error.value.row == 3
    assert error.value.column == "image_names"
    assert "line 3: images/coffee.jpg (too large: 600x400 = 240,000 pixels, over " \
           "max_photo_pixels = 200,000)" in message
    assert "--max-photo-pixels" in message and "--on-bad-image skip" in message
    kept = check_post_photos(posts, config.replace(on_bad_image="skip"), progress=False)
    assert kept.line_numbers == [2]
    assert "1 post(s) with a bad photo (1 over the pixel limit; line 3)" in capsys.readouterr().err
    with pytest.raises(FeaturesNotCachedError):  # refused before decoding: nothing stored
        load_features([str(data / "images" / "coffee.jpg")], tiny, config.cache_dir)
    assert check_post_photos(posts, config.replace(max_photo_pixels=240_000),
                             progress=False).line_numbers == [2, 3]


def test_the_default_limit_refuses_a_huge_photo_from_its_header(tiny, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("L", (9000, 8000), 128).save(huge)  # 72 MP, a few hundred kB on disk
    assert AMNNConfig().max_photo_pixels < 9000 * 8000
    with pytest.raises(DataError, match=r"photo too large: 9000x8000 = 72,000,000 pixels, over "
                                        r"max_photo_pixels = 64,000,000; .*--max-photo-pixels"):
        ensure_features([str(huge)], tiny, cache_dir=str(tmp_path / "cache"), progress=False)


def test_another_photo_reading_gets_another_cache_file(phone_photos, tmp_path, monkeypatch):
    # The photo reading is part of every encoder fingerprint: features read the old way are
    # never mixed with new ones, and stay in their own file.
    cache_dir, photo = str(tmp_path / "cache"), phone_photos[6]
    before = Counting(_tiny(None, None))
    ensure_features([photo], before, cache_dir=cache_dir, progress=False)
    monkeypatch.setattr(fingerprint, "PHOTO_READING", "exif-upright-v2")
    after = Counting(_tiny(None, None))
    assert after.fingerprint != before.fingerprint
    with pytest.raises(DataError, match="no feature cache here"):
        load_features([photo], after, cache_dir)  # read-only: the old file is not read
    ensure_features([photo], after, cache_dir=cache_dir, progress=False)
    assert after.images == 1
    assert feature_cache_file(before, cache_dir).is_file()
    assert feature_cache_file(after, cache_dir).is_file()


def test_a_shard_made_before_fingerprints_is_not_merged(tiny, tmp_path):
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (8, 8)).save(photo)
    shard = shard_cache_dir(str(tmp_path), NAME, 1, 1)
    ensure_features([str(photo)], tiny, cache_dir=str(shard), progress=False)
    h5 = feature_cache_file(tiny, shard)
    with h5py.File(h5, "a") as f:  # as AMNN wrote it before caches were keyed by weights
        f.attrs["format_version"] = 1
        del f.attrs["fingerprint"]
    h5.rename(h5.with_name(f"{NAME}.h5"))
    with pytest.raises(DataError, match="refusing to merge: a feature cache made by an older"):
        merge_shards([shard], NAME, cache_dir=str(tmp_path))
    assert not feature_cache_file(tiny, str(tmp_path)).exists()


def _damaged_jpeg(tmp_path) -> str:
    """A JPEG with bytes after its data, as a broken upload leaves: it still decodes, and
    libjpeg prints "Corrupt JPEG data: ... extraneous bytes" from C while it does."""
    data = (IMAGES / "coffee.jpg").read_bytes()
    path = tmp_path / "damaged.jpg"
    path.write_bytes(data[:-2] + b"\x00" * 198 + data[-2:])
    return str(path)


def _decode_in_tf_data(path: str) -> tuple:
    photos = tf.data.Dataset.from_tensor_slices([path]).map(
        lambda p: decode_photo(tf.io.read_file(p), 40_000_000))
    return tuple(next(iter(photos)).shape)


def test_libjpeg_noise_is_hidden_and_python_messages_are_not(tmp_path, capfd):
    damaged = _damaged_jpeg(tmp_path)
    assert _decode_in_tf_data(damaged) == (400, 600, 3)
    assert "Corrupt JPEG data" in capfd.readouterr().err  # what users saw before
    with decoder_messages_hidden():
        assert _decode_in_tf_data(damaged) == (400, 600, 3)
        print("note: still shown", file=sys.stderr)
        with decoder_messages_hidden():  # nested: changes nothing
            os.write(2, b"Corrupt JPEG data: premature end of data segment\n")
    os.write(2, b"C writes show again\n")
    err = capfd.readouterr().err
    assert "Corrupt JPEG data" not in err
    assert "note: still shown" in err and "C writes show again" in err
    with decoder_messages_hidden(enabled=False):  # --verbose
        _decode_in_tf_data(damaged)
    assert "Corrupt JPEG data" in capfd.readouterr().err


def test_a_photo_that_cannot_be_decoded_is_reported_in_our_words_only(tmp_path, capfd):
    data = bytearray((IMAGES / "coffee.jpg").read_bytes())
    third = len(data) // 3
    data[third:third + 400] = b"\xff\xd0" * 200  # a damaged segment, then cut short
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(bytes(data[:int(len(data) * 0.8)]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        decode_photo(tf.io.read_file(str(broken)), 40_000_000)
    assert "Corrupt JPEG data" in capfd.readouterr().err  # libjpeg's words, unasked
    reason = decode_failure(str(broken), 40_000_000)
    assert "Invalid JPEG data" in reason and "Op:" not in reason
    assert capfd.readouterr().err == ""  # ours come from the caller, in one line
