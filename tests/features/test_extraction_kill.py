"""Feature extraction killed mid-run (Ctrl-C/`kill`, or SIGKILL) resumes with what is left.

A child process extracts the demo photos one per batch and prints a line per encoded
batch; the test kills it after a few, runs it again, and checks that the second run
encodes only the photos the first did not finish and that every photo ends up cached.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PHOTOS = sorted(str(p) for p in (REPO / "dataset" / "images").iterdir())

CHILD = """
from amnn.features.encoders import get_encoder
from amnn.features.extraction import ensure_features

encoder = get_encoder("efficientnet_lite0")
encode = encoder.encode_batch

def counted(images):
    features = encode(images)
    print("encoded", int(images.shape[0]), flush=True)
    return features

encoder.encode_batch = counted
ensure_features({photos!r}, encoder, cache_dir={cache!r}, batch_size=1, progress=False)
print("done", flush=True)
"""


def _start(cache: Path) -> subprocess.Popen:
    code = CHILD.format(repo=str(REPO), photos=PHOTOS, cache=str(cache))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _encoded(lines) -> int:
    return sum(int(line.split()[1]) for line in lines if line.startswith("encoded"))


@pytest.mark.slow
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL])
def test_killed_extraction_resumes_with_what_is_left(tmp_path, kill):
    assert len(PHOTOS) >= 10
    child = _start(tmp_path / "cache")
    first = []
    for line in child.stdout:
        first.append(line)
        if _encoded(first) >= 4:
            child.send_signal(kill)
            break
    child.communicate(timeout=120)
    assert child.returncode != 0  # it really was stopped before the end

    again = _start(tmp_path / "cache")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    lines = out.splitlines()
    assert lines[-1] == "done"
    redone = _encoded(lines)
    if kill == signal.SIGTERM:
        # SIGTERM closes the HDF5 file cleanly: the photos written before the 4th was
        # encoded (at least 3; each is flushed before the next is encoded) are kept.
        assert redone <= len(PHOTOS) - 3
    else:
        # SIGKILL may cut a write in half; then the cache is moved aside, never trusted.
        assert redone <= len(PHOTOS)
        moved = list((tmp_path / "cache" / "features").glob("*.corrupt-*"))
        assert redone < len(PHOTOS) or moved

    final = _start(tmp_path / "cache")  # a third run finds everything cached
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0 and _encoded(out.splitlines()) == 0, err[-2000:]
