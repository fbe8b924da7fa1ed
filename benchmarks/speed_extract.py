"""Feature-extraction speed: the cache builder against the encoder's raw forward pass.

The builder (`amnn.features.extraction.ensure_features`) reads each JPEG, decodes, crops and
resizes it, runs the encoder, hashes the file and writes float16 rows to a fresh HDF5
cache. The raw pass runs only the encoder, at the same batch size, on images already
decoded and prepared in memory. Efficiency = builder images/s ÷ raw images/s; runs
alternate so that both see the same machine load, and each keeps its best repetition.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import tensorflow as tf

from amnn.features.encoders import get_encoder
from amnn.features.extraction import ensure_features


def _prepared_batches(paths: list[str], encoder, batch_size: int) -> list[tf.Tensor]:
    prepared = [encoder.prepare(tf.io.decode_image(tf.io.read_file(p), channels=3,
                                                   expand_animations=False)) for p in paths]
    return [tf.stack(prepared[i:i + batch_size]) for i in range(0, len(prepared), batch_size)]


def _prepare_seconds(paths: list[str], encoder, batch_size: int) -> float:
    """Read, decode and prepare only (the builder's own tf.data map), no encoder."""
    dataset = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: encoder.prepare(tf.io.decode_image(tf.io.read_file(p), channels=3,
                                                     expand_animations=False)),
        num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    started = time.perf_counter()
    for _ in dataset:
        pass
    return time.perf_counter() - started


def _raw_seconds(encoder, batches: list[tf.Tensor]) -> float:
    started = time.perf_counter()
    for batch in batches:
        encoder.encode_batch(batch).numpy()  # .numpy() waits for the result
    return time.perf_counter() - started


def _builder_seconds(encoder, paths: list[str], batch_size: int) -> float:
    cache_dir = Path(tempfile.mkdtemp(prefix="amnn-speed-cache-"))
    try:
        started = time.perf_counter()
        ensure_features(paths, encoder, cache_dir=str(cache_dir), batch_size=batch_size,
                        progress=False)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def measure_extraction(image_paths: list[str], encoder_name: str = "efficientnet_lite0",
                       batch_size: int = 32, repeats: int = 3) -> dict:
    """Images per second of the cache builder and of the raw encoder, and their ratio.

    Example:
        >>> measure_extraction(photos[:64])["extract_efficiency"]  # doctest: +SKIP
        0.93
    """
    paths = sorted(set(image_paths))
    encoder = get_encoder(encoder_name)
    batches = _prepared_batches(paths, encoder, batch_size)
    _raw_seconds(encoder, batches[:2])  # trace the encoder for the batch shapes once
    raw, builder, prepare = [], [], []
    for _ in range(repeats):
        raw.append(_raw_seconds(encoder, batches))
        builder.append(_builder_seconds(encoder, paths, batch_size))
        prepare.append(_prepare_seconds(paths, encoder, batch_size))
    raw_rate, builder_rate = len(paths) / min(raw), len(paths) / min(builder)
    # On a CPU the decoding and the encoder share the same cores, so the builder can at
    # best take raw + decode time: the ceiling its efficiency is measured against.
    ceiling = min(raw) / (min(raw) + min(prepare))
    return {"extract_efficiency": round(builder_rate / raw_rate, 3),
            "extract_ceiling": round(ceiling, 3),
            "extract_prepare_images_per_s": round(len(paths) / min(prepare), 1),
            "extract_images": len(paths), "extract_batch_size": batch_size,
            "extract_builder_images_per_s": round(builder_rate, 1),
            "extract_raw_images_per_s": round(raw_rate, 1),
            "extract_encoder": encoder_name}
