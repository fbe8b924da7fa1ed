"""Serve scripts/demo.py and use its page in headless Chromium, as a person would.

Shared by the browser test (tests/serve/test_demo_browser.py) and the README's screenshot
(`readme_images.py`, beside this file). Chromium is Debian's (`apt-get install chromium`),
driven by Playwright's Python package through `executable_path`: Playwright's own browser
download is not needed. It needs a trained model and starts a server and a browser, so
its use is shown rather than run here:

    with serving_demo("models/demo", Path("/tmp")) as url:
        shown, scores = recommend_in_browser(url, find_chromium(), "cat.jpg", "my cat",
                                             Path("/tmp/page.png"))
    shown  # the hashtags the page showed, as the Hashtags box holds them
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.common.paths import REPO


def find_chromium() -> str | None:
    """The path of Debian's chromium, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now.

    Example:
        >>> 1024 <= free_port() < 65536  # one the system hands out, never a reserved one
        True
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"demo.py ended with status {server.returncode}: "
                               f"{server.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"demo.py did not answer on {url} within {seconds:.0f} s")


@contextlib.contextmanager
def serving_demo(model, workdir: Path, top_k: int = 5, cache_dir=None, seconds: float = 300):
    """Run scripts/demo.py on a free port while the block runs; yields its URL."""
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    if cache_dir is not None:
        env["AMNN_CACHE_DIR"] = str(cache_dir)
    server = subprocess.Popen([sys.executable, str(REPO / "scripts" / "demo.py"), "--model",
                               str(model), "--port", str(port), "--top-k", str(top_k)],
                              cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, server, seconds)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


@contextlib.contextmanager
def demo_page(url: str, chromium: str):
    """The demo at `url` open in headless `chromium` (Playwright) while the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=args)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url, timeout=120_000)
            yield page
        finally:
            browser.close()


def recommend_in_browser(url: str, chromium: str, photo, caption: str,
                         screenshot: Path) -> tuple[list[str], str]:
    """Upload `photo`, type `caption`, press the button: (tags shown, the scores' text).

    Saves a full-page screenshot once the explanation picture is shown.
    """
    with demo_page(url, chromium) as page:
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
    return shown, scores
