"""Tests of amnn/evaluate/baselines.py and scripts/baselines.py on tiny posts whose answers are known.

The image tests use real photos of the embedded demo (`dataset/images/`) for training and
their crops (`test_dataset/images/`) as queries, through the real Lite0 encoder and cache.
"""

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from amnn.evaluate.baselines import BASELINES, make_baseline
from amnn.errors import DataError
from amnn.evaluate.metrics import metrics_at_k
from amnn.data.posts import read_posts
from amnn.data.vocabulary import HashtagVocabulary

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "baselines.py"
SHARED = Path(os.environ.get("AMNN_SHARED_DATA", REPO.parent / "shared" / "data"))

TEXT_POSTS = [  # (caption, hashtags)
    ("hurricane flooding the subway in lower manhattan", "sandy nyc flood"),
    ("sandy knocked the power out in brooklyn", "sandy nyc"),
    ("runners crossing the finish line on boylston street", "boston marathon"),
    ("blue and yellow ribbons for the marathon", "boston prayforboston"),
    ("the old temple in kathmandu collapsed", "nepal earthquake"),
    ("오늘 카페에서 라떼 한잔 했어요", "카페 커피"),
    ("카페에서 친구랑 커피 마시기", "카페 커피 일상"),
    ("한강 공원에서 자전거 산책", "한강 산책"),
    ("", "sandy"),
]
# Training photo -> (its test crop, its tags, posts that share it, caption of those posts).
PHOTOS = {
    "chelsea.jpg": ("chelsea_face.jpg", "cat kitten", 20, "my sleepy tabby"),
    "coffee.jpg": ("coffee_cup.jpg", "coffee latte", 1, "morning espresso"),
    "rocket.jpg": ("rocket_pad.jpg", "rocket space", 2, "launch day at the pad"),
    "horse.jpg": ("horse_mirrored.jpg", "horse", 1, "riding in the field"),
}


def write_posts(folder: Path, rows: list, columns=("tweets", "hashtags")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(columns)).to_csv(folder / "image_text_tag.csv", index=False)
    return folder


@pytest.fixture
def text_data(tmp_path):
    train = write_posts(tmp_path / "train", TEXT_POSTS)
    queries = [("flooding in manhattan", "sandy nyc"), ("카페에서 커피", "카페 커피"),
               ("the finish line", "boston marathon"), ("", ""), ("zebra xylophone", "")]
    return read_posts(train), read_posts(write_posts(tmp_path / "new", queries))


def test_popular_gives_the_most_frequent_tags_to_every_post(text_data):
    train, new = text_data
    expected = HashtagVocabulary.build(train.hashtags, min_count=1).most_frequent(4)
    assert expected == ["sandy", "nyc", "boston", "카페"]  # ties: first seen in training first
    assert make_baseline("popular").fit(train).recommend(new, k=4) == [expected] * len(new)


def test_text_knn_recommends_the_tags_of_posts_with_the_same_words(text_data):
    train, new = text_data
    got = make_baseline("text-knn", n_neighbors=2).fit(train).recommend(new, k=2)
    assert got[0] == ["sandy", "nyc"]
    assert got[1] == ["카페", "커피"]  # Hangul among English: word tokens
    assert got[2] == ["boston", "marathon"]


def test_text_knn_on_korean_posts_matches_words_whatever_their_particle(tmp_path):
    cafe = ["카페에서 라떼 한잔", "카페가 예쁘다", "카페는 조용해", "카페로 출근", "카페의 커피",
            "카페에 왔어요"]
    park = ["공원에서 산책", "공원이 넓다", "공원은 조용해", "공원으로 가자", "공원의 나무",
            "공원에 왔어요"]
    rows = [(text, "카페 커피") for text in cafe] + [(text, "한강 산책") for text in park]
    train = read_posts(write_posts(tmp_path / "train", rows))
    new = read_posts(write_posts(tmp_path / "new", [("카페를 찾았다", ""), ("공원을 걸었다", "")]))
    # Split at spaces, "카페를" was never seen; soynlp cuts it into "카페" + "를".
    got = make_baseline("text-knn", n_neighbors=3).fit(train).recommend(new, k=2)
    assert got == [["카페", "커피"], ["한강", "산책"]]


def test_text_knn_fills_a_short_list_with_popular_tags(text_data):
    train, new = text_data
    knn = make_baseline("text-knn", n_neighbors=1).fit(train)
    popular = make_baseline("popular").fit(train).recommend(new, k=5)
    got = knn.recommend(new, k=5)
    assert got[2][:2] == ["boston", "marathon"]
    assert got[2][2:] == [t for t in popular[0] if t not in ("boston", "marathon")][:3]
    assert got[3] == got[4] == popular[0]  # no caption, or no known word: popular tags


@pytest.mark.parametrize("name", ["popular", "text-knn"])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_exactly_k_distinct_tags(text_data, name, k):
    train, new = text_data
    for tags in make_baseline(name).fit(train).recommend(new, k=k):
        assert len(tags) == k == len(set(tags))
    n_tags = len(HashtagVocabulary.build(train.hashtags, min_count=1))
    assert all(len(t) == n_tags - 4 for t in make_baseline(name).fit(train).recommend(new, 99))


def test_bad_names_options_and_misuse_are_explained(text_data):
    train, new = text_data
    with pytest.raises(ValueError, match="popular, text-knn, image-knn, multimodal-knn"):
        make_baseline("random")
    with pytest.raises(ValueError, match="n_neighbors"):
        make_baseline("text-knn", n_neighbors=0)
    with pytest.raises(ValueError, match="alpha"):
        make_baseline("multimodal-knn", alpha=1.5)
    with pytest.raises(ValueError, match="fit"):
        make_baseline("text-knn").recommend(new)
    with pytest.raises(ValueError, match="k must be"):
        make_baseline("popular").fit(train).recommend(new, k=0)
    with pytest.raises(DataError, match="photo"):
        make_baseline("image-knn").fit(train)
    assert set(BASELINES) == {"popular", "text-knn", "image-knn", "multimodal-knn"}


@pytest.fixture(scope="module")
def photo_data(tmp_path_factory):
    """Training posts on 4 demo photos, queries on their crops; a private feature cache."""
    root = tmp_path_factory.mktemp("photos")
    rows, queries = [], []
    for name, (crop, tags, copies, caption) in PHOTOS.items():
        for folder, photo in (("train", name), ("new", crop)):
            (root / folder / "images").mkdir(parents=True, exist_ok=True)
            source = REPO / ("dataset" if folder == "train" else "test_dataset") / "images"
            shutil.copy(source / photo, root / folder / "images" / photo)
        rows += [(f"images/{name}", caption, tags)] * copies
        queries.append((f"images/{crop}", caption, tags))
    # Each crop is captioned like another subject's posts: text and photo disagree.
    queries = [(photo, queries[i - 1][1], tags) for i, (photo, _, tags) in enumerate(queries)]
    queries.append(("", "", "cat"))
    columns = ("image_names", "tweets", "hashtags")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMNN_CACHE_DIR", str(root / "cache"))
        yield (read_posts(write_posts(root / "train", rows, columns)),
               read_posts(write_posts(root / "new", queries, columns)))


@pytest.mark.slow
def test_image_knn_recommends_the_tags_of_the_same_subject(photo_data):
    train, new = photo_data
    got = make_baseline("image-knn", n_neighbors=4).fit(train).recommend(new, k=2)
    # The cat photo's 20 posts vote as one photo, so they do not outvote the coffee photo.
    assert got[:3] == [["cat", "kitten"], ["coffee", "latte"], ["rocket", "space"]]
    assert got[3][0] == "horse"
    assert got[4] == ["cat", "kitten"]  # no photo: popular tags
    assert len(list((Path(os.environ["AMNN_CACHE_DIR"]) / "features").glob("*.h5"))) == 1


@pytest.mark.slow
def test_multimodal_knn_weighs_text_against_image(photo_data):
    train, new = photo_data
    text = make_baseline("text-knn", n_neighbors=4).fit(train).recommend(new, k=5)
    image = make_baseline("image-knn", n_neighbors=4).fit(train).recommend(new, k=5)
    assert text[0][0] == "horse" and image[0][0] == "cat"

    def multimodal(alpha):
        return make_baseline("multimodal-knn", n_neighbors=4, alpha=alpha).fit(train).recommend(
            new, k=5)

    assert multimodal(1.0) == text
    assert multimodal(0.0) == image
    both = multimodal(0.5)
    assert set(both[1][:4]) == {"coffee", "latte", "cat", "kitten"}  # photo coffee, text cat


@pytest.fixture(scope="module")
def script():
    """The program behind scripts/baselines.py, run in this process."""
    return importlib.import_module("amnn.cli.baselines")


def test_script_writes_predictions_that_result_accuracy_scores(tmp_path, script, capsys):
    train = write_posts(tmp_path / "train", TEXT_POSTS)
    new = write_posts(tmp_path / "new", TEXT_POSTS[:3] + [("", "")])
    out = tmp_path / "runs" / "pred.csv"
    args = ["--train", str(train), "--data", str(new), "--out", str(out), "--quiet"]
    assert script.main(args + ["--method", "text-knn", "--neighbors", "1", "--k", "3"]) == 0
    source = pd.read_csv(new / "image_text_tag.csv", dtype=str, keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written[source.columns], source)  # rows unchanged, in order
    assert written["predicted_hashtags"].tolist()[:3] == [
        "sandy nyc flood", "sandy nyc boston", "boston marathon sandy"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp file left

    scorer = importlib.import_module("amnn.cli.score")
    assert scorer.main([str(out), "--k", "3"]) == 0
    assert "evaluated 3 posts; skipped 1" in capsys.readouterr().out

    before = out.read_bytes()
    assert script.main(args + ["--method", "popular"]) == 2  # exists, no --overwrite
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == before
    assert script.main(args + ["--method", "popular", "--overwrite"]) == 0
    assert out.read_bytes() != before
    inputs = ["--train", str(train), "--data", str(new), "--method", "popular", "--overwrite"]
    assert script.main(inputs + ["--out", str(new / "image_text_tag.csv")]) == 2
    assert "input" in capsys.readouterr().err


def test_script_rejects_flags_that_do_not_apply(script, capsys):
    base = ["--train", "t", "--data", "d", "--out", "p.csv"]
    for extra in (["--method", "popular", "--neighbors", "5"],
                  ["--method", "text-knn", "--alpha", "0.5"],
                  ["--method", "text-knn", "--cache-dir", "c"],
                  ["--method", "multimodal-knn", "--alpha", "2"]):
        with pytest.raises(SystemExit) as stop:
            script.parse_args(base + extra)
        assert stop.value.code == 2
    assert "does not apply" in capsys.readouterr().err
    args = script.parse_args(base + ["--method", "multimodal-knn", "--alpha", "0.3",
                                     "--cache-dir", "c", "--quiet"])
    assert script.baseline_options(args) == {"alpha": 0.3, "cache_dir": "c", "progress": False}
    assert script.METHODS == tuple(BASELINES)


def test_script_text_methods_do_not_load_tensorflow(tmp_path):
    train = write_posts(tmp_path / "train", TEXT_POSTS)
    check = ("import runpy, sys; sys.argv = sys.argv[1:]\n"
             "try: runpy.run_path(sys.argv[0], run_name='__main__')\n"
             "except SystemExit as stop: assert stop.code == 0, stop.code\n"
             "assert 'tensorflow' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", check, str(SCRIPT), "--train", str(train),
                           "--data", str(train), "--out", str(tmp_path / "p.csv"),
                           "--method", "text-knn", "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.shared_data
def test_text_knn_beats_popular_on_mediaeval():
    data = SHARED / "mediaeval"
    if not (data / "train" / "image_text_tag.csv").is_file():
        pytest.skip(f"{data} is absent (set AMNN_SHARED_DATA to the shared data folder)")
    train, val = read_posts(data / "train"), read_posts(data / "val")
    knn = metrics_at_k(make_baseline("text-knn").fit(train).recommend(val, 5), val.hashtags, 5)
    popular = metrics_at_k(make_baseline("popular").fit(train).recommend(val, 5), val.hashtags, 5)
    # Three val posts in four carry #sandy, so the popular list is hard to beat at k = 1
    # (0.746 against 0.699); text-knn wins on the whole top 5.
    assert knn.recall[4] > popular.recall[4] + 0.02
    assert knn.accuracy[4] > popular.accuracy[4] + 0.02
