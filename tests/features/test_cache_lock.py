"""The feature cache's lock within one process: what it holds, and for how long.

Processes that wait for each other are tested in tests/faults/test_cache_sharing.py. Here
the lock file is probed through a descriptor of its own: flock locks of two open files
conflict even within one process, as another process's would.
"""

import fcntl
import math
import os
from types import SimpleNamespace

import numpy as np
import pytest

from amnn.errors import AMNNError
from amnn.features.cache_file import cache_wait_seconds, feature_cache_file
from amnn.features.cache_lock import CacheLock
from amnn.features.photo_table import cached_feature_rows
from amnn.features.store import FeatureCache

ENCODER = SimpleNamespace(name="tiny", feature_shape=(49, 4), fingerprint="cd" * 32)


def _free(lock_path, exclusive=True) -> bool:
    """Whether another open file could take the lock now."""
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.fixture
def cache(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"not decoded here")
    path = feature_cache_file(ENCODER, tmp_path)
    with FeatureCache(path, ENCODER.name, ENCODER.feature_shape,
                      fingerprint=ENCODER.fingerprint) as store:
        store.write([str(photo)], np.ones((1, 49, 4)))
    return path, str(photo)


def test_a_writer_holds_the_cache_alone_and_a_reader_with_others(cache):
    path, _ = cache
    lock = f"{path}.lock"
    with FeatureCache(path, "tiny", (49, 4), fingerprint=ENCODER.fingerprint):
        assert not _free(lock, exclusive=False)
    with FeatureCache(path, "tiny", (49, 4), "r", fingerprint=ENCODER.fingerprint):
        assert _free(lock, exclusive=False) and not _free(lock)
    assert _free(lock)


def test_streamed_rows_keep_the_cache_until_they_are_closed(cache):
    path, photo = cache
    rows, index = cached_feature_rows([photo, ""], ENCODER, path.parent.parent)
    assert index.tolist() == [0, -1] and rows[[0]].sum() == 49 * 4
    assert not _free(f"{path}.lock")  # no writer may move the rows under a training
    rows.close()
    assert _free(f"{path}.lock")


def test_a_process_that_reads_the_cache_cannot_write_it_too(cache):
    path, photo = cache
    with CacheLock(path, exclusive=False):
        with FeatureCache(path, "tiny", (49, 4), "r", fingerprint=ENCODER.fingerprint) as c:
            assert photo in c  # a second reader in the same process is counted, not taken
        with pytest.raises(RuntimeError, match="reads the feature cache and cannot write"):
            FeatureCache(path, "tiny", (49, 4), fingerprint=ENCODER.fingerprint)
        assert not _free(f"{path}.lock")  # the failed writer left the reader's lock alone
    assert _free(f"{path}.lock")


@pytest.mark.parametrize("raw, seconds", [("", 600.0), ("0", 0.0), ("2.5", 2.5),
                                          ("inf", math.inf)])
def test_the_wait_is_a_setting(monkeypatch, raw, seconds):
    monkeypatch.setenv("AMNN_CACHE_WAIT", raw)
    assert cache_wait_seconds() == seconds


@pytest.mark.parametrize("raw", ["-1", "nan", "ten"])
def test_a_wrong_wait_says_what_it_should_be(monkeypatch, raw):
    monkeypatch.setenv("AMNN_CACHE_WAIT", raw)
    with pytest.raises(AMNNError, match=rf"AMNN_CACHE_WAIT must be a number of seconds >= 0 "
                                        rf"\(or 'inf'\), got '{raw}'"):
        cache_wait_seconds()
