"""The web demo's handler on every awkward input, and five requests at once over HTTP.

A small model is trained once (train.py on the embedded demo photos, as the end-to-end
tests do); the page's handler (`make_handler`) is called directly, and its answers are
compared with the project's predictor on the same one-row post. A post that cannot be
answered leaves its message in the result pane and one line, no traceback, in the log.
A tiny caption model (train.py --task caption) is served by the real CLI and must write
predict.py's captions.
"""

import logging
import os
import re
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.cli.test_end_to_end import REPO, run

gr = pytest.importorskip("gradio")

PHOTOS = REPO / "test_dataset" / "images"


@pytest.fixture(scope="module")
def model(demo_model):
    return demo_model[2]  # the session's shared demo model (tests/conftest.py)


@pytest.fixture(scope="module")
def recommender(model, tmp_path_factory):
    from amnn.cli.tensorflow_loading import load_tensorflow
    from amnn.serve.demo_app import DemoRecommender

    load_tensorflow()
    work = tmp_path_factory.mktemp("demo_work")
    return DemoRecommender.from_model_folder(model, work / "answers",
                                             cache_dir=str(work / "features"))


@pytest.fixture(scope="module")
def handler(recommender):
    from amnn.serve.demo_page import make_handler

    return make_handler(recommender)


def expected_tags(recommender, photo, caption, top_k, given=""):
    """What the project's predictor says for the same post, read from a one-row CSV."""
    from amnn.data.hashtags import parse_hashtags
    from amnn.data.posts import Posts

    header, row = ["image_names", "tweets"], [Path(photo).name if photo else "", caption]
    if given:
        header.append("given_hashtags")
        row.append(" ".join(parse_hashtags(given)))
    folder = Path(photo).parent if photo else REPO
    posts = Posts.from_rows(folder / "x.csv", header, [row], [2])
    return recommender.predictor.predict(posts, top_k=top_k, rank=recommender.rank,
                                         min_tags=recommender.min_tags)[0]


def tags_of(line):
    return [tag.lstrip("#") for tag in line.split()]


def assert_refused(answer, caplog, match):
    """The results are emptied, the note says why, and the log got one line for it."""
    scores, overlay, line, note = answer
    assert scores is None and overlay is None and line == ""
    assert note.startswith("**Cannot recommend hashtags.** ")
    assert re.search(match, note), note
    logged = [r for r in caplog.records if r.name == "amnn.demo"]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING, logged
    assert logged[0].exc_info is None and "\n" not in logged[0].getMessage()
    assert logged[0].getMessage().startswith("refused a request: ")
    caplog.clear()


def png_header(width, height):
    """A PNG that says it is width x height and holds no pixels: a huge photo, in 45 bytes."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                                   8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


def test_photo_and_caption_give_the_predictors_tags_with_probabilities(recommender, handler):
    photo, caption = str(PHOTOS / "chelsea_face.jpg"), "Close up of the boss"
    scores, overlay, line, note = handler(photo, caption, "", 4)
    assert tags_of(line) == expected_tags(recommender, photo, caption, 4)
    assert list(scores) == line.split() and len(scores) == 4
    assert all(0 < p <= 1 for p in scores.values())
    assert Image.open(overlay).size[0] > 100 and note == ""


def test_given_tags_are_parsed_and_never_recommended(recommender, handler):
    photo, caption = str(PHOTOS / "chelsea_face.jpg"), "Whiskers on point"
    _, _, line, note = handler(photo, caption, "#Cat, catsofinstagram  #nosuchtag", 3)
    assert tags_of(line) == expected_tags(recommender, photo, caption, 3,
                                          "cat catsofinstagram nosuchtag")
    assert not {"cat", "catsofinstagram"} & set(tags_of(line))
    assert "#nosuchtag" in note


def test_caption_only_photo_only_and_neither(recommender, handler, caplog):
    _, overlay, line, note = handler(None, "coffee in the morning", "", 3)
    assert tags_of(line) == expected_tags(recommender, None, "coffee in the morning", 3)
    assert "caption alone" in note and Path(overlay).is_file()
    photo = str(PHOTOS / "coffee_cup.jpg")
    _, _, line, _ = handler(photo, "", "", 3)  # an empty caption still recommends
    assert tags_of(line) == expected_tags(recommender, photo, "", 3) and len(tags_of(line)) == 3
    for caption in ("", "   ", None):
        assert_refused(handler(None, caption, "#cat", 3), caplog,
                       "Upload a photo or type a caption")


def test_a_file_that_is_not_an_image_gets_a_message_in_the_pane(handler, tmp_path, caplog):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("these are my notes, not a photo\n")
    assert_refused(handler(str(fake), "beach", "", 3), caplog, "not a photo")
    # The upload step itself (what the browser's file goes through) hands the file on, so
    # that the handler's message, not a failed request, is what the page shows.
    from gradio.data_classes import FileData

    from amnn.serve.demo_page import _photo_input

    upload = _photo_input(type="filepath", image_mode=None)
    assert upload.preprocess(FileData(path=str(fake), orig_name="holiday.jpg")) == str(fake)


def test_a_truncated_photo_gets_a_message_in_the_pane(handler, tmp_path, caplog):
    broken = tmp_path / "cut.jpg"
    broken.write_bytes((PHOTOS / "coffee_cup.jpg").read_bytes()[:3000])
    assert_refused(handler(str(broken), "coffee", "", 3), caplog, "cannot be used|not a photo")


def test_a_photo_over_the_pixel_limit_is_refused_before_decoding(handler, tmp_path, caplog):
    huge = tmp_path / "huge.png"
    Image.new("L", (8200, 8000), 128).save(huge)  # 65.6 MP > 64 MP; one colour: ~70 kB
    assert_refused(handler(str(huge), "a grey wall", "", 3), caplog,
                   "too large.*65,600,000 pixels")


def test_a_200_megapixel_upload_passes_the_upload_step_and_gets_a_message(handler, tmp_path,
                                                                          caplog, monkeypatch):
    from gradio.data_classes import FileData

    from amnn.serve.demo_page import _photo_input

    # Pillow's own limit, as a fresh server has it: reading a photo with a higher
    # --max-photo-pixels raises the process-wide limit, and other tests may have done so.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)

    bomb = tmp_path / "panorama.png"
    bomb.write_bytes(png_header(20_000, 10_000))  # over Pillow's own refusal (2 x 89 MP)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(bomb)  # what Gradio's upload step met, failing the whole request
    photo = _photo_input(type="filepath", image_mode=None).preprocess(
        FileData(path=str(bomb), orig_name="panorama.png"))
    assert_refused(handler(photo, "", "", 3), caplog, "too large.*200,000,000 pixels")


def test_a_phone_photo_with_exif_rotation_is_read_and_drawn_upright(recommender, handler,
                                                                     tmp_path):
    upright = Image.open(PHOTOS / "coffee_cup.jpg").convert("RGB")
    upright.save(tmp_path / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view": stored turned the other way
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "phone.png", exif=exif)
    straight = handler(str(tmp_path / "upright.png"), "my coffee", "", 3)
    turned = handler(str(tmp_path / "phone.png"), "my coffee", "", 3)
    assert turned[2] == straight[2]  # same pixels to the encoder, so the same tags
    a, b = (np.asarray(Image.open(result[1]).convert("RGB"), float)
            for result in (straight, turned))
    assert a.shape == b.shape and np.abs(a - b).mean() < 2.0  # the overlay is upright too


def test_bugs_are_a_one_line_message_and_a_traceback_in_the_log(recommender, monkeypatch,
                                                                  caplog):
    from amnn.serve.demo_page import make_handler

    def broken(*args):
        raise KeyError("internal")

    monkeypatch.setattr(recommender, "recommend", broken)
    with pytest.raises(gr.Error, match="Something went wrong on the server") as raised:
        make_handler(recommender)(None, "coffee", "", 3)
    assert raised.value.print_exception is False  # the log's traceback is ours, once
    logged = [r for r in caplog.records if r.name == "amnn.demo"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert logged[0].exc_info[0] is KeyError


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client_when_up(client_class, port, seconds=300):
    """A gradio_client Client of the demo on `port`, once it answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return client_class(f"http://127.0.0.1:{port}/", verbose=False)
        except Exception:  # not listening yet (httpx's ConnectError and the like)
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_five_requests_at_once_over_http_all_answer_correctly(recommender, tmp_path):
    from gradio_client import Client, handle_file

    from amnn.serve.demo_page import build_page, example_posts

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    posts = example_posts(REPO / "test_dataset", count=5)
    assert len(posts) == 5
    expected = [expected_tags(recommender, photo, caption, 3) for photo, caption in posts]
    page = build_page(recommender, posts)
    port = _free_port()
    page.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        ssr_mode=False, allowed_paths=[str(recommender.work_dir), str(PHOTOS)])
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answers = [None] * 5

        def ask(i):
            photo, caption = posts[i]
            answers[i] = client.predict(handle_file(photo), caption, "", 3,
                                        api_name="/recommend")

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        for answer, tags in zip(answers, expected):
            scores, overlay, line, _ = answer
            assert tags_of(line) == tags
            assert [c["label"] for c in scores["confidences"]] == [f"#{t}" for t in tags]
            assert Path(overlay).is_file()
    finally:
        page.close()


def test_the_cli_without_a_model_says_how_to_train_one(tmp_path, monkeypatch, capsys):
    from amnn.cli.demo import TRAIN_HINT, main

    monkeypatch.chdir(tmp_path)  # no models/demo here
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no trained model at models/demo") and TRAIN_HINT in err
    assert len(err.splitlines()) == 1
    assert TRAIN_HINT in (REPO / "README.md").read_text()  # the quick start's own command
    assert main(["--model", str(tmp_path / "none")]) == 2
    assert "--model" in capsys.readouterr().err


def test_examples_are_distinct_photos_with_their_captions():
    from amnn.serve.demo_page import example_posts

    posts = example_posts(REPO / "test_dataset", count=3)
    assert len({photo for photo, _ in posts}) == 3 and all(caption for _, caption in posts)
    assert shutil.os.path.isfile(posts[0][0])


@pytest.fixture(scope="module")
def caption_model(tmp_path_factory):
    """A tiny caption model, and predict.py's captions of test_dataset written with it."""
    root = tmp_path_factory.mktemp("caption_demo")
    model, out = root / "model", root / "captions.csv"
    run("train.py", "--data", REPO / "dataset", "--out", model, "--task", "caption",
        "--epochs", "2", "--val-fraction", "0", "--decoder-units", "16", "--batch-size", "32",
        "--quiet", cache=root / "cache")
    run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
        "--quiet", cache=root / "cache")
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    # Posts of different photos with different captions (this tiny model writes 4 distinct
    # ones here), so that a photo lost on the way would show.
    posts = written.drop_duplicates("image_names").drop_duplicates("predicted_caption")
    return root, model, posts.head(3)


@pytest.mark.slow
def test_the_cli_serves_a_caption_model_that_writes_predict_pys_captions(caption_model,
                                                                         tmp_path, monkeypatch):
    """scripts/demo.py's main on a caption model: real HTTP uploads, then SIGTERM."""
    from gradio_client import Client, handle_file

    from amnn.cli.demo import main

    root, model, posts = caption_model
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where its amnn-demo-* goes
    port, answers, failures, returned = _free_port(), [], [], threading.Event()

    def use_the_page():
        try:
            client = _client_when_up(Client, port)
            for photo, tags in zip(posts["image_names"], posts["hashtags"]):
                answers.append(client.predict(handle_file(str(REPO / "test_dataset" / photo)),
                                              tags, api_name="/write_caption"))
            answers.append(client.predict(None, "", api_name="/write_caption"))
        except Exception as error:  # reported by the test below, after the server stops
            failures.append(error)
        finally:
            if not returned.is_set():
                os.kill(os.getpid(), signal.SIGTERM)  # stops main() below as `kill` would

    def unhandled(*_):
        # Reached only if main() does not handle SIGTERM itself: stop it as Ctrl-C would,
        # so that the test fails on its status instead of serving for ever.
        if not returned.is_set():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        threading.Thread(target=use_the_page, daemon=True).start()
        status = main(["--model", str(model), "--port", str(port)])
    finally:
        returned.set()
        signal.signal(signal.SIGTERM, previous)
    assert failures == [] and status == 143
    expected = [(caption, "") for caption in posts["predicted_caption"]]
    assert answers[:-1] == expected
    caption, note = answers[-1]
    assert caption == "" and "nothing to write a caption from" in note
    assert not list(tmp_path.glob("amnn-demo-*"))


@pytest.mark.slow
def test_the_caption_page_notes_unknown_tags_and_refuses_an_empty_post(caption_model, tmp_path,
                                                                        caplog):
    from amnn.cli.tensorflow_loading import load_tensorflow
    from amnn.serve.demo_captions import DemoCaptionWriter
    from amnn.serve.demo_page import make_caption_handler

    load_tensorflow()
    root, model, posts = caption_model
    writer = DemoCaptionWriter.from_model_folder(model, tmp_path / "answers",
                                                 cache_dir=str(root / "cache"))
    write = make_caption_handler(writer)
    photo = str(REPO / "test_dataset" / posts["image_names"].iloc[0])
    caption, note = write(photo, "#nosuchtag " + posts["hashtags"].iloc[0])
    assert caption == posts["predicted_caption"].iloc[0]  # an unknown tag changes nothing
    assert "#nosuchtag" in note
    caption, note = write(None, "   ")
    assert caption == "" and note.startswith("**Cannot write a caption.** Upload a photo")
    assert [r.getMessage()[:19] for r in caplog.records if r.name == "amnn.demo"] == [
        "refused a request: "]
    fake = tmp_path / "notes.jpg"
    fake.write_text("not a photo")
    assert "not a photo" in write(str(fake), "#cat")[1]
