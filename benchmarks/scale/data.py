"""Synthetic posts and photo features for the scale benchmark, written straight to disk.

A data set of N photos and P posts in a folder of its own:

    <folder>/image_text_tag.csv       image_names, tweets, hashtags (the data contract)
    <folder>/images/p0000000.jpg ...  one tiny real JPEG, hard-linked N times
    <cache_dir>/features/<encoder>-<fingerprint12>.h5   one random feature row per photo

The features go into the very cache file train.py and predict.py look up for
`--cache-dir <cache_dir>` (`feature_cache_file`), with each photo's size, mtime and sha1,
so both find every photo cached and never run the encoder: at 50,000 photos that is
6 GB written in blocks of `BLOCK` rows, never held in memory.

The long tails, so that the pipeline meets what a crawl gives it:
- photos: every photo has one post, the other posts pick photos by a Zipf law, so a
  few photos are shared by thousands of posts and most by one or two (retweets, copies);
- hashtags: 1 to 5 per post, most from its photo's own 3 tags (something to learn),
  the rest from a Zipf law over `TAGS` tags;
- captions: 4 to 12 words from a Zipf law over `WORDS` words.
The tag and word universes are the same at every size, so the vocabularies (and with them
the network's size) hardly change between sizes: only photos and posts grow.

Example:
    >>> import tempfile
    >>> from types import SimpleNamespace
    >>> enc = SimpleNamespace(name="efficientnet_lite0", feature_shape=(49, 8),
    ...                       fingerprint="ab" * 32)
    >>> root = Path(tempfile.mkdtemp())
    >>> made = write_synthetic(root / "data", root / "cache", enc, photos=20, posts=100)
    >>> made.photos, made.posts, (root / "data" / "image_text_tag.csv").is_file()
    (20, 100, True)
    >>> remove_tree(root); root.exists()
    False
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 512  # feature rows per write: 64 MB at (49, 1280) float16, whatever the size
# Small enough universes that even the 1k-photo set sees nearly every tag twice and every
# word once: the vocabularies, so the network, are then the same size at every size.
TAGS = 2_000  # hashtags in the universe
WORDS = 5_000  # caption words in the universe
OWN_TAGS = 3  # tags each photo carries, that its posts mostly use
TAG_ZIPF = 0.8  # exponent of the tags' long tail (the top tag: ~5 % of all tags)
WORD_ZIPF = 1.0  # exponent of the words' long tail
PHOTO_ZIPF = 0.9  # photos': the most shared photo has 5-10 % of the posts
# float16 bit patterns 0x2000..0x3BFF are the finite values 2**-7 .. just under 1: random
# uint16 in that range give valid features ~10x faster than drawing floats and converting.
_LOW, _HIGH = 0x2000, 0x3C00


@dataclass
class SyntheticSet:
    """What `write_synthetic` wrote: the posts folder, the cache file and their sizes."""

    folder: Path
    cache_file: Path
    photos: int
    posts: int
    distinct_tags: int
    posts_of_top_photo: int


def zipf_choice(rng: np.random.Generator, items: int, size: int, a: float = 1.0) -> np.ndarray:
    """`size` draws from 0..items-1 with P(i) proportional to 1 / (i + 1) ** a.

    Example:
        >>> draws = zipf_choice(np.random.default_rng(0), 1000, 10_000)
        >>> int((draws == 0).sum()) > int((draws == 999).sum())
        True
    """
    weights = 1.0 / np.arange(1, items + 1) ** a
    return rng.choice(items, size=size, p=weights / weights.sum())


def tiny_jpeg() -> bytes:
    """The bytes of one real 32x32 JPEG (PIL), copied to every photo path."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 90, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def write_photos(folder: Path, count: int) -> list[Path]:
    """`count` photo files under `folder`: one JPEG, hard-linked (distinct cache keys,
    as the cache keys rows by path); copied where the file system has no hard links."""
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / "p0000000.jpg"
    first.write_bytes(tiny_jpeg())
    paths = [folder / f"p{i:07d}.jpg" for i in range(count)]
    for path in paths[1:]:
        try:
            os.link(first, path)
        except OSError:
            shutil.copyfile(first, path)
    return paths


def write_features(cache_file: Path, encoder, photos: list[Path], seed: int) -> None:
    """One random float16 feature row per photo, `BLOCK` rows at a time, into the cache."""
    from amnn.features.store import FeatureCache

    rng = np.random.default_rng(seed)
    shape = tuple(encoder.feature_shape)
    with FeatureCache(cache_file, encoder.name, shape, fingerprint=encoder.fingerprint) as cache:
        for start in range(0, len(photos), BLOCK):
            block = [str(p) for p in photos[start:start + BLOCK]]
            bits = rng.integers(_LOW, _HIGH, size=(len(block), *shape), dtype=np.uint16)
            # Stats and sha1 are those the cache checks each photo against (all files share
            # one JPEG's bytes; hard links share the size and mtime too).
            stats = [os.stat(p) for p in block]
            digests = [hashlib.sha1(Path(p).read_bytes()).hexdigest().encode("ascii")
                       for p in block]
            cache.write(block, bits.view(np.float16), stats=stats, digests=digests)


def write_posts(csv_path: Path, photo_names: list[str], posts: int, seed: int) -> tuple[int, int]:
    """The posts CSV; returns (distinct tags used, posts of the most shared photo)."""
    rng = np.random.default_rng(seed + 1)
    photos = len(photo_names)
    # Every photo once, the rest by a Zipf law; shuffled so shared photos are spread out.
    photo_of = np.concatenate([np.arange(min(photos, posts)),
                               zipf_choice(rng, photos, max(posts - photos, 0), PHOTO_ZIPF)])
    rng.shuffle(photo_of)
    own = zipf_choice(rng, TAGS, photos * OWN_TAGS, TAG_ZIPF).reshape(photos, OWN_TAGS)
    counts = rng.integers(1, 6, size=posts)
    mix = rng.random((posts, 5)) < 0.7  # 70 % of a post's tags are its photo's own
    own_pick = rng.integers(0, OWN_TAGS, size=(posts, 5))
    global_pick = zipf_choice(rng, TAGS, posts * 5, TAG_ZIPF).reshape(posts, 5)
    tags = np.where(mix, own[photo_of[:, None], own_pick], global_pick)
    lengths = rng.integers(4, 13, size=posts)
    words = zipf_choice(rng, WORDS, int(lengths.sum()), WORD_ZIPF)
    ends = np.cumsum(lengths)
    with csv_path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["image_names", "tweets", "hashtags"])
        for i in range(posts):
            caption = " ".join(f"w{w}" for w in words[ends[i] - lengths[i]:ends[i]])
            hashtags = " ".join(dict.fromkeys(f"#t{t}" for t in tags[i, :counts[i]]))
            writer.writerow([photo_names[photo_of[i]], caption, hashtags])
    used = np.unique(tags[np.arange(5) < counts[:, None]])
    return len(used), int(np.bincount(photo_of).max())


def write_synthetic(folder: Path, cache_dir: Path, encoder, photos: int, posts: int,
                    seed: int = 0) -> SyntheticSet:
    """Write a data set of `photos` photos and `posts` posts, its features cached.

    Args:
        folder: Path. The posts folder to create (image_text_tag.csv and images/).
        cache_dir: Path. What train.py/predict.py get as --cache-dir.
        encoder: anything with `name`, `feature_shape` and `fingerprint`
            (`amnn.features.encoders.get_encoder(...)`; the fingerprint picks the file).
    """
    from amnn.features.cache_file import feature_cache_file

    folder = Path(folder)
    paths = write_photos(folder / "images", photos)
    cache_file = feature_cache_file(encoder, cache_dir)
    write_features(cache_file, encoder, paths, seed)
    names = [f"images/{p.name}" for p in paths]
    tags, top = write_posts(folder / "image_text_tag.csv", names, posts, seed)
    return SyntheticSet(folder, cache_file, photos, posts, tags, top)


def remove_tree(path: Path) -> None:
    """Delete a synthetic folder and everything in it (absent: nothing to do)."""
    shutil.rmtree(path, ignore_errors=True)
