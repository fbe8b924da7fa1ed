"""Tests of the seeded split by image."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from amnn.errors import DataError
from amnn.data.splits import split_by_image


def fake_posts(image_paths):
    return SimpleNamespace(image_paths=list(image_paths), csv_path=Path("posts.csv"))


def check_partition(posts, train, val):
    assert train.dtype == val.dtype == np.int64
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(posts.image_paths)))
    train_images = {posts.image_paths[i] for i in train} - {""}
    val_images = {posts.image_paths[i] for i in val} - {""}
    assert not train_images & val_images


def test_no_image_on_both_sides():
    paths = [f"img{i % 23}.jpg" for i in range(200)] + [""] * 50
    posts = fake_posts(paths)
    for seed in range(5):
        train, val = split_by_image(posts, 0.2, seed)
        check_partition(posts, train, val)
        assert 0.15 <= len(val) / len(paths) <= 0.35


def test_seeded_and_deterministic():
    posts = fake_posts([f"{i % 10}.jpg" for i in range(100)])
    first = split_by_image(posts, 0.3, 7)
    again = split_by_image(posts, 0.3, 7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    others = [split_by_image(posts, 0.3, seed)[1].tolist() for seed in range(8)]
    assert len({tuple(v) for v in others}) > 1


def test_text_only_posts_split_individually():
    posts = fake_posts([""] * 10)
    train, val = split_by_image(posts, 0.3, 0)
    check_partition(posts, train, val)
    assert len(val) == 3


def test_at_least_one_on_each_side():
    posts = fake_posts(["a.jpg", "b.jpg"])
    train, val = split_by_image(posts, 0.01, 0)
    assert len(train) == 1 and len(val) == 1
    train, val = split_by_image(fake_posts(["a.jpg", "a.jpg", "b.jpg"]), 0.9, 0)
    assert len(train) >= 1 and len(val) >= 1


def test_zero_fraction_keeps_everything():
    train, val = split_by_image(fake_posts(["a.jpg"]), 0.0, 0)
    assert train.tolist() == [0] and val.size == 0


@pytest.mark.parametrize("paths", [["a.jpg"], ["a.jpg", "a.jpg", "a.jpg"], [""]])
def test_too_few_to_split(paths):
    with pytest.raises(DataError, match="--val"):
        split_by_image(fake_posts(paths), 0.1, 0)


def test_bad_fraction():
    with pytest.raises(ValueError, match="val_fraction"):
        split_by_image(fake_posts(["a", "b"]), 1.0, 0)


def test_works_on_posts(tmp_path):
    from amnn.data.posts import read_posts

    (tmp_path / "image_text_tag.csv").write_text("tweets,hashtags\na,x\nb,y\nc,z\nd,w\n")
    posts = read_posts(tmp_path)
    train, val = split_by_image(posts, 0.25, 1)
    assert len(posts.select(train)) + len(posts.select(val)) == 4 and len(val) == 1
