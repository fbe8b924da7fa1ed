"""The speed benchmark's parts: the published-way reference input, memory probes, goals."""

import os

import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.inputs.pipeline import make_dataset  # noqa: E402
from amnn.model.network import ModelSizes, build_amnn  # noqa: E402
from amnn.data.vocabulary import BOS, EOS  # noqa: E402
from benchmarks.common.memory import PeakMemory  # noqa: E402
from benchmarks.speed.benchmark import goal_status  # noqa: E402
from benchmarks.speed.published_reference import published_batches, published_input_adapter  # noqa: E402
from benchmarks.speed.stream import run_with_peak_memory, write_text_csv  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402

TINY = dict(word_embedding_dim=4, text_units=4, attention_units=4, region_units=4,
            tag_embedding_dim=4, decoder_units=6, dropout=0.0)
POSTS = EncodedPosts([[3, 4], [5], [6, 7, 8]], np.array([0, 1, 2]),
                     [[5, 6, EOS], [7, EOS], [4, EOS]])


def test_published_batches_are_one_hot_and_copy_the_photo_to_every_step():
    features = np.arange(3 * 49 * 2, dtype=np.float32).reshape(3, 49, 2)
    inputs, targets = next(published_batches(POSTS, features, vocab_size=9, batch_size=3))
    assert inputs["tag_onehot"].shape == (3, 3, 9) and inputs["text_ids"].shape == (3, 3)
    for row, target in enumerate(targets.tolist()):
        previous = [BOS] + [t for t in target if t][:-1]
        hot = inputs["tag_onehot"][row].argmax(-1)[:len(previous)].tolist()
        assert hot == previous and inputs["tag_onehot"][row].sum() == len(previous)
    post = POSTS.targets.index([t for t in targets[0].tolist() if t])
    np.testing.assert_array_equal(inputs["image_steps"][0, 2], features[post])


def test_adapter_gives_the_same_logits_as_our_inputs():
    config = AMNNConfig(**TINY)
    sizes = ModelSizes(10, 9, (49, 2))
    model = build_amnn(config, sizes)
    features = np.random.default_rng(0).normal(size=(3, 49, 2)).astype(np.float32)
    published, _ = next(published_batches(POSTS, features, 9, batch_size=3, seed=1))
    adapter = published_input_adapter(model, 9, (49, 2), with_text=True, with_image=True)
    ours = {"text_ids": published["text_ids"],
            "tag_inputs": published["tag_onehot"].argmax(-1) * (published["tag_onehot"].max(-1) > 0),
            "image_regions": published["image_steps"][:, 0].astype(np.float16),
            "image_index": np.arange(3, dtype=np.int32)}
    np.testing.assert_allclose(adapter.predict(published, verbose=0),
                               model.predict(ours, verbose=0), atol=1e-5)


def test_our_pipeline_and_the_published_one_feed_the_same_targets():
    ours = next(iter(make_dataset(POSTS, None, batch_size=3)))[1].numpy()
    published = next(published_batches(EncodedPosts(POSTS.text_ids, None, POSTS.targets),
                                       None, 9, batch_size=3))[1]
    assert sorted(map(tuple, ours.tolist())) == sorted(map(tuple, published.tolist()))


def test_peak_memory_sees_an_allocation():
    with PeakMemory() as probe:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
        # The probe samples every 5 ms: on busy cores, a block freed at once can be missed.
        time.sleep(0.2)
        del block
    assert probe.growth > 40


def test_child_peak_memory_and_text_csv(tmp_path):
    path = write_text_csv(["hello", "a, \"quoted\"\nline"], 5, tmp_path / "x.csv")
    assert path.read_text().count("hello") == 3
    command = [sys.executable, "-c", "import numpy as np; a = np.ones(2**27 // 8); print(a.sum())"]
    seconds, peak_mib, _ = run_with_peak_memory(command, dict(os.environ))
    assert peak_mib > 100 and seconds > 0
    with pytest.raises(RuntimeError, match="failed"):
        run_with_peak_memory([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))


def test_goal_status_reads_each_relation():
    checks = goal_status({"decode_ratio": 150.0, "stream_peak_rss_mib": 900.0,
                          "train_memory_ratio": 0.1})
    assert not checks["decode_ratio"]["met"] and checks["stream_peak_rss_mib"]["met"]
    assert checks["train_memory_ratio"]["met"] and "extract_efficiency" not in checks
