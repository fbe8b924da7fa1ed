"""Stage 2, photo features: pretrained encoders and the HDF5 cache of 7x7 region features.

Open `photo_table` first: it is the entrance. `photo_table(image_paths, config)` turns
photo paths into a `PhotoTable` (each distinct photo's region features once, plus each
post's row), and every other stage gets its features through that module. Behind it, one
call goes:

    photo_table(paths, config)       photo_table: memory or stream (`streams`), the shared encoder
      ensure_features(...)           extraction: find what the cache lacks, encode only that
        encode_into(...)             encode_loop: decode, encode, write each batch as it comes
      load_features(...)             photo_table: read the rows back (`cached_feature_rows`:
                                     leave them in the file, read a batch at a time)
        distinct_photos(...)         cache_rows: each photo's row key; `CachedFeatureRows`
        feature_cache_file(...)      cache_file: where the cache lives, which file is whose
        FeatureCache(...).read(...)  store: the HDF5 file, its rows checked and read
          CacheLock(...)             cache_lock: readers together, a writer alone

Two other concerns have modules of their own: `photo_check` applies --on-bad-image to
photos that cannot be used and `photo_reading` decodes a photo upright within the pixel
limit (stages call both directly, before asking for features); `shards` splits extraction
over machines and merges the results (`shard_plan` says which photos go where).
`amnn-extract` only fills the cache, so it calls `extraction` and `shards` itself.
`encoders` is the registry of CNNs by name.
"""
