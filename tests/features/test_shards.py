"""Feature extraction split over machines: shards of the demo photos, merged with real Lite0.

Three "machines" extract shards 1/3, 2/3 (in this process) and 3/3 (through
scripts/extract_features.py); their merge must give exactly the features, sizes, mtimes and
digests one machine extracting every photo gives, so training trusts them as its own.
Every cache lives under tmp_path; the Lite0 weights are converted once for the module.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.features.encoders import get_encoder  # noqa: E402
from amnn.errors import DataError  # noqa: E402
from amnn.features.cache_file import feature_cache_file  # noqa: E402
from amnn.features.extraction import ensure_features  # noqa: E402
from amnn.features.photo_table import load_features  # noqa: E402
from amnn.features.store import FeatureCache  # noqa: E402
from amnn.features.shards import (merge_shards, missing_shards, parse_shard,  # noqa: E402
                                 shard_cache_dir, shard_paths)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "extract_features.py"
PHOTOS = sorted(str(p) for p in (REPO / "dataset" / "images").glob("*.jpg"))
NAME = "efficientnet_lite0"
SHAPE = (49, 1280)
FAKE = "ab" * 32  # the fingerprint of the fake shards' encoder
COLUMNS = ("keys", "features", "sizes", "mtimes", "digests", "complete")
_TF_NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages",
             "To enable the following instructions")


def _script(*args, cache: Path, extra_env=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", AMNN_CACHE_DIR=str(cache), **(extra_env or {}))
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)


def _error_lines(stderr: str) -> list:
    """stderr without TensorFlow's start-up lines and argparse's usage block."""
    return [line for line in stderr.splitlines() if line.strip()
            and not line.startswith(_TF_NOISE) and not line.startswith(("usage:", " "))]


def _stored(path: Path) -> dict:
    """{photo key: (features, size, mtime, digest, complete)} of one cache file."""
    with h5py.File(path, "r") as f:
        keys = f["keys"].asstr()[:]
        columns = [f[name][:] for name in COLUMNS[1:]]
    return {k: tuple(c[i] for c in columns) for i, k in enumerate(keys)}


def _snapshot(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        return {name: f[name][:].tolist() if name == "keys" else f[name][:] for name in COLUMNS}


def _fake(folder, encoder_name: str = NAME) -> Path:
    """The cache file of the fake encoder `encoder_name` in `folder`."""
    return feature_cache_file(SimpleNamespace(name=encoder_name, fingerprint=FAKE), str(folder))


def _fake_shard(folder: Path, encoder_name: str, shape, file_name: str = None,
                fingerprint: str = FAKE) -> Path:
    """A shard cache holding zeros for one photo, made with `encoder_name` and `shape`."""
    path = folder / "features" / file_name if file_name else _fake(folder, encoder_name)
    with FeatureCache(path, encoder_name, shape, fingerprint=fingerprint) as cache:
        cache.write(PHOTOS[:1], np.zeros((1, *shape)))
    return folder


@pytest.fixture(scope="module")
def lite0(tmp_path_factory):
    """The real Lite0, its weights converted once into a folder the subprocesses reuse."""
    weights = tmp_path_factory.mktemp("weights")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMNN_CACHE_DIR", str(weights))
        yield SimpleNamespace(encoder=get_encoder(NAME), weights=weights)


@pytest.fixture(scope="module")
def single(lite0, tmp_path_factory):
    """The cache folder of one machine that extracted every photo."""
    folder = tmp_path_factory.mktemp("single")
    ensure_features(PHOTOS, lite0.encoder, cache_dir=str(folder), progress=False)
    return folder


@pytest.fixture(scope="module")
def machines(lite0, tmp_path_factory):
    """Shards 1/3 and 2/3 extracted in this process, 3/3 by the script, under one cache root."""
    root = tmp_path_factory.mktemp("machines")
    shutil.copytree(lite0.weights / "encoders", root / "encoders")  # no second conversion
    dirs = [shard_cache_dir(root, NAME, i, 3) for i in (1, 2, 3)]
    for i in (1, 2):
        ensure_features(shard_paths(PHOTOS, i, 3), lite0.encoder, cache_dir=str(dirs[i - 1]),
                        progress=False)
    done = _script("--data", REPO / "dataset", "--shard", "3/3", "--quiet", cache=root)
    return SimpleNamespace(root=root, dirs=dirs, done=done)


def test_parse_shard_reads_i_of_n_and_names_bad_values():
    assert parse_shard("2/8") == (2, 8)
    assert parse_shard(" 3/3 ") == (3, 3)
    assert parse_shard("1/1") == (1, 1)
    for bad in ("0/3", "4/3", "a/b", "3", "2/0", "0/0", "-1/3", "1.5/3", "1/3/5", ""):
        with pytest.raises(ValueError) as caught:
            parse_shard(bad)
        assert repr(bad) in str(caught.value) and "I/N" in str(caught.value), caught.value
    assert "numbered 1 to 3" in str(pytest.raises(ValueError, parse_shard, "0/3").value)


def test_every_photo_falls_in_exactly_one_shard_whatever_the_order(monkeypatch):
    shuffled = PHOTOS[:]
    random.Random(0).shuffle(shuffled)
    # Other spellings of the same files, repeats and posts without a photo.
    respelled = [str(Path(os.path.relpath(p, REPO.parent)).parent / ".." / "images" /
                     Path(p).name) for p in PHOTOS]
    messy = respelled + [""] + list(reversed(PHOTOS)) + [None] + shuffled

    def resolved(paths):
        return {str(Path(p).resolve()) for p in paths}

    monkeypatch.chdir(REPO.parent)  # the relative spellings are relative to here
    for count in (1, 2, 3, 5, 16, 17):
        shards = [shard_paths(PHOTOS, i, count) for i in range(1, count + 1)]
        joined = [p for shard in shards for p in shard]
        assert sorted(joined) == PHOTOS, count  # all photos, none twice
        for order in (shuffled, messy):
            again = [shard_paths(order, i, count) for i in range(1, count + 1)]
            assert [resolved(s) for s in again] == [set(s) for s in shards], count
            assert all(len(s) == len(resolved(s)) for s in again)  # one spelling each
    # Each shard keeps the input's order (first spelling seen).
    second = shard_paths(PHOTOS, 2, 3)
    assert shard_paths(shuffled, 2, 3) == [p for p in shuffled if p in second]
    with pytest.raises(ValueError, match="numbered 1 to N"):
        shard_paths(PHOTOS, 4, 3)


def test_the_partition_is_pinned_so_every_machine_and_version_agrees():
    # sha1 of the path, not Python's per-process hash(): these values must never change, or
    # machines running different versions would extract overlapping, incomplete shards.
    paths = [f"/data/posts/images/{c}.jpg" for c in "abcde"]
    shard_of = {p: i for i in range(1, 9) for p in shard_paths(paths, i, 8)}
    assert [shard_of[p] for p in paths] == [4, 5, 6, 5, 6]


def test_shard_folders_hold_a_normal_cache(tmp_path):
    folder = shard_cache_dir(tmp_path, NAME, 2, 8)
    assert folder == tmp_path / "shards" / NAME / "shard-0002-of-0008"
    assert _fake(folder) == folder / "features" / f"{NAME}-{FAKE[:12]}.h5"
    assert missing_shards([_fake_shard(shard_cache_dir(tmp_path, NAME, i, 3), NAME, SHAPE)
                           for i in (1, 3)], NAME) == ["2/3"]


@pytest.mark.slow
def test_the_script_extracts_only_its_shard(machines, lite0):
    assert machines.done.returncode == 0, machines.done.stderr[-2000:]
    assert "shard 3/3" in machines.done.stderr
    for i, folder in enumerate(machines.dirs, 1):
        stored = _stored(feature_cache_file(lite0.encoder, str(folder)))
        assert set(stored) == set(shard_paths(PHOTOS, i, 3))


@pytest.mark.slow
def test_merged_shards_equal_one_machine_and_are_trusted_as_its_own(machines, single, tmp_path,
                                                                    lite0):
    main, enc = tmp_path / "main", lite0.encoder

    def cache_path(folder):
        return feature_cache_file(enc, str(folder))

    counts = merge_shards(machines.dirs, NAME, cache_dir=str(main))
    assert counts == {"merged": 16, "already_present": 0, "skipped": 0, "shards_read": 3}
    merged, index = load_features(PHOTOS, lite0.encoder, cache_dir=str(main))
    expected, _ = load_features(PHOTOS, lite0.encoder, cache_dir=str(single))
    assert merged.dtype == np.float16 and np.array_equal(merged, expected)
    assert index.tolist() == list(range(16))
    # Same size, mtime and digest per photo: the main cache re-extracts nothing.
    ours, theirs = _stored(cache_path(main)), _stored(cache_path(single))
    assert ours.keys() == theirs.keys()
    for key, row in ours.items():
        assert all(np.array_equal(a, b) for a, b in zip(row, theirs[key])), key
    with FeatureCache(cache_path(main), NAME, SHAPE, "r", fingerprint=enc.fingerprint) as cache:
        assert cache.missing(PHOTOS) == [] and len(cache) == 16

    # Merging again, even naming shards twice (folder, parent, file), changes nothing.
    before = _snapshot(cache_path(main))
    again = merge_shards([*machines.dirs, machines.dirs[0].parent,
                          cache_path(machines.dirs[1])], NAME, cache_dir=str(main))
    assert again == {"merged": 0, "already_present": 16, "skipped": 0, "shards_read": 3}
    after = _snapshot(cache_path(main))
    assert all(np.array_equal(before[name], after[name]) for name in COLUMNS)


@pytest.mark.slow
def test_the_merge_script_joins_every_shard_of_a_folder(machines, single, lite0):
    done = _script("--merge", machines.root / "shards" / NAME, cache=machines.root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "merged 16 photos from 3 shard(s)" in done.stderr and "note:" not in done.stderr
    merged, _ = load_features(PHOTOS, lite0.encoder, cache_dir=str(machines.root))
    expected, _ = load_features(PHOTOS, lite0.encoder, cache_dir=str(single))
    assert np.array_equal(merged, expected)
    # Extracting the whole data set on the merging machine now finds nothing left to do:
    # no progress bar appears, as no photo is encoded.
    whole = _script("--data", REPO / "dataset", cache=machines.root)
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert "features of 16 photos" in whole.stderr and "img/s" not in whole.stderr


def test_a_shard_of_another_encoder_or_shape_is_refused_before_any_write(tmp_path):
    main = str(tmp_path / "main")
    good = _fake_shard(tmp_path / "good", NAME, SHAPE)
    other = _fake_shard(tmp_path / "other", "resnet50", (49, 2048))
    renamed = _fake_shard(tmp_path / "renamed", "resnet50", (49, 2048), _fake(".", NAME).name)
    narrow = _fake_shard(tmp_path / "narrow", NAME, (49, 8))
    with pytest.raises(DataError, match="resnet50"):
        merge_shards([good, other], NAME, cache_dir=main)
    with pytest.raises(DataError, match="refusing to merge.*'resnet50'"):
        merge_shards([good, renamed], NAME, cache_dir=main)
    with pytest.raises(DataError, match=r"refusing to merge.*\(49, 8\)"):
        merge_shards([good, narrow], NAME, cache_dir=main)
    with pytest.raises(DataError, match="no such shard"):
        merge_shards([good, tmp_path / "nowhere"], NAME, cache_dir=main)
    assert not _fake(main).exists()  # the good shard was not merged either
    assert merge_shards([good], NAME, cache_dir=main)["merged"] == 1


def test_rows_keep_the_shard_machines_checks_and_skip_unusable_rows(tmp_path):
    # The photo is gone from the merging machine: the shard's own size, mtime and digest
    # must travel with its row (nothing can be stat-ed or hashed here).
    photo = Path(shutil.copy(PHOTOS[0], tmp_path / "elsewhere.jpg")).resolve()
    shard = _fake(tmp_path / "shard")
    with FeatureCache(shard, NAME, SHAPE, fingerprint=FAKE) as cache:
        bad = cache.write([str(photo), PHOTOS[1]],
                          np.stack([np.ones(SHAPE), np.full(SHAPE, np.nan)]))
    assert bad == [PHOTOS[1]]  # stored, but never flagged complete
    photo.unlink()
    counts = merge_shards([shard.parent.parent], NAME, cache_dir=str(tmp_path / "main"))
    assert counts == {"merged": 1, "already_present": 0, "skipped": 1, "shards_read": 1}
    main = _stored(_fake(tmp_path / "main"))
    assert list(main) == [str(photo)]
    assert all(np.array_equal(a, b) for a, b in zip(main[str(photo)], _stored(shard)[str(photo)]))
    # A row flagged complete whose features are not finite (a damaged file) is not trusted.
    with h5py.File(shard, "a") as f:
        f["complete"][1] = 1
    counts = merge_shards([shard], NAME, cache_dir=str(tmp_path / "other"))
    assert counts == {"merged": 1, "already_present": 0, "skipped": 1, "shards_read": 1}


@pytest.mark.parametrize("value", ["0/3", "4/3", "a/b"])
def test_a_bad_shard_flag_fails_before_tensorflow_loads(value, tmp_path):
    # A tensorflow that cannot be imported: the flag must be refused before any import of it.
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('tensorflow was imported')\n")
    env = {"PYTHONPATH": str(fake.parent)}
    done = _script("--data", REPO / "dataset", "--shard", value, cache=tmp_path, extra_env=env)
    lines = _error_lines(done.stderr)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and "error:" in lines[0], lines
    assert "--shard" in lines[0] and repr(value) in lines[0], lines
    if value == "0/3":  # the fake does block TensorFlow once the flags are good
        good = _script("--data", REPO / "dataset", "--shard", "1/3", cache=tmp_path,
                       extra_env=env)
        assert good.returncode == 1 and "tensorflow was imported" in good.stderr
