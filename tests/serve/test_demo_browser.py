"""The web demo in a real browser: scripts/demo.py served, driven by headless Chromium.

Takes the session's small demo model, starts `scripts/demo.py` on a free port of 127.0.0.1, uploads a
test_dataset photo, types its caption, presses the button and checks that the page shows
exactly the tags `scripts/predict.py` writes for the same post. Needs Playwright (the `test`
extra) and Debian's `chromium` (`.ci/run` installs it); skips, saying which, without them.
Run it alone with `python -m pytest -m browser -s` (the screenshot's path is printed).
"""

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.demo_browser import find_chromium, recommend_in_browser, serving_demo
from tests.cli.test_end_to_end import REPO, run

pytestmark = pytest.mark.browser
TOP_K = 5
POST = 2  # the test_dataset line whose photo and caption are sent (the cat close-up)


def _browser():
    """Chromium's path, or a pytest skip saying what is missing."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                        "(pip install -e .[test])")
    pytest.importorskip("gradio", reason="gradio is not installed")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    return chromium


def _predict_py(model, photo, caption, folder, cache):
    """predict.py's tags for the post, from a one-row CSV next to a copy of its photo."""
    (folder / "images").mkdir(parents=True)
    shutil.copyfile(photo, folder / "images" / Path(photo).name)
    with open(folder / "image_text_tag.csv", "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([["image_names", "tweets"],
                                   [f"images/{Path(photo).name}", caption]])
    run("predict.py", "--model", model, "--data", folder, "--out", folder / "pred.csv",
        "--top-k", TOP_K, "--quiet", cache=cache)
    return pd.read_csv(folder / "pred.csv", dtype=str)["predicted_hashtags"][0].split()


def test_the_page_recommends_predict_pys_tags_for_an_uploaded_photo(tmp_path, demo_model):
    chromium = _browser()
    row = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str).iloc[POST - 2]
    photo, caption = REPO / "test_dataset" / row["image_names"], row["tweets"]
    _, cache, model = demo_model  # trained once per session (tests/conftest.py)
    expected = _predict_py(model, photo, caption, tmp_path / "post", cache)

    screenshot = tmp_path / "demo_page.png"
    with serving_demo(model, tmp_path, TOP_K, cache_dir=tmp_path / "unused_cache") as url:
        shown, scores = recommend_in_browser(url, chromium, photo, caption, screenshot)
    print(f"\nscreenshot of the demo page: {screenshot}")
    assert [tag.lstrip("#") for tag in shown] == expected
    positions = [scores.find(f"#{tag}") for tag in expected]
    assert -1 not in positions and positions == sorted(positions), scores  # ranked, shown
    assert screenshot.stat().st_size > 10_000
