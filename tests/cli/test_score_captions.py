"""Tests of scripts/result_accuracy.py on written captions (amnn/cli/score_captions.py)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pandas as pd
import pytest

from amnn.evaluate.caption_metrics import METEOR_NAME, caption_scores

POSTS = pd.DataFrame({
    "image_names": ["a.jpg", "b.jpg", "c.jpg", "d.jpg"],
    "tweets": ["Storm hits NYC tonight", "오늘 제주 바다 정말 예뻐요", "", "the finish line"],
    "hashtags": ["sandy", "제주", "", "boston"],
    "predicted_caption": ["storm hits nyc", "오늘 제주 바다 너무 예뻐요", "anything", ""],
})


@pytest.fixture(scope="module")
def script():
    """The program behind scripts/result_accuracy.py, run in this process."""
    return importlib.import_module("amnn.cli.score")


@pytest.fixture
def pred_csv(tmp_path):
    path = tmp_path / "val.captions.csv"  # a dot in the stem must survive the default names
    POSTS.to_csv(path, index=False)
    return path


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_default_outputs_hold_the_scores(script, pred_csv, capsys):
    assert script.main([str(pred_csv)]) == 0
    out = capsys.readouterr().out
    expected = caption_scores(POSTS["predicted_caption"].tolist(), POSTS["tweets"].tolist())
    assert f"{'BLEU-1':<{len(METEOR_NAME)}}  {expected.bleu[0]:6.4f}" in out
    assert f"{METEOR_NAME}  {expected.meteor:6.4f}" in out
    assert "evaluated 3 posts (1 with an empty prediction); skipped 1 without a true caption" \
        in out
    stem = pred_csv.parent / "val.captions_metrics"
    report = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
    assert report["task"] == "caption" and report["truth_column"] == "tweets"
    assert report["metrics"] == expected.to_dict()["metrics"]
    assert "tok:none" in report["bleu_signature"]
    frame = pd.read_csv(f"{stem}.csv")
    assert frame["metric"].tolist()[:2] == ["BLEU-1", "BLEU-2"]
    assert frame["score"].tolist() == pytest.approx([v for _, v in expected.rows()])
    assert Path(f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in pred_csv.parent.iterdir() if p.name.endswith(".tmp")]


def test_truth_from_another_file_and_raw_text_bleu(script, tmp_path):
    POSTS[["predicted_caption"]].to_csv(tmp_path / "pred.csv", index=False)
    # utf-8-sig and a capital: Excel's byte-order mark, a header typed by hand.
    POSTS[["tweets"]].rename(columns={"tweets": "Tweets"}).to_csv(
        tmp_path / "truth.csv", index=False, encoding="utf-8-sig")
    out = tmp_path / "out"
    argv = [str(tmp_path / "pred.csv"), "--truth", str(tmp_path / "truth.csv"),
            "--bleu-tokenize", "13a", "--json", str(out / "m.json"), "--csv",
            str(out / "m.csv"), "--plot", str(out / "m.png")]
    assert script.main(argv) == 0
    report = json.loads((out / "m.json").read_text(encoding="utf-8"))
    expected = caption_scores(POSTS["predicted_caption"].tolist(), POSTS["tweets"].tolist(),
                              "13a")
    assert report["metrics"] == expected.to_dict()["metrics"]
    assert report["truth_column"] == "Tweets" and "tok:13a" in report["bleu_signature"]
    assert (out / "m.csv").exists() and (out / "m.png").exists()


def test_a_korean_excel_file_is_read_and_scored(script, tmp_path, capsys):
    path = tmp_path / "excel.csv"
    path.write_bytes("tweets,predicted_caption\n제주 바다 예뻐요,제주 바다 예뻐요\n".encode("cp949"))
    assert script.main([str(path)]) == 0
    assert f"{'BLEU-4':<40}  1.0000" in capsys.readouterr().out


def test_missing_columns_are_named(script, tmp_path, capsys):
    POSTS.drop(columns="predicted_caption").to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    line = one_error_line(capsys)
    assert "predicted_hashtags" in line and "predicted_caption" in line
    POSTS[["predicted_caption"]].to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    line = one_error_line(capsys)
    assert "'tweets'" in line and "--truth" in line


def test_row_count_mismatch_names_both_files(script, pred_csv, tmp_path, capsys):
    POSTS[["tweets"]].head(2).to_csv(tmp_path / "truth.csv", index=False)
    assert script.main([str(pred_csv), "--truth", str(tmp_path / "truth.csv")]) == 2
    line = one_error_line(capsys)
    assert "truth.csv" in line and "val.captions.csv" in line
    assert "2 rows" in line and "has 4" in line


def test_no_post_with_a_true_caption(script, tmp_path, capsys):
    POSTS.assign(tweets="").to_csv(tmp_path / "p.csv", index=False)
    assert script.main([str(tmp_path / "p.csv")]) == 2
    line = one_error_line(capsys)
    assert "nothing to score" in line and "'tweets'" in line


def test_flags_of_the_other_mode_are_refused(script, pred_csv, tmp_path, capsys):
    assert script.main([str(pred_csv), "--top-k", "3"]) == 2
    assert "--top-k" in one_error_line(capsys)
    hashtags = tmp_path / "tags.csv"
    hashtags.write_text("hashtags,predicted_hashtags\nsandy,sandy\n")
    assert script.main([str(hashtags), "--bleu-tokenize", "13a"]) == 2
    assert "--bleu-tokenize" in one_error_line(capsys)
    with pytest.raises(SystemExit):
        script.main([str(pred_csv), "--bleu-tokenize", "spaces"])


def test_a_hashtag_column_wins_over_a_caption_column(script, tmp_path, capsys):
    both = tmp_path / "both.csv"
    both.write_text("hashtags,tweets,predicted_hashtags,predicted_caption\n"
                    "sandy,storm,sandy,storm\n")
    assert script.main([str(both), "--top-k", "1"]) == 0
    assert "P@k" in capsys.readouterr().out
