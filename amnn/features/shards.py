"""Photo feature extraction split over many machines: one shard each, merged afterwards.

Shard I of N holds the photos whose absolute resolved path hashes (sha1) to I, so every
machine computes the same partition from the same data set without talking to the others,
whatever order its CSV lists the photos in. Each machine fills a normal feature cache in
its own shard folder with `ensure_features` (resumable, flushed per batch), and
`merge_shards` copies the finished rows into the main cache that training and prediction
read. Every shard must carry the same encoder fingerprint (weights, preprocessing, photo
reading: `amnn.features.cache_file`): shards made with other weights are refused.
Cache keys are absolute paths, so every machine (and the one that trains) must see at the same absolute path; a photo seen elsewhere is simply extracted again.

Example:
    Two "machines" share the bundled photos, with a tiny untrained encoder registered under
    its name as the built-in ones are (real runs use efficientnet_lite0 on every machine):

    >>> import pathlib, tempfile
    >>> import keras
    >>> import amnn
    >>> from amnn.features.encoders import get_encoder, register_encoder, registry
    >>> from amnn.features.encoders.image_encoder import ImageEncoder
    >>> from amnn.features.extraction import ensure_features
    >>> def tiny(weights, cache_dir):
    ...     inputs = keras.Input((224, 224, 3))
    ...     grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)  # (B, 7, 7, 8)
    ...     return ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)
    >>> register_encoder("tiny", tiny, channels=8)
    >>> encoder = get_encoder("tiny")
    >>> folder = pathlib.Path(amnn.__file__).parent.parent / "dataset" / "images"
    >>> photos = sorted(str(p) for p in folder.glob("*.jpg"))
    >>> len(photos)
    16
    >>> main = tempfile.mkdtemp()  # the main cache folder; None: cache_root()
    >>> for shard in ("1/2", "2/2"):  # what each machine runs, given its --shard
    ...     index, count = parse_shard(shard)
    ...     mine = shard_paths(photos, index, count)
    ...     _ = ensure_features(mine, encoder, progress=False,
    ...                         cache_dir=shard_cache_dir(main, encoder.name, index, count))
    >>> shards = [shard_cache_dir(main, "tiny", 1, 2), shard_cache_dir(main, "tiny", 2, 2)]
    >>> merge_shards(shards, "tiny", cache_dir=main, fingerprint=encoder.fingerprint)
    {'merged': 16, 'already_present': 0, 'skipped': 0, 'shards_read': 2}
    >>> _ = registry._REGISTRY.pop("tiny")  # forget the example's encoder
"""

from __future__ import annotations

import os
import re
from collections import namedtuple
from pathlib import Path

import numpy as np

from amnn.errors import DataError
from amnn.features.cache_file import (
    cache_root,
    check_identity,
    feature_cache_file,
    is_cache_file,
)
from amnn.features.cache_lock import CacheLock, open_h5
from amnn.features.shard_plan import parse_shard, shard_cache_dir, shard_paths
from amnn.features.store import FeatureCache

__all__ = ["merge_shards", "missing_shards", "parse_shard", "shard_cache_dir", "shard_paths"]

_Named = namedtuple("_Named", "name fingerprint")  # what names a cache file
_BLOCK = 256  # shard rows copied per step: ~32 MB at (49, 1280) float16, whatever the shard size
_SHARD_DIR = re.compile(r"shard-(\d+)-of-(\d+)")


def _shard_files(item, encoder_name: str) -> list[Path]:
    """The cache files one merge argument names: a file, a shard folder, or their parent."""
    given = Path(item).expanduser()
    if given.is_file():
        return [given]
    if not given.is_dir():
        raise DataError(given, "no such shard folder or file")
    # A format-1 file (<encoder>.h5) is listed too, for `_check_shard` to say why it is refused.
    older = f"{encoder_name}.h5"
    for folder in (given / "features", given):
        found = sorted(p for p in folder.glob("*.h5") if p.name == older
                       or is_cache_file(p, encoder_name))
        if found:
            return found
    found = sorted(p for p in given.glob("shard-*/features/*.h5")
                   if p.name == older or is_cache_file(p, encoder_name))
    if found:
        return found
    patterns = ("*.h5", "features/*.h5", "shard-*/features/*.h5")
    others = sorted({p.stem.rsplit("-", 1)[0] for pattern in patterns
                     for p in given.glob(pattern)})
    if others:
        raise DataError(given, f"holds features of encoder(s) {', '.join(others)}, not of "
                        f"{encoder_name!r}; merge with the encoder the shard was extracted with")
    raise DataError(given, "no shard feature cache here; pass the shard-I-of-N folders that "
                    "the shard extraction wrote (their features/ folder holds the cache)")


def _check_shard(path: Path, encoder_name: str, shape: tuple) -> str:
    """Refuse a shard that is not a feature cache of this encoder; return its fingerprint."""
    try:
        with CacheLock(path, exclusive=False), open_h5(path, "r") as f:
            attrs = dict(f.attrs)
            complete = "features" in f and "complete" in f
    except OSError as err:
        raise DataError(path, f"cannot read this shard cache ({err}); if its extraction is "
                        "still running wait for it, else run that shard again") from err
    fingerprint = check_identity(path, attrs, encoder_name, shape, None, "refusing to merge: ")
    if not complete:
        raise DataError(path, "refusing to merge: not a complete AMNN feature cache; run that "
                        "shard again")
    return fingerprint


def _stat(size, mtime_ns) -> os.stat_result:
    """An os.stat_result carrying the size and mtime the shard machine saw for a photo."""
    mtime_ns = int(mtime_ns)
    return os.stat_result((0, 0, 0, 0, 0, 0, int(size), 0, mtime_ns // 10**9, 0),
                          {"st_mtime_ns": mtime_ns})


def _copy(path: Path, main: FeatureCache, counts: dict) -> None:
    """Copy the complete, finite rows of one shard file that `main` lacks, block by block."""
    # A shard still being extracted on this machine is waited for, not read half-written.
    with CacheLock(path, exclusive=False), open_h5(path, "r") as f:
        keys = f["keys"].asstr()[:]
        sizes, mtimes, digests, done = (f[name][:] for name in
                                        ("sizes", "mtimes", "digests", "complete"))
        for start in range(0, len(keys), _BLOCK):
            stop = min(start + _BLOCK, len(keys))
            # A run killed mid-batch leaves '' keys or unflagged rows: never trust those.
            usable = [i for i in range(start, stop) if keys[i] and done[i]]
            counts["skipped"] += stop - start - len(usable)
            fresh = list({keys[i]: i for i in usable if keys[i] not in main}.values())
            counts["already_present"] += len(usable) - len(fresh)
            if not fresh:
                continue  # a second merge of the same shard reads no features at all
            features = f["features"][start:stop][np.array(fresh) - start]  # one read per block
            finite = np.isfinite(features).all(axis=(1, 2))
            counts["skipped"] += int((~finite).sum())
            take = [i for i, ok in zip(fresh, finite) if ok]
            if take:
                # The stored size, mtime and digest travel with each row, so the main cache
                # checks the photo exactly as if it had extracted it itself.
                main.write([keys[i] for i in take], features[finite],
                           stats=[_stat(sizes[i], mtimes[i]) for i in take],
                           digests=[bytes(digests[i]) for i in take])
                counts["merged"] += len(take)


def merge_shards(shards, encoder_name: str, cache_dir=None, fingerprint=None) -> dict:
    """Copy the rows of shard caches into the main cache of their encoder fingerprint.

    Args:
        shards: list of str or Path. Shard folders (`shard_cache_dir`), their cache files,
            or folders holding shard-I-of-N folders.
        encoder_name: str. The encoder every shard must have been extracted with.
        cache_dir: str or None. Main cache folder; None: `amnn.features.cache_file.cache_root()`.
        fingerprint: str or None. The encoder's fingerprint (`encoder.fingerprint`) every
            shard must carry; None: the one all the shards carry, which must be the same.

    The main cache is `feature_cache_file` of that fingerprint. Returns {'merged',
    'already_present', 'skipped' (rows unfinished or not finite), 'shards_read'}. Rows the main cache already holds are left as they are, so merging the
    same shards again changes nothing. Every shard is checked before anything is written:
    a DataError refuses one of another encoder, feature shape or fingerprint (other
    weights or preprocessing), and shards whose fingerprints differ.

    Example:
        Three shard caches, written here as each machine's `ensure_features` would, under
        the folder that holds their shard-I-of-N folders:

        >>> import os, tempfile
        >>> from PIL import Image
        >>> from types import SimpleNamespace
        >>> from amnn.features.cache_file import feature_cache_file
        >>> enc = SimpleNamespace(name="efficientnet_lite0", fingerprint="ab" * 32)
        >>> main = tempfile.mkdtemp()
        >>> photos = [os.path.join(main, f"p{i}.jpg") for i in range(4)]
        >>> for photo in photos:
        ...     Image.new("RGB", (8, 8)).save(photo)
        >>> for index in (1, 2, 3):
        ...     mine = shard_paths(photos, index, 3)
        ...     shard = shard_cache_dir(main, "efficientnet_lite0", index, 3)
        ...     with FeatureCache(feature_cache_file(enc, shard), enc.name, (49, 1280),
        ...                       fingerprint=enc.fingerprint) as cache:
        ...         _ = cache.write(mine, np.ones((len(mine), 49, 1280)))
        >>> shards = [os.path.join(main, "shards", "efficientnet_lite0")]
        >>> merge_shards(shards, "efficientnet_lite0", cache_dir=main)
        {'merged': 4, 'already_present': 0, 'skipped': 0, 'shards_read': 3}
        >>> merge_shards(shards, "efficientnet_lite0", cache_dir=main)  # again: nothing new
        {'merged': 0, 'already_present': 4, 'skipped': 0, 'shards_read': 3}
    """
    # Both modules import TensorFlow: loaded here, so parse_shard works at flag-parsing time.
    from amnn.features.encoders import encoder_feature_shape

    shape = tuple(encoder_feature_shape(encoder_name))
    files = list({p.resolve(): p for item in shards
                  for p in _shard_files(item, encoder_name)}.values())
    if not files:
        raise DataError(cache_root(cache_dir) / "features", "no shards given to merge")
    found = {path: _check_shard(path, encoder_name, shape) for path in files}
    prints = sorted(set(found.values()))
    if fingerprint is not None and prints != [fingerprint] or len(prints) > 1:
        odd = next(p for p, f in found.items() if f != (fingerprint or prints[0]))
        raise DataError(odd, f"refusing to merge: this shard's features were made with other "
                        f"weights or preprocessing (fingerprint {found[odd][:12]}, not "
                        f"{(fingerprint or prints[0])[:12]}); extract every shard with the same "
                        "--encoder-weights, and merge the shards of one extraction at a time")
    fingerprint = prints[0]
    target = feature_cache_file(_Named(encoder_name, fingerprint), cache_dir)
    for path in files:
        if target.exists() and path.resolve() == target.resolve():
            raise DataError(path, "this is the main cache itself, not a shard to merge into it")
    counts = {"merged": 0, "already_present": 0, "skipped": 0, "shards_read": 0}
    with FeatureCache(target, encoder_name, shape, fingerprint=fingerprint) as main:
        for path in files:
            _copy(path, main, counts)
            counts["shards_read"] += 1
    return counts


def missing_shards(shards, encoder_name: str) -> list[str]:
    """Shards "I/N" absent from a merge, judged from the shard-I-of-N folder names given.

    Example:
        >>> import tempfile
        >>> from amnn.features.cache_file import feature_cache_file
        >>> enc = _Named("efficientnet_lite0", "ab" * 32)
        >>> main = tempfile.mkdtemp()
        >>> done = [shard_cache_dir(main, "efficientnet_lite0", i, 3) for i in (1, 3)]
        >>> for shard in done:  # shards 1 and 3 of 3 have their (empty) caches
        ...     FeatureCache(feature_cache_file(enc, shard), enc.name, (49, 1280),
        ...                  fingerprint=enc.fingerprint).close()
        >>> [path.name for path in done]
        ['shard-0001-of-0003', 'shard-0003-of-0003']
        >>> missing_shards(done, "efficientnet_lite0")
        ['2/3']
    """
    seen = set()
    for item in shards:
        for path in _shard_files(item, encoder_name):
            names = [m for m in map(_SHARD_DIR.fullmatch, path.parts) if m]
            if names:  # a cache file passed by itself may not say which shard it is
                seen.add((int(names[-1][1]), int(names[-1][2])))
    counts = sorted({n for _, n in seen})
    return [f"{i}/{n}" for n in counts for i in range(1, n + 1) if (i, n) not in seen]
