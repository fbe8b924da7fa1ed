"""The web demo in a real browser: scripts/demo.py served, driven by headless Chromium.

Takes the session's small demo model, starts `scripts/demo.py` on a free port of 127.0.0.1, uploads a
test_dataset photo, types its caption, presses the button and checks that the page shows
exactly the tags `scripts/predict.py` writes for the same post. Then the user's mistakes
(nothing to answer, a file that is not a photo) must leave their message in the result
pane, where it stays until the next request, with no fading toast and no bare "Error".
Needs Playwright (the `test` extra) and Debian's `chromium` (`.ci/run` installs it); skips,
saying which, without them. Run it alone with `python -m pytest -m browser -s` (the
screenshots' paths are printed).
"""

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.figures.demo_browser import (
    demo_page,
    find_chromium,
    recommend_in_browser,
    serving_demo,
)
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


@pytest.fixture(scope="module")
def served(demo_model, tmp_path_factory):
    """The URL of scripts/demo.py serving the session's demo model (one server, all tests)."""
    _browser()
    root = tmp_path_factory.mktemp("served_demo")
    with serving_demo(demo_model[2], root, TOP_K, cache_dir=root / "unused_cache") as url:
        yield url


def test_the_page_recommends_predict_pys_tags_for_an_uploaded_photo(tmp_path, demo_model,
                                                                   served):
    chromium = _browser()
    row = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str).iloc[POST - 2]
    photo, caption = REPO / "test_dataset" / row["image_names"], row["tweets"]
    _, cache, model = demo_model  # trained once per session (tests/conftest.py)
    expected = _predict_py(model, photo, caption, tmp_path / "post", cache)

    screenshot = tmp_path / "demo_page.png"
    shown, scores = recommend_in_browser(served, chromium, photo, caption, screenshot)
    print(f"\nscreenshot of the demo page: {screenshot}")
    assert [tag.lstrip("#") for tag in shown] == expected
    positions = [scores.find(f"#{tag}") for tag in expected]
    assert -1 not in positions and positions == sorted(positions), scores  # ranked, shown
    assert screenshot.stat().st_size > 10_000


TOAST_S = 10  # how long Gradio shows an error toast (gr.Error's duration)


def _note_says(page, words: str) -> None:
    page.wait_for_function(f"() => document.querySelector('#note')?.innerText"
                           f".includes({words!r})", timeout=120_000)


def test_a_users_mistake_stays_in_the_result_pane(tmp_path, served):
    chromium = _browser()
    notes = tmp_path / "holiday.jpg"  # named like a photo, so the browser sends it
    notes.write_text("my notes from the trip, not a photo\n")
    screenshot = tmp_path / "demo_error.png"
    with demo_page(served, chromium) as page:
        page.locator("#recommend").click()  # no photo, no caption
        _note_says(page, "Upload a photo or type a caption")
        page.locator("#photo input[type=file]").set_input_files(str(notes))
        page.locator("#photo img").first.wait_for(state="attached", timeout=60_000)
        page.locator("#recommend").click()
        _note_says(page, "not a photo")  # the next request replaced the first message
        page.wait_for_timeout((TOAST_S + 1) * 1000)  # a toast would be gone by now
        note = page.locator("#note").inner_text()
        panes = {pane: page.locator(pane).inner_text()
                 for pane in ("#scores", "#hashtags", "#overlay")}
        toasts = page.locator(".toast-body").count()
        page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nscreenshot of the refused upload: {screenshot}")
    assert note.startswith("Cannot recommend hashtags.") and "Upload a JPEG" in note, note
    assert not [pane for pane, text in panes.items() if "Error" in text], panes
    assert toasts == 0


# Measured in the page: a span of Hangul against one of private-use characters, which no font
# draws, so both come out as replacement boxes of one width when no Korean font is installed.
_HANGUL_WIDTHS = """() => {
    const width = (text) => {
        const span = document.createElement("span");
        span.textContent = text;
        span.style.fontSize = "32px";
        // Out of the page's flow, so its width is its text's, whatever the page's layout.
        span.style.position = "absolute";
        span.style.display = "inline-block";
        span.style.whiteSpace = "nowrap";
        document.body.appendChild(span);
        const measured = span.getBoundingClientRect().width;
        span.remove();
        return measured;
    };
    return [width("#제주여행 #카페"), width("#\\uE000\\uE001\\uE002\\uE003 #\\uE004\\uE005")];
}"""


def test_korean_tags_draw_as_hangul_not_boxes(served):
    """Korean users' tags must be readable on the page: `.ci/run` installs fonts-noto-cjk."""
    with demo_page(served, _browser()) as page:
        hangul, boxes = page.evaluate(_HANGUL_WIDTHS)
    assert hangul > 0 and boxes > 0
    assert abs(hangul - boxes) > 1.0, \
        f"Hangul is drawn as boxes ({hangul:.1f} px, the same as unknown glyphs): " \
        "install a CJK font (apt-get install fonts-noto-cjk)"
