"""Tests of amnn/evaluate/caption_baselines.py and `scripts/baselines.py --task caption`.

The photo tests use real photos of the embedded demo (`dataset/images/`) for training and
their crops (`test_dataset/images/`) as queries, through the real Lite0 encoder and cache.
"""

import importlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amnn.data.posts import read_posts
from amnn.errors import DataError
from amnn.evaluate.caption_baselines import (
    CAPTION_BASELINES,
    CaptionBaseline,
    make_caption_baseline,
)

REPO = Path(__file__).resolve().parents[2]

TRAIN = [  # (caption, hashtags)
    ("Storm floods the subway", "sandy nyc flood"),
    ("Power out in Brooklyn", "sandy nyc"),
    ("storm floods the SUBWAY!", "sandy"),  # the words of the first: that caption is seen twice
    ("Finish line tears", "boston"),
    ("Go Boston", "boston"),
    ("go boston!!", "cheer"),  # 'go boston' is seen twice, 'finish line tears' once
    ("Runners at the finish line", "boston marathon"),
    ("https://t.co/only-a-link", "sandy"),  # no word: never retrieved
    ("오늘 카페에서 라떼", "카페 커피"),
]
FREQUENT = "Storm floods the subway"  # seen twice, before 'go boston'


def write_posts(folder: Path, rows: list, columns=("tweets", "hashtags")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(columns)).to_csv(folder / "image_text_tag.csv", index=False)
    return folder


@pytest.fixture
def train(tmp_path):
    return read_posts(write_posts(tmp_path / "train", TRAIN))


def queries(tmp_path, tags: list[str]):
    rows = [(f"post {i}", cell) for i, cell in enumerate(tags)]
    return read_posts(write_posts(tmp_path / "new", rows), require_hashtags=False)


def test_frequent_gives_the_most_frequent_caption_to_every_post(train, tmp_path):
    new = queries(tmp_path, ["boston", "", "카페"])
    assert make_caption_baseline("frequent").fit(train).predict(new) == [FREQUENT] * 3


def test_retrieval_by_tags_copies_the_most_similar_posts_caption(train, tmp_path):
    new = queries(tmp_path, ["boston marathon", "카페", "sandy", "nyc", "", "unknowntag"])
    got = make_caption_baseline("retrieval-tags").fit(train).predict(new)
    assert got[0] == "Runners at the finish line"
    assert got[1] == "오늘 카페에서 라떼"
    assert got[2] == "storm floods the SUBWAY!"  # the post's own text, as written
    assert got[3] == "Power out in Brooklyn"  # {sandy, nyc} is nearer {nyc} than 3 tags are
    assert got[4] == got[5] == FREQUENT  # nothing to compare: the frequent caption


def test_ties_go_to_the_more_frequent_caption_then_the_earlier_post(train, tmp_path):
    # 'Finish line tears' and 'Go Boston' are both tagged only 'boston': an exact tie.
    got = make_caption_baseline("retrieval-tags").fit(train).predict(queries(tmp_path, ["boston"]))
    assert got == ["Go Boston"]  # its words are seen twice in training
    rows = [("second post", "rain"), ("first post", "rain")]
    tied = read_posts(write_posts(tmp_path / "tied", rows))
    got = make_caption_baseline("retrieval-tags").fit(tied).predict(queries(tmp_path, ["rain"]))
    assert got == ["second post"]  # equally frequent: the earlier post


def test_bad_names_options_and_misuse_are_explained(train, tmp_path):
    with pytest.raises(ValueError, match="frequent, retrieval-photo, retrieval-tags"):
        make_caption_baseline("popular")
    with pytest.raises(ValueError, match="alpha"):
        make_caption_baseline("retrieval-both", alpha=1.5)
    with pytest.raises(ValueError, match="fit"):
        make_caption_baseline("frequent").predict(train)
    with pytest.raises(DataError, match="photo"):
        make_caption_baseline("retrieval-photo").fit(train)
    untagged = read_posts(write_posts(tmp_path / "untagged", [("a post", "")]))
    with pytest.raises(DataError, match="hashtag"):
        make_caption_baseline("retrieval-tags").fit(untagged)
    no_words = read_posts(write_posts(tmp_path / "no_words", [("!!", "sandy")]))
    with pytest.raises(DataError, match="no training post has a caption"):
        make_caption_baseline("frequent").fit(no_words)
    new = read_posts(write_posts(tmp_path / "tagless", [("a",)], ("tweets",)),
                     require_hashtags=False)
    with pytest.raises(DataError, match="hashtags"):
        make_caption_baseline("retrieval-tags").fit(train).predict(new)
    assert set(CAPTION_BASELINES) == {"frequent", "retrieval-photo", "retrieval-tags",
                                      "retrieval-tags-meaning", "retrieval-both"}


def _photo_posts(tmp_path, name, rows):
    """Posts with photo paths that are never opened: features are given as arrays."""
    return read_posts(write_posts(tmp_path / name, rows, ("image_names", "tweets", "hashtags")),
                      check_images=False, require_hashtags=False)


def _photos(rows, table):
    """(features (U, 2 regions, C), rows) as `cached_photo_features` returns them."""
    return np.repeat(np.asarray(table, np.float16)[:, None, :], 2, axis=1), np.array(rows)


@pytest.mark.parametrize("name, alpha", [("frequent", 0.5), ("retrieval-tags", 0.5),
                                         ("retrieval-photo", 0.5), ("retrieval-both", 0.25)])
def test_a_saved_retriever_answers_as_the_fitted_one(tmp_path, name, alpha):
    """to_arrays -> .npz -> np.load(allow_pickle=False) -> from_arrays: the same captions."""
    train = _photo_posts(tmp_path, "train", [
        ("a.jpg", "Storm floods the subway", "sandy nyc"), ("b.jpg", "Go Boston!", "boston"),
        ("", "Rain again", "rain nyc"), ("a.jpg", "!!", "sandy"), ("c.jpg", "카페 라떼", "카페")])
    new = _photo_posts(tmp_path, "new", [("c.jpg", "", "boston"), ("", "", "nyc"),
                                         ("a.jpg", "", ""), ("b.jpg", "", "unknown")])
    train_photos = _photos([0, 1, -1, 0, 2], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    new_photos = _photos([0, -1, 1, 2], [[0, 0, 1], [1, 0.1, 0], [0, 1, 0]])
    fitted = CaptionBaseline(name, alpha).fit(train, train_photos)
    expected = fitted.predict(new, new_photos)
    np.savez(tmp_path / "retriever.npz", **fitted.to_arrays())
    with np.load(tmp_path / "retriever.npz", allow_pickle=False) as arrays:
        loaded = CaptionBaseline.from_arrays({key: arrays[key] for key in arrays.files})
    assert loaded.predict(new, new_photos) == expected
    assert "!!" not in loaded.captions and len(loaded.captions) == 4  # no word: not kept
    if name == "retrieval-photo":  # each new photo is one training photo's twin
        assert expected == ["카페 라떼", "Storm floods the subway", "Storm floods the subway",
                            "Go Boston!"]


def test_arrays_hold_no_objects_and_missing_ones_are_named(train):
    arrays = CaptionBaseline("retrieval-tags").fit(train).to_arrays()
    assert all(value.dtype != object for value in arrays.values())
    assert arrays["tags"].tolist()[0] == "sandy nyc flood"
    del arrays["tags"]
    with pytest.raises(ValueError, match="tags"):
        CaptionBaseline.from_arrays(arrays)


# Training photo -> (its test crop, its tags, the captions of its posts).
PHOTOS = {
    "chelsea.jpg": ("chelsea_face.jpg", "cat kitten", ["cat nap", "my sleepy tabby",
                                                       "My sleepy tabby!"]),
    "coffee.jpg": ("coffee_cup.jpg", "coffee latte", ["morning espresso"]),
    "rocket.jpg": ("rocket_pad.jpg", "rocket space", ["launch day at the pad"]),
    "horse.jpg": ("horse_mirrored.jpg", "horse", ["riding in the field"]),
}


@pytest.fixture(scope="module")
def photo_data(tmp_path_factory):
    """Training posts on 4 demo photos, queries on their crops; a private feature cache.

    Each crop is tagged like another subject's posts, so photo and tags disagree.
    """
    root = tmp_path_factory.mktemp("photos")
    rows, crops = [], []
    for name, (crop, tags, captions) in PHOTOS.items():
        for folder, photo in (("train", name), ("new", crop)):
            (root / folder / "images").mkdir(parents=True, exist_ok=True)
            source = REPO / ("dataset" if folder == "train" else "test_dataset") / "images"
            shutil.copy(source / photo, root / folder / "images" / photo)
        rows += [(f"images/{name}", caption, tags) for caption in captions]
        crops.append(f"images/{crop}")
    tags = [PHOTOS[name][1] for name in ("coffee.jpg", "horse.jpg", "rocket.jpg",
                                         "chelsea.jpg")]
    new = [(crop, "", tag) for crop, tag in zip(crops, tags)] + [("", "", "rocket space")]
    columns = ("image_names", "tweets", "hashtags")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMNN_CACHE_DIR", str(root / "cache"))
        yield (read_posts(write_posts(root / "train", rows, columns)),
               read_posts(write_posts(root / "new", new, columns)))


@pytest.mark.slow
def test_retrieval_by_photo_and_by_both(photo_data):
    train, new = photo_data

    def predict(name, **options):
        return make_caption_baseline(name, **options).fit(train).predict(new)

    photo = predict("retrieval-photo")
    # The cat photo's three posts tie: its caption seen twice wins over the earlier one.
    assert photo[:4] == ["my sleepy tabby", "morning espresso", "launch day at the pad",
                         "riding in the field"]
    assert photo[4] == "my sleepy tabby"  # no photo: the frequent caption
    tags = predict("retrieval-tags")
    assert tags == ["morning espresso", "riding in the field", "launch day at the pad",
                    "my sleepy tabby", "launch day at the pad"]
    assert predict("retrieval-both", alpha=1.0) == tags
    assert predict("retrieval-both", alpha=0.0) == photo
    both = predict("retrieval-both", alpha=0.5)
    assert both[2] == "launch day at the pad"  # photo and tags agree
    assert both[4] == "launch day at the pad"  # no photo: its tags decide


@pytest.fixture(scope="module")
def script():
    """The program behind scripts/baselines.py, run in this process."""
    return importlib.import_module("amnn.cli.baselines")


def test_script_writes_captions_that_result_accuracy_scores(tmp_path, script, capsys):
    train = write_posts(tmp_path / "train", TRAIN)
    new = write_posts(tmp_path / "new", [("Runners cross the finish line", "boston marathon"),
                                         ("", "카페"), ("lights out", "")])
    out = tmp_path / "runs" / "captions.csv"
    args = ["--task", "caption", "--train", str(train), "--data", str(new), "--out", str(out),
            "--quiet"]
    assert script.main(args + ["--method", "retrieval-tags"]) == 0
    source = pd.read_csv(new / "image_text_tag.csv", dtype=str, keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written[source.columns], source)  # rows unchanged, in order
    assert written["predicted_caption"].tolist() == [
        "Runners at the finish line", "오늘 카페에서 라떼", FREQUENT]
    assert "predicted_hashtags" not in written

    scorer = importlib.import_module("amnn.cli.score")
    assert scorer.main([str(out)]) == 0
    assert "evaluated 2 posts (0 with an empty prediction); skipped 1" in capsys.readouterr().out
    assert script.main(args + ["--method", "frequent", "--overwrite"]) == 0
    assert set(pd.read_csv(out)["predicted_caption"]) == {FREQUENT}


def test_script_checks_methods_and_flags_against_the_task(script, tmp_path, capsys):
    base = ["--train", "t", "--data", "d", "--out", "p.csv"]
    for extra in (["--task", "caption", "--method", "popular"],
                  ["--method", "retrieval-tags"],  # --task hashtags is the default
                  ["--task", "caption", "--method", "retrieval-tags", "--alpha", "0.5"],
                  ["--task", "caption", "--method", "retrieval-tags", "--neighbors", "3"],
                  ["--task", "caption", "--method", "frequent", "--cache-dir", "c"]):
        with pytest.raises(SystemExit) as stop:
            script.parse_args(base + extra)
        assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "not a --task caption method" in err and "does not apply" in err
    args = script.parse_args(base + ["--task", "caption", "--method", "retrieval-both",
                                     "--alpha", "0.3", "--cache-dir", "c", "--quiet"])
    assert script.baseline_options(args) == {"alpha": 0.3, "cache_dir": "c", "progress": False}
    assert script.CAPTION_METHODS == tuple(CAPTION_BASELINES)

    train = write_posts(tmp_path / "train", TRAIN)
    new = write_posts(tmp_path / "new", [("a",)], ("tweets",))
    assert script.main(["--task", "caption", "--method", "retrieval-tags", "--train", str(train),
                        "--data", str(new), "--out", str(tmp_path / "p.csv"), "--quiet"]) == 2
    assert "hashtags" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()
