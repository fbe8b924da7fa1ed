"""How a trained model reads photos on this machine: the user's settings over the model's.

A model folder remembers how its photos were read when it was trained (cache folder,
encoder weights file, batch of photos per encoder pass, features held in memory or
streamed, pixel limit). Predicting elsewhere, the user's flags and config.py say where
the cache is and how much memory to use; `machine_config` puts those over the model's.
What the model learnt (encoder, sizes, vocabulary) is never changed here.

Example:
    >>> from amnn.config import AMNNConfig
    >>> here = machine_config(AMNNConfig(), None, None, "skip", None, extract_batch_size=8,
    ...                       photo_features="stream", photo_memory_mib=None)
    >>> here.on_bad_image, here.extract_batch_size, here.photo_features, here.photo_memory_mib
    ('skip', 8, 'stream', 1024)
"""

from __future__ import annotations

from amnn.config import AMNNConfig

PHOTO_READING = ("extract_batch_size", "photo_features", "photo_memory_mib")


def machine_config(trained: AMNNConfig, cache_dir, encoder_weights, on_bad_image: str,
                   max_photo_pixels, **photo_reading) -> AMNNConfig:
    """The trained config with this machine's photo settings (None: the model's own).

    `photo_reading` takes the names in `PHOTO_READING`. The model's own on_bad_image and
    pixel limit say how it was trained, not how to predict here.

    Example:
        >>> machine_config(AMNNConfig(), "/tmp/c", None, "skip", None).on_bad_image
        'skip'
    """
    unknown = set(photo_reading) - set(PHOTO_READING)
    if unknown:
        raise TypeError(f"machine_config takes {PHOTO_READING}, not {sorted(unknown)}")
    return trained.replace(
        cache_dir=cache_dir if cache_dir is not None else trained.cache_dir,
        encoder_weights=encoder_weights or trained.encoder_weights,
        on_bad_image=on_bad_image,
        max_photo_pixels=max_photo_pixels or trained.max_photo_pixels,
        **{name: value for name, value in photo_reading.items() if value is not None})
