"""The optional `given_hashtags` column: read in every form the `hashtags` column takes."""

from pathlib import Path

import pytest

from amnn.data.posts import CSV_NAME, iter_post_chunks, read_posts


def _csv(folder: Path, text: str) -> Path:
    path = folder / CSV_NAME
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("header", ["given_hashtags", "Given_Hashtags", "given_captions"])
def test_the_column_is_found_by_its_names_without_regard_to_case(tmp_path, header):
    _csv(tmp_path, f"tweets,{header}\nstorm,#Sandy\n")
    posts = read_posts(tmp_path, require_hashtags=False)
    assert posts.given_hashtags == [["sandy"]]
    assert posts.columns["given_hashtags"] == header
    assert posts.hashtags is None  # not mistaken for the hashtag column


def test_cells_in_every_hashtag_form_and_empty_cells(tmp_path):
    _csv(tmp_path, "tweets,hashtags,given_hashtags\n"
                   "a,x,#Sandy #NYC\n"
                   "b,x,\"sandy, nyc\"\n"
                   "c,x,\"['Sandy', 'nyc']\"\n"
                   "d,x,#sandy#nyc\n"
                   "e,x,\n")
    posts = read_posts(tmp_path)
    assert posts.given_hashtags == [["sandy", "nyc"]] * 4 + [[]]
    assert posts.hashtags == [["x"]] * 5


def test_without_the_column_nothing_is_given(tmp_path):
    _csv(tmp_path, "tweets,hashtags\na,x\n")
    posts = read_posts(tmp_path)
    assert posts.given_hashtags is None and posts.columns["given_hashtags"] is None


def test_select_and_chunks_keep_the_column(tmp_path):
    _csv(tmp_path, "tweets,given_hashtags\na,p\nb,\nc,q r\n")
    chunks = list(iter_post_chunks(tmp_path, 2))
    assert [c.given_hashtags for c in chunks] == [[["p"], []], [["q", "r"]]]
    posts = read_posts(tmp_path, require_hashtags=False)
    assert posts.select([2, 0]).given_hashtags == [["q", "r"], ["p"]]
