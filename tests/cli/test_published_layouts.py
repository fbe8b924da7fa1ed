"""End to end: folders laid out as the published AMNN code's users have them, used as they are.

Two folders are written from the demo's posts and photos (Korean and English text): the
Korean fork's (`image_text_tag.csv` with `Name,Contents,captions`, each photo named by a
19-digit Instagram post id, `<id>.jpg` beside the CSV, `captions` a list string) and the
authors' (`image_text_data.txt`, `*`-separated, its header's names unused). Each trains
with train.py, predicts a `Name,Contents` CSV with predict.py and is scored by
result_accuracy.py, and no file of the user's is changed. Tiny settings: about a minute
per folder on 2 cores.
"""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.test_end_to_end import REPO, run

TINY = ["--epochs", "1", "--val-fraction", "0", "--decoder-units", "16", "--batch-size", "32",
        "--quiet"]
FIRST_ID = 2768320131198970077  # an Instagram post id: 19 digits, more than a float keeps
NOTE = "read as the published layout: column 1 = photo, 2 = text, 3 = hashtags"


def demo_posts(per_photo: int = 3) -> list[dict]:
    """The first `per_photo` demo posts of every photo (Korean and English captions)."""
    with open(REPO / "dataset" / "image_text_tag.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    taken: dict[str, int] = {}
    chosen = []
    for row in rows:
        if taken.get(row["image_names"], 0) < per_photo:
            taken[row["image_names"]] = taken.get(row["image_names"], 0) + 1
            chosen.append(row)
    assert any(ord(c) > 0xAC00 for row in chosen for c in row["tweets"])  # some Korean
    return chosen


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([header, *rows])
    return path


def fork_folder(folder: Path) -> tuple[Path, list[list[str]]]:
    """The fork's layout; returns the folder and its rows (Name, Contents, captions)."""
    folder.mkdir(parents=True)
    posts = demo_posts()
    ids = {name: str(FIRST_ID + i) for i, name in enumerate(dict.fromkeys(
        p["image_names"] for p in posts))}
    for name, post_id in ids.items():
        (folder / f"{post_id}.jpg").write_bytes((REPO / "dataset" / name).read_bytes())
    rows = [[ids[p["image_names"]], p["tweets"], str(p["hashtags"].split())] for p in posts]
    write_csv(folder / "image_text_tag.csv", ["Name", "Contents", "captions"], rows)
    return folder, rows


def authors_folder(folder: Path) -> tuple[Path, list[list[str]]]:
    """The authors' layout; returns the folder and its rows (photo, text, hashtags)."""
    folder.mkdir(parents=True)
    posts = demo_posts()
    for name in {p["image_names"] for p in posts}:
        (folder / Path(name).name).write_bytes((REPO / "dataset" / name).read_bytes())
    rows = [[Path(p["image_names"]).name, p["tweets"], p["hashtags"]] for p in posts]
    text = "image*tweet*hashtag\n" + "".join("*".join(row) + "\n" for row in rows)
    (folder / "image_text_data.txt").write_text(text, encoding="utf-8")
    return folder, rows


def snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def score(predictions: Path, *args, cache: Path) -> dict:
    done = run("result_accuracy.py", predictions, "--top-k", "3", *args, cache=cache)
    assert "evaluated" in done.stdout
    return json.loads(predictions.with_name(f"{predictions.stem}_metrics.json").read_text())


@pytest.mark.slow
def test_fork_folder_trains_predicts_and_scores_as_it_is(tmp_path):
    folder, rows = fork_folder(tmp_path / "fork")
    cache, model = tmp_path / "cache", tmp_path / "model"
    new_posts = write_csv(folder / "new_posts.csv", ["Name", "Contents"],
                          [row[:2] for row in rows])
    before = snapshot(folder)
    done = run("train.py", "--data", folder, "--out", model, *TINY, cache=cache)
    assert f"note: image_text_tag.csv: {NOTE}" in done.stderr

    out = tmp_path / "pred.csv"
    done = run("predict.py", "--model", model, "--data", new_posts, "--out", out, "--top-k", "3",
               "--quiet", cache=cache)
    assert "note: new_posts.csv: read as the published layout: column 1 = photo, 2 = text" \
        in done.stderr
    predicted = read(out)
    assert list(predicted.columns) == ["Name", "Contents", "predicted_hashtags"]
    assert predicted["Name"].tolist() == [row[0] for row in rows]  # every digit of the ids
    assert all(1 <= len(cell.split()) <= 3 for cell in predicted["predicted_hashtags"])

    report = score(out, "--truth", folder, cache=cache)
    assert report["truth_column"] == "captions" and report["n_posts"] == len(rows)

    # A photo missing under every extension: by default one error names it and the
    # --on-bad-image choices (the check predict.py and train.py make before anything else)...
    missing = write_csv(tmp_path / "missing.csv", ["Name", "Contents"],
                        [["1234567890123456789", "no photo"]])
    from amnn.config import AMNNConfig  # TensorFlow loads here
    from amnn.errors import DataError
    from amnn.features.photo_check import raise_for_bad_images

    with pytest.raises(DataError) as info:
        raise_for_bad_images(missing, AMNNConfig(cache_dir=str(cache)), 100)
    assert info.value.row == 2 and info.value.column == "Name"
    assert "1234567890123456789 (not found: also looked for .jpg, .jpeg, .png, .webp)" \
        in str(info.value) and "--on-bad-image skip" in str(info.value)
    # ...and --on-bad-image skip writes its row with no hashtags.
    (tmp_path / f"{rows[0][0]}.jpg").symlink_to(folder / f"{rows[0][0]}.jpg")
    with open(missing, "a", encoding="utf-8") as stream:
        stream.write(f"{rows[0][0]},with its photo\n")
    done = run("predict.py", "--model", model, "--data", missing, "--out", tmp_path / "m.csv",
               "--on-bad-image", "skip", "--quiet", cache=cache)
    assert "1 post(s) with a bad photo (1 not found; line 2)" in done.stderr
    skipped = read(tmp_path / "m.csv")
    assert skipped["predicted_hashtags"].tolist()[0] == ""
    assert skipped["predicted_hashtags"].tolist()[1] != ""
    assert snapshot(folder) == before


@pytest.mark.slow
def test_authors_folder_trains_predicts_and_scores_as_it_is(tmp_path):
    folder, rows = authors_folder(tmp_path / "authors")
    cache, model = tmp_path / "cache", tmp_path / "model"
    # Photo names without their extension, as the fork writes them: found as .jpg.
    new_posts = write_csv(folder / "new_posts.csv", ["Name", "Contents"],
                          [[Path(row[0]).stem, row[1]] for row in rows])
    before = snapshot(folder)
    done = run("train.py", "--data", folder, "--out", model, *TINY, cache=cache)
    assert f"note: image_text_data.txt: {NOTE} ('*'-separated" in done.stderr

    out = tmp_path / "pred_new.csv"
    run("predict.py", "--model", model, "--data", new_posts, "--out", out, "--top-k", "3",
        "--quiet", cache=cache)
    assert read(out)["Name"].tolist() == [Path(row[0]).stem for row in rows]
    done = run("result_accuracy.py", out, "--top-k", "3", "--truth", folder, cache=cache)
    assert f"note: image_text_data.txt: {NOTE}" in done.stderr
    report = json.loads((tmp_path / "pred_new_metrics.json").read_text())
    assert report["truth_column"] == "hashtag" and report["n_posts"] == len(rows)

    # The '*' file itself: written back as a comma CSV under its own header names.
    out = tmp_path / "pred_txt.csv"
    run("predict.py", "--model", model, "--data", folder, "--out", out, "--quiet", cache=cache)
    predicted = read(out)
    assert list(predicted.columns) == ["image", "tweet", "hashtag", "predicted_hashtags"]
    assert predicted[["image", "tweet", "hashtag"]].values.tolist() == rows
    assert score(out, cache=cache)["truth_column"] == "hashtag"
    assert snapshot(folder) == before
