"""predict.py with bad photos: true counts, no decoder noise, and no file of empty cells.

A real scripts/predict.py run on the shared demo model (`demo_model`) with a damaged JPEG
that still decodes (libjpeg complains about it from C), a missing photo and a good one;
then a file whose every photo is missing. About 25 s on 2 cores.
"""

import shutil

import pandas as pd
import pytest

from tests.cli.test_end_to_end import REPO, run

IMAGES = REPO / "dataset" / "images"


def _posts(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["image_names", "tweets", "hashtags"]).to_csv(
        folder / "image_text_tag.csv", index=False)
    return folder


@pytest.mark.slow
def test_skipped_posts_are_not_counted_as_predicted_and_libjpeg_stays_quiet(demo_model,
                                                                             tmp_path):
    _, cache, model = demo_model
    (tmp_path / "images").mkdir()
    data = IMAGES.joinpath("coffee.jpg").read_bytes()
    # Bytes after the image data, as a broken upload leaves: it decodes, with a warning.
    (tmp_path / "images" / "damaged.jpg").write_bytes(data[:-2] + b"\x00" * 198 + data[-2:])
    shutil.copy(IMAGES / "brick.jpg", tmp_path / "images" / "brick.jpg")
    _posts(tmp_path, [("images/damaged.jpg", "morning coffee", "coffee"),
                      ("images/gone.jpg", "lost photo", "lost"),
                      ("images/brick.jpg", "a brick wall", "wall")])
    out = tmp_path / "pred.csv"
    done = run("predict.py", "--model", model, "--data", tmp_path, "--out", out,
               "--on-bad-image", "skip", cache=cache)
    assert "Corrupt JPEG" not in done.stderr and "extraneous" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "features" not in line]
    assert lines == [
        "predicted 2 posts (1 skipped for a bad photo)",
        "note: image_text_tag.csv: 1 post(s) with a bad photo (1 not found; line 3) were "
        "written with an empty predicted_hashtags (--on-bad-image skip)",
        f"wrote 3 posts to {out}, 2 of them with predicted_hashtags"]
    predicted = pd.read_csv(out, dtype=str, keep_default_na=False)["predicted_hashtags"]
    assert [bool(cell) for cell in predicted] == [True, False, True]


@pytest.mark.slow
def test_a_file_whose_every_post_is_skipped_is_an_error_not_an_output(demo_model, tmp_path):
    _, cache, model = demo_model
    _posts(tmp_path, [("images/gone.jpg", "lost photo", "lost"),
                      ("images/also_gone.jpg", "lost too", "lost")])
    out = tmp_path / "pred.csv"
    done = run("predict.py", "--model", model, "--data", tmp_path, "--out", out,
               "--on-bad-image", "skip", "--quiet", cache=cache, expect=2)
    assert done.stderr == (
        f"error: {tmp_path / 'image_text_tag.csv'}: every post (2) has a bad photo, so nothing "
        "was predicted and no file was written; fix the photos (--on-bad-image error lists "
        "them all), or pass --on-bad-image text-only to use the posts without their photo\n")
    assert not out.exists()
