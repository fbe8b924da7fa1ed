"""Stage 2, photo features: pretrained encoders and the HDF5 cache of 7x7 region features.

`encoders` builds a CNN by name, `extraction` runs it over photos the cache lacks,
`store` is the cache file itself, `cache_lock` lets processes share it (readers together,
a writer alone), `shards` splits extraction over machines and merges the results,
`photo_table` gives each post the row of its photo, and `photo_check` applies
--on-bad-image to photos that cannot be used.
"""
