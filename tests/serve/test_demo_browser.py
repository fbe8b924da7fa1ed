"""The web demo in a real browser: scripts/demo.py served, driven by headless Chromium.

Trains a small model, starts `scripts/demo.py` on a free port of 127.0.0.1, uploads a
test_dataset photo, types its caption, presses the button and checks that the page shows
exactly the tags `scripts/predict.py` writes for the same post. Needs Playwright (the `test`
extra) and Debian's `chromium` (`.ci/run` installs it); skips, saying which, without them.
Run it alone with `python -m pytest -m browser -s` (the screenshot's path is printed).
"""

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.test_end_to_end import REPO, SMALL_MODEL, run

pytestmark = pytest.mark.browser
TOP_K = 5
POST = 2  # the test_dataset line whose photo and caption are sent (the cat close-up)


def _browser():
    """Chromium's path, or a pytest skip saying what is missing."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                        "(pip install -e .[test])")
    pytest.importorskip("gradio", reason="gradio is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    return chromium


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url, server, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"demo.py ended with status {server.returncode}: "
                        f"{server.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"demo.py did not answer on {url} within {seconds} s")


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


def test_the_page_recommends_predict_pys_tags_for_an_uploaded_photo(tmp_path):
    chromium = _browser()
    from playwright.sync_api import sync_playwright

    row = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str).iloc[POST - 2]
    photo, caption = REPO / "test_dataset" / row["image_names"], row["tweets"]
    model, cache = tmp_path / "model", tmp_path / "cache"
    run("train.py", "--data", REPO / "dataset", "--out", model, "--epochs", "3",
        *SMALL_MODEL, cache=cache)
    expected = _predict_py(model, photo, caption, tmp_path / "post", cache)

    port = _free_port()
    env = dict(os.environ, AMNN_CACHE_DIR=str(tmp_path / "unused_cache"),
               GRADIO_ANALYTICS_ENABLED="False")
    server = subprocess.Popen([sys.executable, str(REPO / "scripts" / "demo.py"), "--model",
                               str(model), "--port", str(port), "--top-k", str(TOP_K)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    screenshot = tmp_path / "demo_page.png"
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, server)
        with sync_playwright() as playwright:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url, timeout=120_000)
            page.locator("#photo input[type=file]").set_input_files(str(photo))
            page.locator("#photo img").first.wait_for(timeout=60_000)  # the upload is shown
            page.locator("#caption textarea").fill(caption)
            page.locator("#recommend").click()
            page.wait_for_function(
                "() => document.querySelector('#hashtags textarea')?.value.length > 0",
                timeout=300_000)
            shown = page.locator("#hashtags textarea").input_value().split()
            scores = page.locator("#scores").inner_text()
            page.locator("#overlay img").first.wait_for(timeout=60_000)
            page.screenshot(path=str(screenshot), full_page=True)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"\nscreenshot of the demo page: {screenshot}")
    assert [tag.lstrip("#") for tag in shown] == expected
    positions = [scores.find(f"#{tag}") for tag in expected]
    assert -1 not in positions and positions == sorted(positions), scores  # ranked, shown
    assert screenshot.stat().st_size > 10_000
