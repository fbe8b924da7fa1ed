"""Stage 1, reading posts: the CSV contract, hashtags, photo files, splits, vocabularies, text.

Nothing here loads TensorFlow: a bad CSV is reported in a second.
`posts` reads `image_text_tag.csv` (through `csv_records`), `hashtags` normalises tags,
`photo_files` checks photo files without opening them, `splits` holds out photos,
`vocabulary` maps hashtags to ids, and `text` tokenizes captions into word ids.
"""
