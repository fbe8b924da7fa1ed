"""The web demo's handler on every awkward input, and five requests at once over HTTP.

A small model is trained once (train.py on the embedded demo photos, as the end-to-end
tests do); the page's handler (`make_handler`) is called directly, and its answers are
compared with the project's predictor on the same one-row post.
"""

import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_end_to_end import REPO

gr = pytest.importorskip("gradio")

PHOTOS = REPO / "test_dataset" / "images"


@pytest.fixture(scope="module")
def model(demo_model):
    return demo_model[2]  # the session's shared demo model (tests/conftest.py)


@pytest.fixture(scope="module")
def recommender(model, tmp_path_factory):
    from amnn.cli.runner import load_tensorflow
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


def test_caption_only_photo_only_and_neither(recommender, handler):
    _, overlay, line, note = handler(None, "coffee in the morning", "", 3)
    assert tags_of(line) == expected_tags(recommender, None, "coffee in the morning", 3)
    assert "caption alone" in note and Path(overlay).is_file()
    photo = str(PHOTOS / "coffee_cup.jpg")
    _, _, line, _ = handler(photo, "", "", 3)  # an empty caption still recommends
    assert tags_of(line) == expected_tags(recommender, photo, "", 3) and len(tags_of(line)) == 3
    for caption in ("", "   ", None):
        with pytest.raises(gr.Error, match="Upload a photo or type a caption"):
            handler(None, caption, "#cat", 3)


def test_a_file_that_is_not_an_image_gets_a_message(handler, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("these are my notes, not a photo\n")
    with pytest.raises(gr.Error, match="not a photo"):
        handler(str(fake), "beach", "", 3)
    # The upload step itself (what the browser's file goes through) says the same.
    from gradio.data_classes import FileData

    from amnn.serve.demo_page import _photo_input

    with pytest.raises(gr.Error, match="not a photo"):
        _photo_input(type="filepath", image_mode=None).preprocess(
            FileData(path=str(fake), orig_name="holiday.jpg"))


def test_a_truncated_photo_gets_a_message(handler, tmp_path):
    broken = tmp_path / "cut.jpg"
    broken.write_bytes((PHOTOS / "coffee_cup.jpg").read_bytes()[:3000])
    with pytest.raises(gr.Error, match="cannot be used|not a photo"):
        handler(str(broken), "coffee", "", 3)


def test_a_photo_over_the_pixel_limit_is_refused_before_decoding(handler, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("L", (8200, 8000), 128).save(huge)  # 65.6 MP > 64 MP; one colour: ~70 kB
    with pytest.raises(gr.Error, match="too large.*65,600,000 pixels"):
        handler(str(huge), "a grey wall", "", 3)


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


def test_bugs_are_a_one_line_message_not_a_traceback(recommender, monkeypatch):
    from amnn.serve.demo_page import make_handler

    def broken(*args):
        raise KeyError("internal")

    monkeypatch.setattr(recommender, "recommend", broken)
    with pytest.raises(gr.Error, match="Something went wrong on the server"):
        make_handler(recommender)(None, "coffee", "", 3)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
