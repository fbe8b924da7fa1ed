"""Tests of amnn/data/text/hashtag_words.py (with english_words.py and word_scores.py), its
CLI (amnn/cli/segment.py) and its labels.

Unit tests use tiny inputs whose answers are known; the quality test (marked shared_data)
fits one segmenter on each set's train split under ../shared/data and scores the test part
of the hand-labelled tags of tests/data/hashtag_segmentation_labels.tsv, as
benchmarks/segmentation/benchmark.py does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amnn.cli.segment import main as segment_main
from amnn.data.text.english_words import EnglishWords, caption_words, learn_english
from amnn.data.text.hashtag_words import HashtagSegmenter, script_runs
from amnn.data.text.word_scores import KoreanWords
from benchmarks.segmentation.benchmark import SETS, fit_sets, score
from benchmarks.segmentation.coverage import unseen_word_tags
from benchmarks.segmentation.labels import LABELS, Label, assign_parts, read_labels

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AMNN_SHARED_DATA", REPO.parent / "shared" / "data"))
# On the test part, measured 0.893 (benchmarks/results/segmentation.json); the goal was
# 0.95, not reached, so this floor guards the level reached against regressions.
MIN_TEST_ACCURACY = 0.88

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


def test_english_words_are_learnt_from_training_captions():
    captions = ["Vape life", "new vape pen", "VapeNation rocks", "vape"]
    segmenter = HashtagSegmenter.fit(captions, [["vape"]] * 4)
    assert HashtagSegmenter().split("vapenation") == ["v", "ape", "nation"]
    assert segmenter.split("vapenation") == ["vape", "nation"]
    assert segmenter.english_counts["words"]["vape"] == 4


def test_caption_words_cut_camel_case_and_drop_mentions_and_urls():
    assert caption_words("I'm at BringBackOurGirls, @CNN http://x.co/a ok") == [
        ["im", "at", "bring", "back", "our", "girls"], ["ok"]]


def test_learnt_counts_keep_only_words_and_pairs_met_twice():
    learnt = learn_english(["hello hello world", "hello world"])
    assert learnt == {"tokens": 5, "words": {"hello": 3, "world": 2},
                      "pairs": {"hello world": 2}}
    with pytest.raises(ValueError, match="weight"):
        EnglishWords(learnt, weight=-1)


@pytest.mark.parametrize("scores, run, words", [
    ({"지금": 1.0, "까지": 1.0, "이런": 1.0}, "지금까지이런", ["지금까지", "이런"]),  # particle
    ({"소통": 1.0, "해요": 1.0}, "소통해요", ["소통해요"]),  # a form of 하다
    ({"대한민국": 1.0, "구석": 1.0}, "대한민국구석구석", ["대한민국", "구석구석"]),  # said twice
    ({"바다": 1.0, "뷰": 0.3}, "바다뷰", ["바다", "뷰"]),  # a one-syllable word after a word
    ({"오름": 1.0, "산": 0.3}, "군산오름", ["군산", "오름"]),  # ... but not after a syllable
    ({"사진": 1.0}, "사진관", ["사진관"]),  # a lone unknown syllable is a suffix
])
def test_korean_joins(scores, run, words):
    assert KoreanWords(scores).viterbi(run) == words


def test_korean_one_syllable_words_stand_alone_twice_and_are_no_particles():
    scores = KoreanWords.learn(["뷰", "뷰", "밤", "시", "시", "제주", "제주"]).scores
    assert "뷰" in scores and "밤" not in scores and "시" not in scores


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


def test_json_round_trip_is_plain_json_with_what_was_learnt():
    segmenter = HashtagSegmenter.fit(CAPTIONS + ["vape life", "new vape"], HASHTAGS + [[], []])
    text = json.dumps(segmenter.to_json(), ensure_ascii=False)
    assert json.loads(text)["english_counts"]["words"] == {"vape": 2}
    loaded = HashtagSegmenter.from_json(json.loads(text))
    for tag in ("제주여행", "서귀포맛집투어", "hurricanesandy", "jeju여행", "vapenation"):
        assert loaded.split(tag) == segmenter.split(tag)
    with pytest.raises(ValueError, match="hashtag_segmenter"):
        HashtagSegmenter.from_json({"kind": "word"})


def test_json_saved_before_english_counts_still_loads():
    saved = {"kind": "hashtag_segmenter", "korean_scores": {"제주": 1.0, "여행": 1.0}}
    assert HashtagSegmenter.from_json(saved).split("제주여행vapenation") == [
        "제주", "여행", "v", "ape", "nation"]


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
    rows = [*zip(CAPTIONS, HASHTAGS), ("vape life", ["vape"]), ("new vape", ["vape"])]
    train = _write_posts(tmp_path / "train", rows)
    assert segment_main(["애월여행", "vapenation", "--learn-from", str(train)]) == 0
    assert capsys.readouterr().out == "애월여행\t애월 여행\nvapenation\tvape nation\n"


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


def test_dev_and_test_are_stable_halves_of_each_source():
    labels = read_labels(LABELS)
    assert assign_parts([label._replace(part="") for label in labels[::-1]])[::-1] == labels
    for source in {label.source for label in labels}:
        parts = [label.part for label in labels if label.source == source]
        assert abs(parts.count("dev") - parts.count("test")) <= 2, source


def test_unseen_word_counts_cover_hangul_korean_tags_only():
    labels = [Label("제주여행", "제주 여행", "korean/val", "dev"),  # every word in the text
              Label("제주카페", "제주 카페", "korean/val", "test"),  # 카페 is not
              Label("카페라떼", "카페 라떼", "korean/val", "test"),  # neither word is
              Label("jejutrip", "jeju trip", "korean/val", "test"),  # Latin: left out
              Label("newyork", "new york", "mediaeval/val", "test")]  # not Korean
    splits = [["제주", "여행"], ["제주카페"], ["카페", "라떼"], ["jeju", "trip"], ["new", "york"]]
    counts = unseen_word_tags(labels, splits, "제주도 여행 갔어요")
    assert list(counts) == ["test", "dev"]  # the headline part first
    assert counts["test"] == {"tags": 2, "unseen": 2, "unseen_right": 1, "seen_right": 0}
    assert counts["dev"] == {"tags": 1, "unseen": 0, "unseen_right": 0, "seen_right": 1}


@pytest.mark.shared_data
def test_accuracy_on_the_test_part_of_the_labelled_tags():
    missing = [name for name in SETS if not (SHARED / name / "train").is_dir()]
    if missing:
        pytest.skip(f"{missing} absent under {SHARED} (set AMNN_SHARED_DATA)")
    fitted, _ = fit_sets(SHARED)
    segmenters = {name: HashtagSegmenter.from_json(data) for name, data in fitted.items()}
    labels = [label for label in read_labels(LABELS) if label.part == "test"]
    result = score(labels, [segmenters[label.source.split("/")[0]].split(label.tag)
                            for label in labels])
    assert result["overall"]["all"] >= MIN_TEST_ACCURACY, result
