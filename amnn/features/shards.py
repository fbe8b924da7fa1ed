"""Photo feature extraction split over many machines: one shard each, merged afterwards.

Shard I of N holds the photos whose absolute resolved path hashes (sha1) to I, so every
machine computes the same partition from the same data set without talking to the others,
whatever order its CSV lists the photos in. Each machine fills a normal feature cache in
its own shard folder with `ensure_features` (resumable, flushed per batch), and
`merge_shards` copies the finished rows into the main cache that training and prediction
read. Cache keys are absolute paths, so every machine (and the one that trains) must see
the photos at the same absolute path; a photo seen elsewhere is simply extracted again.

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
    >>> merge_shards(shards, "tiny", cache_dir=main)
    {'merged': 16, 'already_present': 0, 'skipped': 0, 'shards_read': 2}
    >>> _ = registry._REGISTRY.pop("tiny")  # forget the example's encoder
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
from pathlib import Path

import h5py
import numpy as np

from amnn.errors import DataError
from amnn.features.cache_folder import cache_root
from amnn.features.cache_rows import cache_key
from amnn.features.store import FORMAT_VERSION, PHOTO_READING, FeatureCache

__all__ = ["merge_shards", "missing_shards", "parse_shard", "shard_cache_dir", "shard_paths"]

_BLOCK = 256  # shard rows copied per step: ~32 MB at (49, 1280) float16, whatever the shard size
_SHARD_DIR = re.compile(r"shard-(\d+)-of-(\d+)")


def parse_shard(text: str) -> tuple[int, int]:
    """Read a shard argument "I/N" as (I, N): shard I of N, shards numbered 1 to N.

    Raises ValueError naming the value and the expected form.

    Example:
        >>> parse_shard("2/8")
        (2, 8)
        >>> parse_shard("0/3")
        Traceback (most recent call last):
        ...
        ValueError: shard '0/3' does not exist: shards are numbered 1 to 3; expected I/N ...
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ValueError(f"shard must be I/N, shard I of N machines numbered 1 to N (e.g. 2/8), "
                         f"got {text!r}")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        numbered = f"1 to {count}" if count else "from 1, and N must be at least 1"
        raise ValueError(f"shard {text!r} does not exist: shards are numbered {numbered}; "
                         "expected I/N with 1 <= I <= N, e.g. 2/8")
    return index, count


def _check(index: int, count: int) -> None:
    index, count = operator.index(index), operator.index(count)  # 2.0 is no shard number
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count} does not exist: shards are numbered 1 to N, "
                         "expected I/N with 1 <= I <= N")


def _shard_of(key: str, count: int) -> int:
    """1-based shard of a cache key. sha1, not hash(): hash() changes with each process."""
    # surrogateescape: a Linux file name need not be valid UTF-8.
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def shard_paths(image_paths, index: int, count: int) -> list[str]:
    """The distinct photos of shard `index` of `count`, in the order first given.

    Repeats (also under other spellings of one file) are kept once, '' and None skipped;
    every photo falls in exactly one of the `count` shards.

    Example:
        >>> paths = ["a.jpg", "b.jpg", "a.jpg", ""]
        >>> sorted(shard_paths(paths, 1, 2) + shard_paths(paths, 2, 2))
        ['a.jpg', 'b.jpg']
    """
    _check(index, count)
    chosen = {}
    for path in image_paths:
        if path:
            # The cache's own key, so a shard's rows are exactly the photos assigned to it.
            key = cache_key(path)
            if key not in chosen and _shard_of(key, count) == index:
                chosen[key] = str(path)
    return list(chosen.values())


def shard_cache_dir(cache_dir, encoder_name: str, index: int, count: int) -> Path:
    """The cache folder of shard `index` of `count`: `ensure_features` fills it as usual.

    Args:
        cache_dir: str, Path or None. The main cache folder; None: `amnn.features.cache_folder.cache_root()`.

    Example:
        >>> shard_cache_dir("/tmp/c", "efficientnet_lite0", 2, 8)
        PosixPath('/tmp/c/shards/efficientnet_lite0/shard-0002-of-0008')
    """
    _check(index, count)
    # Zero-padded, so `ls` and shell globs list the shards in order.
    return cache_root(cache_dir) / "shards" / encoder_name / f"shard-{index:04d}-of-{count:04d}"


def _shard_files(item, encoder_name: str) -> list[Path]:
    """The cache files one merge argument names: a file, a shard folder, or their parent."""
    given = Path(item).expanduser()
    if given.is_file():
        return [given]
    if not given.is_dir():
        raise DataError(given, "no such shard folder or file")
    name = f"{encoder_name}.h5"
    for candidate in (given / "features" / name, given / name):
        if candidate.is_file():
            return [candidate]
    found = sorted(given.glob(f"shard-*/features/{name}"))
    if found:
        return found
    others = sorted({p.stem for pattern in ("*.h5", "features/*.h5", "shard-*/features/*.h5")
                     for p in given.glob(pattern)})
    if others:
        raise DataError(given, f"holds features of encoder(s) {', '.join(others)}, not of "
                        f"{encoder_name!r}; merge with the encoder the shard was extracted with")
    raise DataError(given, "no shard feature cache here; pass the shard-I-of-N folders that "
                    "the shard extraction wrote (their features/ folder holds the cache)")


def _check_shard(path: Path, encoder_name: str, shape: tuple) -> None:
    """Refuse a shard that is not a feature cache of this encoder and feature shape."""
    try:
        with h5py.File(path, "r") as f:
            version, encoder = f.attrs.get("format_version"), f.attrs.get("encoder")
            reading = f.attrs.get("photo_reading")
            stored = tuple(int(d) for d in f.attrs.get("feature_shape", ()))
            complete = "features" in f and "complete" in f
    except OSError as err:
        raise DataError(path, f"cannot read this shard cache ({err}); if its extraction is "
                        "still running wait for it, else run that shard again") from err
    if version != FORMAT_VERSION or not complete:
        raise DataError(path, f"not an AMNN feature cache of format {FORMAT_VERSION}; pass the "
                        "shard folders the shard extraction wrote")
    if encoder != encoder_name or stored != shape:
        raise DataError(path, f"refusing to merge: this shard holds features of encoder "
                        f"{encoder!r} with shape {stored}, not {encoder_name!r} with shape "
                        f"{shape}; merge it with encoder {encoder!r} into its own cache")
    if reading != PHOTO_READING:
        raise DataError(path, f"refusing to merge: this shard was extracted by an older AMNN "
                        f"that did not turn photos upright ({PHOTO_READING}); extract this "
                        "shard again with this version")


def _stat(size, mtime_ns) -> os.stat_result:
    """An os.stat_result carrying the size and mtime the shard machine saw for a photo."""
    mtime_ns = int(mtime_ns)
    return os.stat_result((0, 0, 0, 0, 0, 0, int(size), 0, mtime_ns // 10**9, 0),
                          {"st_mtime_ns": mtime_ns})


def _copy(path: Path, main: FeatureCache, counts: dict) -> None:
    """Copy the complete, finite rows of one shard file that `main` lacks, block by block."""
    with h5py.File(path, "r") as f:
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


def merge_shards(shards, encoder_name: str, cache_dir=None) -> dict:
    """Copy the rows of shard caches into the main cache `cache_path(encoder_name, cache_dir)`.

    Args:
        shards: list of str or Path. Shard folders (`shard_cache_dir`), their cache files,
            or folders holding shard-I-of-N folders.
        encoder_name: str. The encoder every shard must have been extracted with.
        cache_dir: str or None. Main cache folder; None: `amnn.features.cache_folder.cache_root()`.

    Returns {'merged', 'already_present', 'skipped' (rows unfinished or not finite),
    'shards_read'}. Rows the main cache already holds are left as they are, so merging the
    same shards again changes nothing. Every shard is checked before anything is written:
    a DataError refuses one of another encoder or feature shape.

    Example:
        Three shard caches, written here as each machine's `ensure_features` would, under
        the folder that holds their shard-I-of-N folders:

        >>> import os, tempfile
        >>> from PIL import Image
        >>> from amnn.features.extraction import cache_path
        >>> main = tempfile.mkdtemp()
        >>> photos = [os.path.join(main, f"p{i}.jpg") for i in range(4)]
        >>> for photo in photos:
        ...     Image.new("RGB", (8, 8)).save(photo)
        >>> for index in (1, 2, 3):
        ...     mine = shard_paths(photos, index, 3)
        ...     shard = shard_cache_dir(main, "efficientnet_lite0", index, 3)
        ...     with FeatureCache(cache_path("efficientnet_lite0", shard), "efficientnet_lite0",
        ...                       (49, 1280)) as cache:
        ...         _ = cache.write(mine, np.ones((len(mine), 49, 1280)))
        >>> shards = [os.path.join(main, "shards", "efficientnet_lite0")]
        >>> merge_shards(shards, "efficientnet_lite0", cache_dir=main)
        {'merged': 4, 'already_present': 0, 'skipped': 0, 'shards_read': 3}
        >>> merge_shards(shards, "efficientnet_lite0", cache_dir=main)  # again: nothing new
        {'merged': 0, 'already_present': 4, 'skipped': 0, 'shards_read': 3}
    """
    # Both modules import TensorFlow: loaded here, so parse_shard works at flag-parsing time.
    from amnn.features.encoders import encoder_feature_shape
    from amnn.features.extraction import cache_path

    shape = tuple(encoder_feature_shape(encoder_name))
    target = cache_path(encoder_name, cache_dir)
    files = list({p.resolve(): p for item in shards
                  for p in _shard_files(item, encoder_name)}.values())
    if not files:
        raise DataError(target, "no shards given to merge")
    for path in files:
        if target.exists() and path.resolve() == target.resolve():
            raise DataError(path, "this is the main cache itself, not a shard to merge into it")
        _check_shard(path, encoder_name, shape)
    counts = {"merged": 0, "already_present": 0, "skipped": 0, "shards_read": 0}
    with FeatureCache(target, encoder_name, shape) as main:
        for path in files:
            _copy(path, main, counts)
            counts["shards_read"] += 1
    return counts


def missing_shards(shards, encoder_name: str) -> list[str]:
    """Shards "I/N" absent from a merge, judged from the shard-I-of-N folder names given.

    Example:
        >>> import tempfile
        >>> from amnn.features.extraction import cache_path
        >>> main = tempfile.mkdtemp()
        >>> done = [shard_cache_dir(main, "efficientnet_lite0", i, 3) for i in (1, 3)]
        >>> for shard in done:  # shards 1 and 3 of 3 have their (empty) caches
        ...     FeatureCache(cache_path("efficientnet_lite0", shard), "efficientnet_lite0",
        ...                  (49, 1280)).close()
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
