"""Every kind of real photo works or fails clearly; --on-bad-image error, skip and text-only.

Photos are made with Pillow (grey, CMYK, RGBA, palette, animated GIF, a 12000x9000 JPEG,
read here with the pixel limit raised above it) and go through the real EfficientNet-Lite0 encoder and HDF5 cache; broken ones (truncated,
text named .jpg, empty, missing, outside the data folder) must be named with their line.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import importlib.util  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from amnn.data.photo_files import MAX_LISTED, BadImage, bad_image_error  # noqa: E402
from amnn.features.photo_check import (apply_bad_image_policy, check_post_photos,  # noqa: E402
                                       find_bad_images)
from amnn.errors import DataError  # noqa: E402
from amnn.features.encode_loop import _load  # noqa: E402
from amnn.features.cache_file import feature_cache_file  # noqa: E402
from amnn.features.extraction import ensure_features, try_ensure_features  # noqa: E402
from amnn.data.posts import CSV_NAME, read_posts  # noqa: E402
from amnn.features.photo_table import load_features, photo_table, shared_encoder  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NAME = "efficientnet_lite0"
ABOVE_HUGE = 200_000_000  # a pixel limit huge.jpg (108 MP, over the default) passes
GOOD = ("grey.jpg", "cmyk.jpg", "rgba.png", "palette.png", "animated.gif", "huge.jpg")
BAD = ("truncated.jpg", "text.jpg", "empty.jpg")


def picture(height=96, width=128, seed=0) -> Image.Image:
    """A photo-like RGB picture: smooth colour gradients plus a few blocks."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (height + width)], -1)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
        rgb[top:top + height // 4, left:left + width // 4] = rng.integers(0, 256, 3)
    return Image.fromarray(rgb.astype(np.uint8))


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A data folder whose images/ holds one file of every kind, plus one photo outside it."""
    root = tmp_path_factory.mktemp("photos")
    folder = root / "data" / "images"
    folder.mkdir(parents=True)
    photo = picture()
    photo.save(folder / "rgb.jpg", quality=95)
    photo.convert("L").save(folder / "grey.jpg")
    photo.convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(photo.size))
    rgba.save(folder / "rgba.png")
    photo.convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "palette.png")
    frames = [picture(seed=s) for s in (1, 2, 3)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    gif = Image.open(folder / "animated.gif")  # its first two frames, as lossless stills
    gif.convert("RGB").save(folder / "frame.png")
    gif.seek(1)
    gif.convert("RGB").save(folder / "frame1.png")
    # 108 megapixels; low quality keeps the file (and the test) small, not the decoded size.
    Image.new("RGB", (12000, 9000), (120, 80, 40)).save(folder / "huge.jpg", quality=5)
    data = (folder / "rgb.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "text.jpg").write_text("this is a caption, not a photo\n")
    (folder / "empty.jpg").write_bytes(b"")
    photo.save(root / "outside.jpg")
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache folder (converted encoder weights and features) for the whole module."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def encoder(cache):
    """The real Lite0, the very object `find_bad_images` uses for this cache folder."""
    return shared_encoder(NAME, None, str(cache))


@pytest.fixture(scope="module")
def extracted(photos, cache, encoder):
    """Features of every good photo (and the reference stills), extracted once."""
    names = GOOD + ("frame.png", "frame1.png")
    paths = [str(photos / n) for n in names]
    ensure_features(paths, encoder, cache_dir=str(cache), progress=False, max_pixels=ABOVE_HUGE)
    features, index = load_features(paths, encoder, cache_dir=str(cache))
    return {name: features[i].astype(np.float32) for name, i in zip(names, index)}


def cosine(a, b) -> float:
    a, b = a.ravel(), b.ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("name", GOOD)
def test_every_kind_of_photo_gives_finite_features(extracted, name):
    features = extracted[name]
    assert features.shape == (49, 1280)
    assert np.isfinite(features).all() and np.abs(features).sum() > 0


@pytest.mark.parametrize("name", ["grey.jpg", "cmyk.jpg", "rgba.png", "palette.png",
                                  "animated.gif"])
def test_photos_decode_to_what_pillow_shows(photos, encoder, name):
    # CMYK must not come out inverted, a palette or alpha must not scramble the colours,
    # grey must become three equal channels: compare the cache's own decoding with Pillow's.
    prepared, _ = _load(tf.constant(str(photos / name)), encoder)
    with Image.open(photos / name) as image:  # the first frame, alpha dropped, as RGB
        expected = encoder.prepare(np.asarray(image.convert("RGB")))
    # Inputs are (x - 127) / 128: a mean difference of 0.02 is under 3 of 255 levels.
    assert float(np.abs(prepared - expected).mean()) < 0.02


def test_animated_gif_uses_its_first_frame(extracted):
    assert cosine(extracted["animated.gif"], extracted["frame.png"]) > 0.999
    assert cosine(extracted["animated.gif"], extracted["frame1.png"]) < 0.99


def test_bad_photos_are_named_by_path(photos, cache, encoder, extracted):
    paths = [str(photos / n) for n in GOOD + BAD]
    with pytest.raises(DataError, match="cannot read this file as an image") as error:
        ensure_features(paths, encoder, cache_dir=str(cache), progress=False,
                        max_pixels=ABOVE_HUGE)
    for name in BAD:
        assert name in str(error.value)
    failed = try_ensure_features(paths + [str(photos / "gone.jpg")], encoder,
                                 cache_dir=str(cache), progress=False, max_pixels=ABOVE_HUGE)
    assert list(failed) == [str(photos / n) for n in BAD + ("gone.jpg",)]
    assert "Invalid JPEG data" in failed[str(photos / "truncated.jpg")]
    assert "Unknown image file format" in failed[str(photos / "text.jpg")]
    assert "empty" in failed[str(photos / "empty.jpg")]
    assert failed[str(photos / "gone.jpg")] == "not found or not readable"


# --- image cells that leave the data folder (no TensorFlow needed) ---------------------------

def write_csv(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    frame = pd.DataFrame(rows, columns=["image_names", "tweets", "hashtags"])
    frame.to_csv(folder / CSV_NAME, index=False)
    return folder / CSV_NAME


def test_paths_leaving_the_folder_say_where_and_how_to_fix(photos):
    data = photos.parent
    outside = str(data.parent / "outside.jpg")
    write_csv(data, [("images/rgb.jpg", "a", "x"), ("../outside.jpg", "b", "x"),
                     (outside, "c", "x"), (str(photos / "rgb.jpg"), "d", "x")])
    with pytest.raises(DataError) as error:
        read_posts(data)
    message = str(error.value)
    assert message.startswith(f"{data / CSV_NAME}, column 'image_names': 3 image file(s)")
    assert "line 3: ../outside.jpg (leaves the CSV's folder)" in message
    assert f"line 4: {outside} (absolute path)" in message
    assert "line 5: " in message and "write it as images/rgb.jpg" in message
    assert f"Copy the photos into {data} and write their paths relative to it" in message
    assert "line 2" not in message
    posts = read_posts(data, check_images=False)
    assert posts.image_paths[1:] == ["", "", ""]  # never opened
    assert [(p.row, p.line, p.kind) for p in posts.image_problems] == \
        [(1, 3, "outside"), (2, 4, "absolute"), (3, 5, "absolute")]
    assert [(p.row, p.line) for p in posts.select([2, 0]).image_problems] == [(0, 4)]


def test_dot_dot_that_comes_back_into_the_folder_is_accepted(photos):
    data = photos.parent
    write_csv(data, [(f"images/../../{data.name}/images/rgb.jpg", "a", "x")])
    assert read_posts(data).image_paths == [str(photos / "rgb.jpg")]


def test_single_bad_row_error_has_its_line_and_long_lists_are_cut():
    one = bad_image_error("/d/p.csv", [BadImage(0, 7, "a.jpg", "missing")])
    assert one.row == 7 and one.column == "image_names"
    many = [BadImage(i, i + 2, f"p{i}.jpg", "undecodable", "Input is empty.")
            for i in range(MAX_LISTED + 3)]
    message = str(bad_image_error("/d/p.csv", many, hint="or pass --on-bad-image skip"))
    assert f"{MAX_LISTED + 3} image file(s) not an image or damaged" in message
    assert f"p{MAX_LISTED - 1}.jpg" in message and f"p{MAX_LISTED}.jpg" not in message
    assert "and 3 more" in message and message.endswith("--on-bad-image skip")


# --- the three policies ----------------------------------------------------------------------

ROWS = [  # (image_names, caption, hashtags); line = index + 2
    ("images/grey.jpg", "grey city at night", "city night"),
    ("images/truncated.jpg", "half a photo", "city"),
    ("images/cmyk.jpg", "a printed poster", "city poster"),
    ("images/gone.jpg", "lost photo", "night"),
    ("images/rgba.png", "a logo", "poster night"),
    ("../outside.jpg", "somewhere else", "city"),
    ("images/text.jpg", "notes", "night"),
    ("", "no photo at all", "city night"),
    ("images/palette.png", "a drawing", "poster"),
    ("images/empty.jpg", "empty file", "poster"),
    ("images/animated.gif", "a moving picture", "city night"),
]
BAD_LINES = [3, 5, 7, 8, 11]
GOOD_LINES = [2, 4, 6, 9, 10, 12]


@pytest.fixture
def posts_folder(photos):
    write_csv(photos.parent, ROWS)
    return photos.parent


@pytest.fixture
def config(cache):
    return AMNNConfig(cache_dir=str(cache), extract_batch_size=4)


def test_find_bad_images_names_each_kind(posts_folder, config, encoder):
    posts = read_posts(posts_folder, check_images=False)
    bad = find_bad_images(posts, config, progress=False)
    assert [(b.line, b.name, b.kind) for b in bad] == [
        (3, "images/truncated.jpg", "undecodable"), (5, "images/gone.jpg", "missing"),
        (7, "../outside.jpg", "outside"), (8, "images/text.jpg", "undecodable"),
        (11, "images/empty.jpg", "empty")]


def test_error_lists_every_bad_row_after_saving_the_good_photos(posts_folder, config,
                                                                encoder):
    feature_cache_file(encoder, config.cache_dir).unlink(missing_ok=True)  # start with no features
    posts = read_posts(posts_folder, check_images=False)
    with pytest.raises(DataError) as error:
        check_post_photos(posts, config, progress=False)
    message = str(error.value)
    for line, (name, _, _) in zip(BAD_LINES, [ROWS[i - 2] for i in BAD_LINES]):
        assert f"line {line}: {name} (" in message
    assert "--on-bad-image skip" in message and "text-only" in message
    assert error.value.column == "image_names"
    good = [p for p in posts.image_paths if p and "gone" not in p and "truncated" not in p
            and "text" not in p and "empty" not in p]
    features, _ = load_features(good, encoder, cache_dir=config.cache_dir)  # cached already
    assert len(features) == 5 and np.isfinite(features).all()


def test_skip_leaves_the_bad_posts_out_with_one_note(posts_folder, config, encoder, capsys):
    posts = read_posts(posts_folder, check_images=False)
    kept = check_post_photos(posts, config.replace(on_bad_image="skip"), progress=False)
    assert kept.line_numbers == GOOD_LINES and kept.image_problems == []
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and note[0].startswith("note: image_text_tag.csv: 5 post(s)")
    assert "lines 3, 5, 7, 8, 11" in note[0] and "--on-bad-image skip" in note[0]


def test_text_only_keeps_the_posts_without_their_photo(posts_folder, config, encoder, capsys):
    posts = read_posts(posts_folder, check_images=False)
    kept = check_post_photos(posts, config.replace(on_bad_image="text-only"), progress=False)
    assert kept.line_numbers == posts.line_numbers and kept.image_problems == []
    assert kept.image_names == posts.image_names  # the CSV cells are written back unchanged
    bad_rows = [line - 2 for line in BAD_LINES]
    assert all(kept.image_paths[i] == "" for i in bad_rows)
    table = photo_table(kept.image_paths, config, progress=False)
    blank = len(table.features) - 1
    assert all(table.rows[i] == blank for i in bad_rows + [7])  # like the post without photo
    assert not np.any(table.features[blank])
    good_rows = [i for i in range(len(ROWS)) if i not in bad_rows + [7]]
    assert all(table.rows[i] < blank for i in good_rows)
    assert "used without their photo" in capsys.readouterr().err


def test_skip_that_leaves_nothing_is_an_error(photos, config, encoder):
    write_csv(photos.parent, [("images/text.jpg", "a", "x"), ("images/gone.jpg", "b", "x")])
    posts = read_posts(photos.parent, check_images=False)
    with pytest.raises(DataError, match="every post has a bad photo.*text-only"):
        check_post_photos(posts, config.replace(on_bad_image="skip"), progress=False)
    assert apply_bad_image_policy(posts, [], "error") is posts


def test_a_folder_named_like_a_photo_is_named(photos, config):
    (photos / "folder.jpg").mkdir(exist_ok=True)
    write_csv(photos.parent, [("images/folder.jpg", "b", "x")])
    with pytest.raises(DataError, match=r"line 2: images/folder.jpg \(not readable: a folder"):
        read_posts(photos.parent)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_named(photos, config, encoder):
    locked = photos / "locked.jpg"
    locked.write_bytes((photos / "rgb.jpg").read_bytes())
    locked.chmod(0)
    try:
        write_csv(photos.parent, [("images/locked.jpg", "a", "x")])
        bad = find_bad_images(read_posts(photos.parent, check_images=False), config, False)
        assert [(b.kind, b.detail) for b in bad] == [("unreadable", "permission denied")]
    finally:
        locked.chmod(0o644)


# --- the scripts -----------------------------------------------------------------------------

def load_script(name: str):
    """The program behind scripts/<name>.py, so its main() runs in this process (no TF restart)."""
    return importlib.import_module(f"amnn.cli.{name}")


@pytest.fixture(scope="module")
def tiny_model(photos, cache, encoder, tmp_path_factory):
    """A model trained for one epoch on the good posts (train.py --on-bad-image skip)."""
    write_csv(photos.parent, ROWS)
    model = tmp_path_factory.mktemp("model") / "m"
    common = ["--data", str(photos.parent), "--out", str(model), "--epochs", "1",
              "--decoder-units", "16", "--batch-size", "4", "--val-fraction", "0",
              "--min-tag-count", "1", "--cache-dir", str(cache), "--quiet"]
    train = load_script("train")
    assert train.main(common) == 2  # error is the default: nothing is trained
    assert not (model / "model.keras").exists()
    assert train.main(common + ["--on-bad-image", "skip"]) == 0
    return model


def test_train_error_names_every_bad_line(photos, cache, tiny_model, capsys):
    write_csv(photos.parent, ROWS)
    train = load_script("train")
    assert train.main(["--data", str(photos.parent), "--out", str(tiny_model.parent / "x"),
                       "--cache-dir", str(cache), "--quiet"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--on-bad-image" in errors[0]  # one line, every bad row
    assert all(f"line {line}:" in errors[0] for line in BAD_LINES)


@pytest.mark.parametrize("policy", ["skip", "text-only", "error"])
def test_predict_writes_every_row(photos, cache, tiny_model, tmp_path, capsys, policy):
    write_csv(photos.parent, ROWS)
    out = tmp_path / "pred.csv"
    predict = load_script("predict")
    # The model was trained with skip; without the flag predict.py must still stop (error).
    flag = ["--on-bad-image", policy] if policy != "error" else []
    code = predict.main(["--model", str(tiny_model), "--data", str(photos.parent), "--out",
                         str(out), "--cache-dir", str(cache), "--quiet", "--top-k", "2", *flag])
    err = capsys.readouterr().err
    if policy == "error":
        assert code == 2 and not out.exists()
        assert all(f"line {line}:" in err for line in BAD_LINES)
        return
    assert code == 0
    predicted = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert predicted["image_names"].tolist() == [r[0] for r in ROWS]  # every row, in order
    empty = [i + 2 for i, cell in enumerate(predicted["predicted_hashtags"]) if not cell]
    assert empty == (BAD_LINES if policy == "skip" else [])
    assert "note: image_text_tag.csv: 5 post(s) with a bad photo" in err


def test_predict_script_skip_in_a_subprocess(photos, cache, tiny_model, tmp_path):
    write_csv(photos.parent, ROWS)
    out = tmp_path / "pred.csv"
    env = dict(os.environ, AMNN_CACHE_DIR=str(cache), TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "predict.py"), "--model",
                           str(tiny_model), "--data", str(photos.parent), "--out", str(out),
                           "--quiet", "--on-bad-image", "skip", "--chunk-size", "4"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "lines 3, 5, 7, 8, 11" in notes[0]  # one note over 3 chunks
    assert len(pd.read_csv(out)) == len(ROWS)
