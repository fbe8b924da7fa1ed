"""Processes that share a feature cache take turns instead of failing, and a failed worker
stops its peers with one line.

The lock tests start small Python processes (no TensorFlow) that hold a real cache with
`FeatureCache` while this process, or another one, asks for it. The slow tests run two
real `scripts/train.py --strategy multi-worker` workers on 127.0.0.1 with the demo photos,
from a cold cache and from the warm one it leaves, and once with a worker that fails.
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from amnn.features.cache_lock import CacheBusyError, holder_note
from amnn.features.store import FeatureCache
from amnn.train.distribution import peer_failure
from tests.train.test_multi_worker import free_ports

REPO = Path(__file__).resolve().parents[2]
PHOTOS = sorted(str(p) for p in (REPO / "dataset" / "images").iterdir())
SHAPE, PRINT = (49, 4), "ab" * 32  # a small feature shape, a made-up encoder fingerprint

# One process holding the cache: it writes its photos' rows in `mode` "a" (or reads in
# "r"), prints "holding" and, told to by a line on stdin, "note" (progress for waiters) or
# "go" (write the rest, close, print "closed").
HOLDER = """
import sys, time
import numpy as np
from amnn.features.store import FeatureCache
h5, mode, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
cache = FeatureCache(h5, "tiny", {shape}, mode, fingerprint={print_!r})
if mode == "a":
    cache.write(photos[:1], np.ones((1, *{shape})))
print("holding", flush=True)
for line in sys.stdin:
    if line.strip() == "note":
        cache.note(f"encoding, {{time.monotonic()}}")
    else:
        break
if mode == "a":
    cache.write(photos[1:], np.ones((len(photos) - 1, *{shape})))
cache.close()
print("closed", flush=True)
""".format(shape=SHAPE, print_=PRINT)

# One of several writers started at once: it records when it had the cache alone.
WRITER = """
import os, sys, time
import numpy as np
from amnn.features.store import FeatureCache
h5, log, pause, photos = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
with FeatureCache(h5, "tiny", {shape}, fingerprint={print_!r}) as cache:
    with open(log, "a") as out:
        out.write(f"enter {{os.getpid()}} {{time.time()}}\\n")
    for photo in photos:
        time.sleep(pause)
        cache.write([photo], np.full((1, *{shape}), len(photo)))
    with open(log, "a") as out:
        out.write(f"exit {{os.getpid()}} {{time.time()}}\\n")
""".format(shape=SHAPE, print_=PRINT)


def _start(code: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _holding(h5: Path, mode: str = "a", photos=PHOTOS[:3]) -> subprocess.Popen:
    child = _start(HOLDER, h5, mode, *photos)
    assert child.stdout.readline().strip() == "holding", child.stderr.read()
    return child


def _tell(child: subprocess.Popen, line: str) -> None:
    child.stdin.write(line + "\n")
    child.stdin.flush()


def _reader(h5: Path, wait=None) -> FeatureCache:
    return FeatureCache(h5, "tiny", SHAPE, "r", fingerprint=PRINT, wait=wait)


def test_a_reader_waits_for_the_writer_then_reads_what_it_wrote(tmp_path, capsys):
    h5 = tmp_path / "f.h5"
    writer = _holding(h5)
    threading.Timer(1.5, _tell, (writer, "go")).start()
    started = time.monotonic()
    with _reader(h5) as cache:
        waited = time.monotonic() - started
        assert cache.missing(PHOTOS[:3]) == []  # the writer's last rows too: it had finished
    assert writer.wait(30) == 0 and writer.stdout.read().strip() == "closed"
    assert waited >= 1.4
    line = capsys.readouterr().err.strip().splitlines()[0]
    assert line.startswith(f"waiting to read the feature cache {h5}: pid {writer.pid} on "
                           f"{socket.gethostname()} is writing features"), line


def test_readers_share_the_cache_and_a_writer_waits_for_them(tmp_path):
    h5 = tmp_path / "f.h5"
    with FeatureCache(h5, "tiny", SHAPE, fingerprint=PRINT) as cache:
        cache.write(PHOTOS[:1], np.ones((1, *SHAPE)))
    reader = _holding(h5, "r")
    try:
        with _reader(h5, wait=0) as cache:  # another reader at once: no wait at all
            assert PHOTOS[0] in cache
        with pytest.raises(CacheBusyError) as busy:
            FeatureCache(h5, "tiny", SHAPE, fingerprint=PRINT, wait=0)
        assert f"pid {reader.pid} on {socket.gethostname()} (reading it)" in str(busy.value)
    finally:
        _tell(reader, "go")
        reader.wait(30)


def test_the_wait_ends_in_one_line_naming_the_cache_and_its_holder(tmp_path, monkeypatch):
    h5 = tmp_path / "f.h5"
    writer = _holding(h5)
    monkeypatch.setenv("AMNN_CACHE_WAIT", "1")
    try:
        started = time.monotonic()
        with pytest.raises(CacheBusyError) as busy:
            _reader(h5)
        assert 1 <= time.monotonic() - started < 10
    finally:
        _tell(writer, "go")
        writer.wait(30)
    message = str(busy.value)
    assert "\n" not in message and re.match(rf"{re.escape(str(h5))}: waited \d+ s to read the "
                                            "feature cache, held by ", message), message
    assert f"held by pid {writer.pid} on {socket.gethostname()} (writing features)" in message
    assert "AMNN_CACHE_WAIT" in message


def test_a_writer_making_progress_is_waited_for_past_the_timeout(tmp_path, monkeypatch):
    h5 = tmp_path / "f.h5"
    writer = _holding(h5)
    monkeypatch.setenv("AMNN_CACHE_WAIT", "1")

    def progress():  # a note every 0.4 s for 3 s, then done: three times the timeout
        for _ in range(8):
            time.sleep(0.4)
            _tell(writer, "note")
        _tell(writer, "go")

    threading.Thread(target=progress).start()
    started = time.monotonic()
    with _reader(h5) as cache:
        assert time.monotonic() - started >= 3 and cache.missing(PHOTOS[:3]) == []
    assert writer.wait(30) == 0


def test_a_killed_writer_leaves_no_lock_and_no_holder_behind(tmp_path):
    h5 = tmp_path / "f.h5"
    writer = _holding(h5)
    assert holder_note(Path(f"{h5}.lock"))["pid"] == writer.pid
    writer.send_signal(signal.SIGKILL)
    writer.wait(30)
    assert holder_note(Path(f"{h5}.lock")) == {}  # its note names a dead process
    with FeatureCache(h5, "tiny", SHAPE, fingerprint=PRINT, wait=0) as cache:
        assert PHOTOS[0] in cache  # the kernel let go of its lock at once


@pytest.mark.parametrize("seed", range(3))
def test_concurrent_writers_take_turns(tmp_path, seed):
    """Three writers at once, with seeded random pauses between their rows, never overlap."""
    rng = random.Random(seed)
    h5, log = tmp_path / "f.h5", tmp_path / "log.txt"
    shares = [PHOTOS[i::3] for i in range(3)]
    writers = [_start(WRITER, h5, log, rng.uniform(0.0, 0.1), *share) for share in shares]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err[-2000:]
    events = sorted((float(t), kind) for kind, _, t in map(str.split, log.read_text().splitlines()))
    assert [kind for _, kind in events] == ["enter", "exit"] * 3  # one inside at a time
    with _reader(h5) as cache:
        assert cache.missing(PHOTOS) == []
        assert [float(cache.read([p])[0, 0, 0]) for p in PHOTOS] == [len(p) for p in PHOTOS]


def test_a_worker_without_a_word_is_named_from_tensorflow_s_message():
    # The text TensorFlow 2.21 gives a worker whose peer stopped sending heartbeats.
    message = ("Collective ops is aborted by: Error reported from /job:worker/task:0: The "
               "following tasks are unhealthy (stopped sending heartbeats):\n"
               "/job:worker/replica:0/task:1\nThe tasks have crashed.")
    spec = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}}
    line = peer_failure(message, spec, "worker", 0)
    assert line.startswith("worker 0 of 2 (127.0.0.1:1): stopped because worker 1 of 2 "
                           "(127.0.0.1:2) stopped without saying why")


# --- two real train.py workers --------------------------------------------------------

TINY = ["--epochs", "1", "--batch-size", "64", "--memory", "off", "--no-text",
        "--decoder-units", "8", "--val-fraction", "0", "--strategy", "multi-worker"]


def _two_workers(cache: Path, out: Path, extra=((), ())) -> list[subprocess.CompletedProcess]:
    """Both workers of a cluster on 127.0.0.1, started together; their results."""
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    runs = []
    for index in (0, 1):
        env = dict(os.environ, AMNN_CACHE_DIR=str(cache), CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": index}}))
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # quiet by default, as a user runs it
        runs.append(subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "train.py"), "--data", str(REPO / "dataset"),
             "--out", str(out), *TINY, *extra[index]], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    done = []
    try:
        for run in runs:
            out_text, err_text = run.communicate(timeout=400)
            done.append(subprocess.CompletedProcess(run.args, run.returncode, out_text, err_text))
    finally:
        for run in runs:
            run.kill()  # a no-op once it has ended; never leave a worker behind
            run.wait()
    return done


@pytest.mark.slow
def test_two_workers_share_a_cold_cache_then_a_warm_one(tmp_path):
    cache = tmp_path / "cache"
    cold = _two_workers(cache, tmp_path / "cold")
    for worker in cold:
        assert worker.returncode == 0, worker.stderr[-3000:]
    # The first to take the cache encoded the photos; the other found them there.
    encoded = [w.stderr.count(f"{len(PHOTOS)}/{len(PHOTOS)}") for w in cold]
    assert sorted(encoded) == [0, 1], [w.stderr for w in cold]
    assert (tmp_path / "cold" / "amnn_model.json").is_file()

    warm = _two_workers(cache, tmp_path / "warm")
    for worker in warm:
        assert worker.returncode == 0, worker.stderr[-3000:]
        assert "features:" not in worker.stderr  # nothing extracted again
        assert "Traceback" not in worker.stderr
    assert (tmp_path / "warm" / "amnn_model.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cold", "warm"]


@pytest.mark.slow
def test_a_failed_worker_stops_both_with_one_line_each(tmp_path):
    """Worker 1, started with other flags, fails preparing its data; worker 0 is told."""
    failed, told = _two_workers(tmp_path / "cache", tmp_path / "model",
                                ((), ("--min-tag-count", "1000")))[::-1]
    assert failed.returncode == told.returncode == 2
    errors = [[line for line in w.stderr.splitlines() if line.startswith("error:")]
              for w in (failed, told)]
    assert [len(e) for e in errors] == [1, 1], (failed.stderr, told.stderr)
    assert "Traceback" not in failed.stderr + told.stderr
    why = "no training post has a hashtag seen at least 1000 times"
    assert errors[0][0].startswith("error: worker 1 of 2 (127.0.0.1:") and why in errors[0][0]
    name = errors[0][0].split(": ", 2)[1]
    assert errors[1][0].startswith("error: worker 0 of 2 (127.0.0.1:")
    assert f"stopped because {name} failed: " in errors[1][0] and why in errors[1][0]
    assert not (tmp_path / "model" / "amnn_model.json").exists()
