"""Feature-extraction speed: the cache builder against its ceiling on the same cores.

The builder (`amnn.features.extraction.ensure_features`) reads each photo, decodes it
upright, crops and resizes it, runs the encoder, hashes the file and writes float16 rows to
a fresh HDF5 cache. Its ceiling is decoding and encoding back to back with no overhead:
per image, the time of the builder's own tf.data decoding (`encode_loop._dataset`, no
encoder) plus the time of the raw encoder on images already prepared in memory, at the
same batch size: ceiling images/s = 1 / (1/raw + 1/decode). The builder overlaps the two
(tf.data decodes the next batch while the encoder runs, and a thread writes the last one),
so on idle cores it can pass 1.0; on 2 busy cores the overlap gains little.

`extract_efficiency` = builder / ceiling; `extract_raw_efficiency` = builder / raw encoder.
The three are run in turn, round after round, so that each round sees the same machine
load; the figures are medians over rounds (the machine may be shared), each ratio the
median of the rounds' own ratios.

    python -m benchmarks.speed.extract --images 96 --rounds 7
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:  # python benchmarks/speed/extract.py
    import sys
    from pathlib import Path
    import runpy  # the launcher, loaded by its path: nothing is added to sys.path
    launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
    run_as_module = runpy.run_path(str(launcher))["run_as_module"]
    run_as_module(__file__)

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import tensorflow as tf

from benchmarks.common.run_log import shared_data_root
from amnn.features.encode_loop import _dataset
from amnn.features.encoders import get_encoder
from amnn.features.extraction import MAX_PIXELS, ensure_features


def _prepared_batches(paths: list[str], encoder, batch_size: int) -> list[tf.Tensor]:
    return [images for _, images, _ in _dataset(paths, encoder, batch_size, MAX_PIXELS)]


def _prepare_seconds(paths: list[str], encoder, batch_size: int) -> float:
    """Read, decode and prepare only: the builder's own tf.data pipeline, no encoder."""
    dataset = _dataset(paths, encoder, batch_size, MAX_PIXELS)
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
                       batch_size: int = 32, repeats: int = 5) -> dict:
    """Images per second of the cache builder, of its ceiling and of the raw encoder.

    It encodes real photos for minutes, so its use is shown rather than run here (the
    speed benchmark passes 96 mediaeval training photos):

        figures = measure_extraction(photos[:96], repeats=5)
        figures["extract_efficiency"]  # 0.97: the builder at 97 % of its ceiling
    """
    paths = sorted(set(image_paths))
    n = len(paths)
    encoder = get_encoder(encoder_name)
    batches = _prepared_batches(paths, encoder, batch_size)
    _raw_seconds(encoder, batches[:2])  # trace the encoder for the batch shapes once
    _builder_seconds(encoder, paths[:batch_size], batch_size)  # and the builder's decoding
    rounds = []
    for _ in range(repeats):
        raw = _raw_seconds(encoder, batches)
        builder = _builder_seconds(encoder, paths, batch_size)
        prepare = _prepare_seconds(paths, encoder, batch_size)
        rounds.append({"raw": n / raw, "prepare": n / prepare, "builder": n / builder,
                       "ceiling": n / (raw + prepare)})

    def median(key, over=None):
        return statistics.median(r[key] / (r[over] if over else 1) for r in rounds)

    return {"extract_efficiency": round(median("builder", "ceiling"), 3),
            "extract_raw_efficiency": round(median("builder", "raw"), 3),
            "extract_ceiling_images_per_s": round(median("ceiling"), 1),
            "extract_builder_images_per_s": round(median("builder"), 1),
            "extract_raw_images_per_s": round(median("raw"), 1),
            "extract_prepare_images_per_s": round(median("prepare"), 1),
            "extract_rounds": repeats, "extract_images": n,
            "extract_batch_size": batch_size, "extract_encoder": encoder_name}


def main(argv=None) -> int:
    """Measure on the mediaeval training photos of ../shared/data; print the figures as JSON."""
    from amnn.data.posts import read_posts

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=shared_data_root())
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--encoder", default="efficientnet_lite0")
    args = parser.parse_args(argv)
    train = args.data_root / "mediaeval" / "train"
    photos = sorted(set(read_posts(train).image_paths))[: args.images]
    print(json.dumps(measure_extraction(photos, args.encoder, repeats=args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
