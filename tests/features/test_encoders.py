"""Tests of the image encoder registry, the EfficientNet-Lite0 port and ResNet50 errors.

The Lite0 port is checked against ImageNet classes on scikit-image's bundled photos; ResNet50
is only built with random weights, since its ImageNet weights need the internet.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skimage.data  # noqa: E402
import tensorflow as tf  # noqa: E402

from amnn.features.encoders import (encoder_feature_shape, encoder_names,  # noqa: E402
                                    get_encoder, register_encoder)
from amnn.features.encoders import efficientnet_lite, registry, resnet50  # noqa: E402
from amnn.features.encoders.image_encoder import ImageEncoder  # noqa: E402
from amnn.errors import EncoderError  # noqa: E402

# ImageNet class indices the photos should fall in.
CATS = (281, 282, 285)  # tabby, tiger cat, Egyptian cat
ESPRESSO = 967
ROCKETS = (657, 744)  # missile, projectile


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
    """One cache folder for the module, so no test writes to ~/.cache."""
    folder = tmp_path_factory.mktemp("amnn-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMNN_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def lite0(cache_dir):
    """The registry's Lite0 encoder; the first build converts and caches the weights."""
    return get_encoder("efficientnet_lite0")


@pytest.fixture(scope="module")
def photos(lite0):
    """chelsea, coffee and rocket prepared for Lite0, as one (3, 224, 224, 3) batch."""
    images = [skimage.data.chelsea(), skimage.data.coffee(), skimage.data.rocket()]
    return tf.stack([lite0.prepare(image) for image in images])


@pytest.fixture(scope="module")
def probabilities(cache_dir, photos):
    model = efficientnet_lite.load_efficientnet_lite0(include_top=True)
    return model(photos, training=False).numpy()


def test_lite0_top_model_has_the_published_parameter_count(cache_dir):
    assert efficientnet_lite.build_efficientnet_lite0(include_top=True).count_params() == 4_694_024


def test_lite0_classifies_the_cat(probabilities):
    assert probabilities[0].argmax() in CATS
    assert probabilities[0][list(CATS)].sum() > 0.7


def test_lite0_classifies_the_espresso(probabilities):
    assert probabilities[1].argmax() == ESPRESSO
    assert probabilities[1][ESPRESSO] > 0.8


def test_lite0_classifies_the_rocket(probabilities):
    assert probabilities[2].argmax() in ROCKETS


def test_lite0_region_features_feed_the_classifier(cache_dir, lite0, photos, probabilities):
    features = lite0.encode_batch(photos[:1])
    assert features.shape == (1, 49, 1280) and features.dtype == tf.float32
    assert lite0.feature_shape == (49, 1280) == encoder_feature_shape("efficientnet_lite0")
    # The top is pooling + dense, so pooled regions must reproduce the top model's output.
    dense = efficientnet_lite.load_efficientnet_lite0(include_top=True).get_layer("predictions")
    np.testing.assert_allclose(dense(tf.reduce_mean(features, axis=1)).numpy(),
                               probabilities[:1], atol=1e-5)


def test_converted_weights_are_cached_and_reused(tmp_path, monkeypatch, lite0, photos):
    first = get_encoder("efficientnet_lite0", cache_dir=str(tmp_path))
    cached = tmp_path / "encoders" / efficientnet_lite.CACHE_FILE
    assert cached.is_file()
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temp file left

    def no_conversion(path):
        raise AssertionError("converted again instead of reading the cache")

    monkeypatch.setattr(efficientnet_lite, "read_torch_state_dict", no_conversion)
    second = get_encoder("efficientnet_lite0", cache_dir=str(tmp_path))
    np.testing.assert_allclose(second.encode_batch(photos[:1]).numpy(),
                               first.encode_batch(photos[:1]).numpy(), atol=1e-6)


def test_corrupt_cache_gives_encoder_error(tmp_path):
    cached = tmp_path / "encoders" / efficientnet_lite.CACHE_FILE
    cached.parent.mkdir()
    cached.write_bytes(b"not an h5 file")
    with pytest.raises(EncoderError, match="delete it"):
        get_encoder("efficientnet_lite0", cache_dir=str(tmp_path))


def test_interrupted_cache_write_leaves_no_file(tmp_path):
    class Crashing:
        def save_weights(self, path):
            with open(path, "wb") as f:
                f.write(b"half a file")
            raise KeyboardInterrupt

    target = tmp_path / "encoders" / efficientnet_lite.CACHE_FILE
    with pytest.raises(KeyboardInterrupt):
        efficientnet_lite._save_atomically(Crashing(), target)
    assert list(target.parent.iterdir()) == []


def test_prepare_runs_in_tf_data_on_odd_shapes(lite0):
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, 100:200] = 200  # only the centre square survives the crop
    grey = tf.image.grayscale_to_rgb(tf.constant(skimage.data.camera()[..., None]))
    outputs = []
    for image in (wide, grey, skimage.data.camera()[..., None]):
        dataset = tf.data.Dataset.from_tensors(image).map(lite0.prepare)
        outputs.append(next(iter(dataset)))
    for out in outputs:
        assert out.shape == (224, 224, 3) and out.dtype == tf.float32
        assert -1.0 <= out.numpy().min() and out.numpy().max() <= 1.0
    np.testing.assert_allclose(outputs[0].numpy(), (200 - 127) / 128, atol=1e-5)
    np.testing.assert_allclose(outputs[1].numpy(), outputs[2].numpy())


def test_prepare_with_unknown_shape_in_a_graph(lite0):
    signature = tf.TensorSpec((None, None, None), tf.uint8)
    prepare = tf.function(lite0.prepare, input_signature=[signature])
    assert prepare(np.full((40, 60, 3), 127, np.uint8)).shape == (224, 224, 3)


def test_unknown_encoder_lists_known_names():
    with pytest.raises(EncoderError, match="efficientnet_lite0.*resnet50"):
        get_encoder("vgg16")
    with pytest.raises(EncoderError, match="known encoders"):
        encoder_feature_shape("vgg16")


def test_feature_shapes_without_building():
    assert encoder_names() == ("efficientnet_lite0", "resnet50")
    assert encoder_feature_shape("resnet50") == (49, 2048)


def test_resnet50_missing_weights_path_is_named(tmp_path):
    missing = tmp_path / "nowhere" / "resnet50.h5"
    with pytest.raises(EncoderError, match="nowhere"):
        get_encoder("resnet50", weights=str(missing))


def test_resnet50_offline_download_says_what_to_do(monkeypatch):
    def offline(**kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- "
                        "[Errno -2] Name or service not known")

    monkeypatch.setattr(keras.applications, "ResNet50", offline)
    with pytest.raises(EncoderError) as info:
        get_encoder("resnet50")
    message = str(info.value)
    assert "no internet" in message and "--encoder-weights" in message
    assert resnet50.WEIGHTS_FILE in message


def test_resnet50_random_weights_give_region_features(tmp_path):
    model = resnet50._build_resnet50(weights=None)
    encoder = ImageEncoder("resnet50", model, resnet50.preprocess_resnet50, resnet50.CHANNELS)
    image = encoder.prepare(skimage.data.coffee())
    assert image.shape == (224, 224, 3)
    assert encoder.encode_batch(image[None]).shape == (1, 49, 2048)

    # The same network rejects a weights file that is not ResNet50's.
    bad = tmp_path / "bad.weights.h5"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save_weights(bad)
    with pytest.raises(EncoderError, match="not ResNet50"):
        get_encoder("resnet50", weights=str(bad))


def test_registry_checks_registered_shape(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, "tiny", registry._Entry(
        lambda weights, cache_dir: tiny_encoder(), channels=4, grid=7))
    with pytest.raises(EncoderError, match="registered as"):
        get_encoder("tiny")


def test_a_registered_encoder_is_accepted_by_the_flags_and_config(monkeypatch):
    from amnn.cli import args as cli_args, train as train_cli

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_encoder("tiny", lambda weights, cache_dir: tiny_encoder(), channels=8)
    parsed = train_cli.build_parser().parse_args(["--data", "d", "--out", "m",
                                                  "--encoder", "tiny"])
    config = cli_args.config_from_args(parsed)
    assert config.encoder == "tiny"
    assert encoder_feature_shape(config.encoder) == (49, 8)
    assert get_encoder("tiny").feature_shape == (49, 8)


def tiny_encoder():
    inputs = keras.Input((224, 224, 3))
    outputs = keras.layers.Conv2D(8, 32, strides=32)(inputs)
    return ImageEncoder("tiny", keras.Model(inputs, outputs), lambda x: x / 255.0, channels=8)
