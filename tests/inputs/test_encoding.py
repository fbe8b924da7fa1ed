"""Tests of amnn.inputs.encoding: captions and tags as ids, padded for a batch."""

import numpy as np

from amnn.data.text import TextVectorizer, WordTokenizer
from amnn.inputs.encoding import EncodedPosts, pad_ids


def test_pad_ids_pads_caption_ids_to_the_longest_with_at_least_one_column():
    vec = TextVectorizer(WordTokenizer(), min_count=2).fit(["storm hits nyc", "nyc storm", "nyc"])
    padded = pad_ids(vec.encode(["storm", "nyc nyc", ""]))
    assert padded.dtype == np.int32 and padded.tolist() == [[3, 0], [2, 2], [0, 0]]
    assert pad_ids([[], []]).shape == (2, 1)
    assert pad_ids([]).shape == (0, 1)
    assert pad_ids([[5]], min_length=3).tolist() == [[5, 0, 0]]


def test_encoded_posts_length_comes_from_any_part():
    assert len(EncodedPosts(None, np.array([0, 1, 1], "int32"), None)) == 3
    assert len(EncodedPosts([[1], []], None, None)) == 2
    assert len(EncodedPosts(None, None, None)) == 0
