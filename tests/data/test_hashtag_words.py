"""Tests of amnn/data/text/hashtag_words.py, its CLI (amnn/cli/segment.py) and its labels.

Unit tests use tiny inputs whose answers are known; the quality test (marked shared_data)
learns Korean words from ../shared/data/korean/train and scores the hand-labelled tags of
tests/data/hashtag_segmentation_labels.tsv, as benchmarks/segmentation.py does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amnn.cli.segment import main as segment_main
from amnn.data.text.hashtag_words import HashtagSegmenter, script_runs
from benchmarks.segmentation import LABELS, SETS, read_labels, score

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AMNN_SHARED_DATA", REPO.parent / "shared" / "data"))
# Measured 0.884 (benchmarks/results/segmentation.json); the goal was 0.95, not reached,
# so this floor guards the level reached against regressions.
MIN_ACCURACY = 0.87

CAPTIONS = ["제주 여행 중 애월 맛집", "서귀포 카페에서 커피", "제주에서 맛집 투어"]
HASHTAGS = [["제주", "제주여행", "애월맛집", "여행"], ["서귀포카페", "카페", "맛집"],
            ["제주맛집", "맛집투어", "서귀포여행", "애월"]]


@pytest.fixture(scope="module")
def segmenter():
    return HashtagSegmenter.fit(CAPTIONS, HASHTAGS)


@pytest.mark.parametrize("tag, words", [
    ("hurricanesandy", ["hurricane", "sandy"]),
    ("#NewYorkCity", ["new", "york", "city"]),
    ("prayfornepal", ["pray", "for", "nepal"]),
    ("sandy", ["sandy"]),
    ("obamashouse", ["obamas", "house"]),  # a lone 's' joins the word before it
])
def test_english(segmenter, tag, words):
    assert segmenter.split(tag) == words


@pytest.mark.parametrize("tag, words", [
    ("제주여행", ["제주", "여행"]),
    ("애월카페", ["애월", "카페"]),
    ("서귀포맛집투어", ["서귀포", "맛집", "투어"]),
    ("제주", ["제주"]),
])
def test_korean_from_a_tiny_fitted_corpus(segmenter, tag, words):
    assert segmenter.split(tag) == words


def test_korean_stays_whole_without_learnt_words():
    assert HashtagSegmenter().split("제주여행") == ["제주여행"]


@pytest.mark.parametrize("tag, words", [
    ("jeju여행", ["jeju", "여행"]),
    ("nyc2012", ["nyc", "2012"]),
    ("eclipse2015", ["eclipse", "2015"]),
    ("4thofjuly", ["4th", "of", "july"]),  # the ordinal ending stays on its number
    ("57thand7th", ["57th", "and", "7th"]),
    ("80sparty", ["80s", "party"]),  # and so does a plural s
    ("5stars", ["5", "stars"]),
    ("2016", ["2016"]),
    ("nasa_app", ["nasa", "app"]),
    ("ньюйорк", ["ньюйорк"]),  # another script is kept whole
])
def test_mixed_scripts_and_digits(segmenter, tag, words):
    assert segmenter.split(tag) == words


def test_script_runs_drop_what_is_not_a_letter_or_digit():
    assert script_runs("i❤️nyc_2012제주") == ["i", "nyc", "2012", "제주"]


def test_fit_accepts_space_separated_tags():
    from_strings = HashtagSegmenter.fit(CAPTIONS, [" ".join(tags) for tags in HASHTAGS])
    assert from_strings.to_json() == HashtagSegmenter.fit(CAPTIONS, HASHTAGS).to_json()


def test_cached_answers_cannot_be_changed_by_the_caller(segmenter):
    first = segmenter.split("hurricanesandy")
    first.append("extra")
    assert segmenter.split("hurricanesandy") == ["hurricane", "sandy"]


def test_greedy_baseline_takes_the_longest_known_word(segmenter):
    assert segmenter.split_greedy("hurricanesandy") == ["hurricanes", "andy"]
    assert segmenter.split_greedy("제주여행") == ["제주", "여행"]


def test_json_round_trip_is_plain_json(segmenter):
    text = json.dumps(segmenter.to_json(), ensure_ascii=False)
    loaded = HashtagSegmenter.from_json(json.loads(text))
    for tag in ("제주여행", "서귀포맛집투어", "hurricanesandy", "jeju여행"):
        assert loaded.split(tag) == segmenter.split(tag)
    with pytest.raises(ValueError, match="hashtag_segmenter"):
        HashtagSegmenter.from_json({"kind": "word"})


def test_cli_prints_tag_tab_words(capsys):
    assert segment_main(["#HurricaneSandy", "nyc2012"]) == 0
    assert capsys.readouterr().out == "hurricanesandy\thurricane sandy\nnyc2012\tnyc 2012\n"


def _write_posts(folder: Path, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["tweets,hashtags"] + [f"{caption},{' '.join(tags)}" for caption, tags in rows]
    (folder / "image_text_tag.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_cli_data_splits_each_distinct_tag_and_learns_from_the_file(tmp_path, capsys):
    data = _write_posts(tmp_path / "posts", zip(CAPTIONS, HASHTAGS))
    assert segment_main(["--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    tags = list(dict.fromkeys(tag for tags in HASHTAGS for tag in tags))
    assert [line.split("\t")[0] for line in lines] == tags
    assert "제주여행\t제주 여행" in lines


def test_cli_learn_from_a_training_file(tmp_path, capsys):
    train = _write_posts(tmp_path / "train", zip(CAPTIONS, HASHTAGS))
    assert segment_main(["애월여행", "--learn-from", str(train)]) == 0
    assert capsys.readouterr().out == "애월여행\t애월 여행\n"


def test_cli_bad_input_is_one_clear_line(tmp_path):
    no_tags = tmp_path / "no_tags.csv"
    no_tags.write_text("tweets\nhello\n", encoding="utf-8")
    for args, expected in ([["--data", str(no_tags)], "hashtags"], [["#"], "no letter or digit"]):
        done = subprocess.run([sys.executable, str(REPO / "scripts" / "segment_hashtags.py"),
                               *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_the_labels_file_is_well_formed():
    labels = read_labels(LABELS)
    assert len({label.tag for label in labels}) == len(labels) >= 300
    sources = {label.source for label in labels}
    assert sources <= {f"{name}/{split}" for name in SETS for split in ("train", "val")}
    multi = [label for label in labels if " " in label.words]
    assert len(multi) >= 300 and len(labels) - len(multi) <= 0.1 * len(labels)


@pytest.mark.shared_data
def test_accuracy_on_the_labelled_tags():
    from amnn.data.posts import read_posts

    train = SHARED / "korean" / "train"
    if not train.is_dir():
        pytest.skip(f"{train} is absent (set AMNN_SHARED_DATA to the shared data folder)")
    posts = read_posts(train, require_hashtags=True, check_images=False)
    segmenter = HashtagSegmenter.fit(posts.texts, posts.hashtags)
    labels = read_labels(LABELS)
    result = score(labels, [segmenter.split(label.tag) for label in labels])
    assert result["overall"]["all"] >= MIN_ACCURACY, result
