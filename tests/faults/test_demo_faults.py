"""The web demo stopped by a signal: its folder of uploads never outlives it.

scripts/demo.py keeps every upload, answer and (without --cache-dir) photo feature in one
temporary folder, amnn-demo-*, and the README promises that it goes when the server stops.
These tests start the real demo (a subprocess on a free port of 127.0.0.1, TMPDIR in the
test's folder so that its amnn-demo-* can be found), use it over HTTP as the page does, and
stop it with SIGTERM (`kill`, `timeout`, a service manager) or Ctrl-C's SIGINT: after an
upload, and at seeded random moments of its start-up and of an answer in progress. Each
stop must leave no folder behind and end with one line, no traceback, and the shell's
status for that signal (143, 130). The user errors sent on the way must cost the server's
log one line each.

The seed and count are fixed, so a failure replays; the random test prints its tally
(`pytest -s`).
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.figures.demo_browser import free_port

pytest.importorskip("gradio")

REPO = Path(__file__).resolve().parents[2]
PHOTO = REPO / "test_dataset" / "images" / "chelsea_face.jpg"
SEED = 25
# Real demo processes stopped at a seeded random moment: each signal at each stage, once.
KILLS = [(signum, moment) for signum in (signal.SIGTERM, signal.SIGINT)
         for moment in ("starting", "answering")]


class Demo:
    """scripts/demo.py of `model`, started in `folder` (its TMPDIR is folder/tmp)."""

    def __init__(self, model, folder: Path):
        self.tmp = folder / "tmp"
        self.tmp.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.err_path = folder / "demo_stderr.txt"
        env = dict(os.environ, TMPDIR=str(self.tmp), GRADIO_ANALYTICS_ENABLED="False")
        env.pop("GRADIO_TEMP_DIR", None)  # the demo's own uploads folder, as for a user
        with open(self.err_path, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(REPO / "scripts" / "demo.py"), "--model", str(model),
                 "--port", str(self.port)],
                cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=err)

    def wait_until_serving(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.stderr()[-3000:]
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"the demo did not answer within {seconds:.0f} s")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=120)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def folders(self) -> list[Path]:
        return sorted(self.tmp.glob("amnn-demo-*"))

    def stderr(self) -> str:
        return self.err_path.read_text()


@pytest.mark.slow
def test_sigterm_after_an_upload_removes_the_uploads_and_says_so(demo_model, tmp_path):
    from gradio_client import Client, handle_file

    demo = Demo(demo_model[2], tmp_path)
    try:
        demo.wait_until_serving()
        client = Client(demo.url, verbose=False)
        _, _, line, note = client.predict(handle_file(str(PHOTO)), "Whiskers", "", 3,
                                          api_name="/recommend")
        assert len(line.split()) == 3 and note == ""
        # Two user errors: each leaves its message in the pane, one line in the log.
        notes = tmp_path / "notes.jpg"
        notes.write_text("my notes, not a photo")
        for photo, message in ((None, "Upload a photo or type a caption"),
                               (handle_file(str(notes)), "not a photo")):
            scores, overlay, line, note = client.predict(photo, "", "", 3,
                                                         api_name="/recommend")
            assert message in note and line == "" and overlay is None
        [work] = demo.folders()
        assert list(work.rglob(PHOTO.name)), "the upload is not in the demo's folder"
        assert list(work.rglob("*.h5")), "the photo features are not in the demo's folder"
    finally:
        status = demo.stop(signal.SIGTERM)
    err = demo.stderr()
    assert status == 143, err[-3000:]
    assert demo.folders() == [] and not work.exists()
    assert "Traceback" not in err, err
    refusals = [line for line in err.splitlines() if " refused a request: " in line]
    assert len(refusals) == 2 and "not a photo" in refusals[1], err
    assert err.splitlines()[-1] == f"stopped (SIGTERM): removed {work} (uploads, answers " \
                                   "and photo features)"


def _ask_in_background(url: str) -> None:
    """Send one photo; the answer (or the failure, once stopped) does not matter here."""
    def ask():
        from gradio_client import Client, handle_file
        try:
            Client(url, verbose=False).predict(handle_file(str(PHOTO)), "coffee", "", 3,
                                               api_name="/recommend")
        except Exception:  # the server went away mid-answer: that is the test
            pass

    threading.Thread(target=ask, daemon=True).start()


@pytest.mark.slow
def test_a_stop_at_a_random_moment_leaves_no_folder_and_no_traceback(demo_model, tmp_path):
    rng = random.Random(SEED)
    tally = []
    for run, (signum, moment) in enumerate(KILLS):
        demo = Demo(demo_model[2], tmp_path / f"run{run}")
        if moment == "starting":  # TensorFlow, the model, the encoder, the server
            delay = rng.uniform(2.0, 10.0)
            time.sleep(delay)
        else:  # a photo being encoded and answered, its files in the folder
            demo.wait_until_serving()
            _ask_in_background(demo.url)
            delay = rng.uniform(0.0, 2.0)
            time.sleep(delay)
        status = demo.stop(signum)
        err = demo.stderr()
        last = err.splitlines()[-1] if err.strip() else ""
        tally.append(f"{signum.name} {moment} +{delay:.1f}s: status {status}, "
                     f"folders left {len(demo.folders())}, last line {last[:60]!r}")
        assert demo.folders() == [], tally[-1]
        assert "Traceback" not in err, err
        assert status == 128 + signum, err[-3000:]
        assert last.startswith(f"stopped ({signum.name}): removed "), err[-3000:]
    print("\n" + "\n".join(tally))


@pytest.mark.slow
def test_a_second_stop_while_it_cleans_up_still_removes_the_folder(demo_model, tmp_path):
    # Ctrl-C pressed twice, or a service manager that sends SIGTERM again: the second
    # signal lands while the server closes or while its folder is being removed.
    rng = random.Random(SEED)
    for run, gap in enumerate(rng.uniform(0.0, 0.3) for _ in range(2)):
        demo = Demo(demo_model[2], tmp_path / f"run{run}")
        demo.wait_until_serving()
        _ask_in_background(demo.url)
        time.sleep(0.5)
        demo.process.send_signal(signal.SIGTERM)
        time.sleep(gap)
        status = demo.stop(signal.SIGTERM)
        err = demo.stderr()
        assert demo.folders() == [], f"gap {gap:.2f}s: {err[-3000:]}"
        assert "Traceback" not in err, err
        assert status == 143, err[-3000:]
        assert err.splitlines()[-1].startswith("stopped (SIGTERM): removed "), err[-3000:]
