"""Tests of hashtag normalisation and parsing of hashtag cells."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amnn.data.hashtags import normalize_hashtag, parse_hashtags


@pytest.mark.parametrize("raw, expected", [
    ("#Sandy", "sandy"),
    ("  ##Café ", "café"),
    ("Cafe\u0301", "café"),           # NFD input comes out composed (NFC)
    ('"sandy",', "sandy"),
    ("'nyc'", "nyc"),
    ("#맛집", "맛집"),
    ("#❤️", "❤"),                      # variation selector dropped
    ("ÇA", "ça"),
    ("covid-19", "covid-19"),          # inner punctuation is kept
    ("_under_", "_under_"),            # '_' belongs to hashtags
    ("new york", "newyork"),
    ("\u200bsandy\u200b", "sandy"),    # zero-width spaces around a tag
])
def test_normalize_hashtag(raw, expected):
    assert normalize_hashtag(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "#", "###", "!?", None, "'\"'"])
def test_normalize_hashtag_empty_is_none(raw):
    assert normalize_hashtag(raw) is None


@pytest.mark.parametrize("cell", [None, "", "   ", float("nan"), np.nan, "[]", []])
def test_parse_missing_cells(cell):
    assert parse_hashtags(cell) == []


def test_parse_pandas_na():
    assert parse_hashtags(pd.NA) == []


@pytest.mark.parametrize("cell, expected", [
    ("sandy nyc", ["sandy", "nyc"]),
    ("sandy, nyc,storm", ["sandy", "nyc", "storm"]),
    ("#Sandy #NYC", ["sandy", "nyc"]),
    ("#a#b", ["a", "b"]),
    ("#A #a a", ["a"]),
    ("['Sandy', 'nyc']", ["sandy", "nyc"]),
    ('["sandy","nyc"]', ["sandy", "nyc"]),
    ("['sandy', 'nyc'", ["sandy", "nyc"]),      # malformed list: regex fallback
    ("[sandy, nyc]", ["sandy", "nyc"]),         # not a literal: fallback
    ("['new york']", ["new", "york"]),
    ("[1, 2]", ["1", "2"]),
    ("#여행#맛집 #여행", ["여행", "맛집"]),
    ("🌊 #🌊 sea", ["🌊", "sea"]),
    ("＃全角 tag", ["全角", "tag"]),
    (["#A", "b", None], ["a", "b"]),
    ("sandy\tnyc\nstorm", ["sandy", "nyc", "storm"]),
])
def test_parse_forms(cell, expected):
    assert parse_hashtags(cell) == expected


def test_parse_does_not_evaluate_code():
    # Not a literal, so the text is split instead; surrounding brackets are stripped.
    assert parse_hashtags("[__import__('os').getcwd()]") == ["__import__('os').getcwd"]


_TAGGY = st.text(alphabet=st.sampled_from(list("aBc#, '[]\"\t\n.!-_é\u0301ÇßİǰﬁΣς맛집🌊❤\ufe0f\u200b＃、")),
                 max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), _TAGGY))
def test_parse_properties(cell):
    tags = parse_hashtags(cell)
    assert len(tags) == len(set(tags))
    for tag in tags:
        assert tag and "#" not in tag and not any(c.isspace() for c in tag)
        assert normalize_hashtag(tag) == tag
    assert parse_hashtags(" ".join(tags)) == tags


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=10), max_size=5))
def test_parse_list_literal_matches_list(values):
    assert parse_hashtags(repr(values)) == parse_hashtags(values)


def test_nan_like_is_not_text():
    assert parse_hashtags("nan") == ["nan"]       # the word is a tag; only real NaN is empty
    assert parse_hashtags(math.nan) == []
