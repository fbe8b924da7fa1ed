"""Property-based tests of reading the posts CSV: whatever a spreadsheet writes comes back.

Captions with commas, quotes, line breaks, Hangul and emoji, tags in every accepted form,
and files saved as UTF-8, UTF-8 with BOM or CP949 (Korean Excel) must read back to the same
texts and the same normalised tags, row for row.
"""

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amnn.data.hashtags import parse_hashtags
from amnn.data.posts import read_posts

# Characters people type: ASCII, punctuation that CSV must quote, Hangul, an emoji.
_CHARS = st.sampled_from(list("abcXYZ 019,;\"'\n\t#@.") + ["가", "나", "한", "글", "😀", "é"])
CAPTIONS = st.text(_CHARS, max_size=30)
TAG = st.text(st.sampled_from(list("abcxyz019_") + ["가", "한", "😀"]), min_size=1, max_size=8)
TAG_CELLS = st.lists(TAG, max_size=4).flatmap(lambda tags: st.sampled_from([
    " ".join(tags), " ".join("#" + t for t in tags), "".join("#" + t for t in tags),
    repr(list(tags)), ", ".join(tags).upper()]))


def _csv_bytes(rows, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["image_names", "tweets", "hashtags"])
    writer.writerows(["", text, tags] for text, tags in rows)
    return buffer.getvalue().encode(encoding)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CAPTIONS, TAG_CELLS), min_size=1, max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_any_caption_and_tag_cell_reads_back(tmp_path_factory, rows, encoding):
    folder = Path(tmp_path_factory.mktemp("csv"))
    (folder / "image_text_tag.csv").write_bytes(_csv_bytes(rows, encoding))
    posts = read_posts(folder)
    assert len(posts) == len(rows)
    assert posts.texts == [text for text, _ in rows]
    assert posts.hashtags == [parse_hashtags(tags) for _, tags in rows]
    assert all(tag == tag.lower() and not tag.startswith("#")
               for tags in posts.hashtags for tag in tags)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.text(st.sampled_from(list("abc ,\"") + ["가", "한", "글"]),
                                       max_size=20),
                               st.lists(st.sampled_from(["서울", "맛집", "cat"]), max_size=3)
                               .map(" ".join)), min_size=1, max_size=5))
def test_korean_excel_cp949_reads_back(tmp_path_factory, rows):
    folder = Path(tmp_path_factory.mktemp("cp949"))
    (folder / "image_text_tag.csv").write_bytes(_csv_bytes(rows, "cp949"))
    posts = read_posts(folder)
    assert posts.texts == [text for text, _ in rows]
    assert posts.hashtags == [parse_hashtags(tags) for _, tags in rows]


def test_empty_and_missing_text_is_empty_not_nan(tmp_path):
    (tmp_path / "image_text_tag.csv").write_text(
        "image_names,tweets,hashtags\n,,sea\n,NaN,sky\n,\"\",sun\n", encoding="utf-8")
    posts = read_posts(tmp_path)
    assert posts.texts[0] == "" and posts.texts[2] == ""
    assert "nan" not in posts.texts[0].lower()
