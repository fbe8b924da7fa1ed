"""Tests of reading the CSV data contract into Posts."""

import os
from pathlib import Path

import numpy as np
import pytest

from amnn.errors import DataError
from amnn.data.posts import CSV_NAME, iter_post_chunks, read_posts

SHARED_DATA = Path(os.environ.get("AMNN_SHARED_DATA",
                                  Path(__file__).resolve().parents[2].parent / "shared" / "data"))


def write_csv(folder: Path, text: str, encoding: str = "utf-8", name: str = CSV_NAME) -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def add_images(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"not really a jpeg")  # only existence is checked


def test_normal_folder_and_file(tmp_path):
    add_images(tmp_path, "img/a.jpg", "img/b.jpg")
    csv_path = write_csv(tmp_path, "image_names,tweets,hashtags\n"
                         "img/a.jpg,Storm hits NYC,sandy nyc\n"
                         "img/b.jpg,Flooded streets,#Sandy #Flood\n")
    for given in (tmp_path, csv_path, str(csv_path)):
        posts = read_posts(given)
        assert len(posts) == 2 and posts.has_images
        assert posts.csv_path == csv_path
        assert posts.texts == ["Storm hits NYC", "Flooded streets"]
        assert posts.hashtags == [["sandy", "nyc"], ["sandy", "flood"]]
        assert posts.image_names == ["img/a.jpg", "img/b.jpg"]
        assert posts.image_paths == [str((tmp_path / "img" / n).resolve()) for n in ("a.jpg", "b.jpg")]
        assert posts.line_numbers == [2, 3]
        assert list(posts.frame.columns) == ["image_names", "tweets", "hashtags"]
        assert posts.frame["hashtags"].tolist() == ["sandy nyc", "#Sandy #Flood"]


def test_captions_alias_and_list_strings(tmp_path):
    write_csv(tmp_path, "image_names,tweets,captions\n,hello,\"['Sandy', 'nyc']\"\n")
    posts = read_posts(tmp_path)
    assert posts.hashtags == [["sandy", "nyc"]]
    assert posts.columns["hashtags"] == "captions"
    assert not posts.has_images and posts.image_paths == [""]


def test_bom_and_header_spaces(tmp_path):
    write_csv(tmp_path, "\ufeffimage_names, tweets ,hashtags\n,hi,a\n")
    posts = read_posts(tmp_path)
    assert posts.texts == ["hi"] and posts.columns["tweets"] == "tweets"


def test_cp949_korean(tmp_path):
    write_csv(tmp_path, "tweets,hashtags\n오늘 카페에서 커피,#카페 #맛집\n", encoding="cp949")
    posts = read_posts(tmp_path)
    assert posts.texts == ["오늘 카페에서 커피"] and posts.hashtags == [["카페", "맛집"]]


def test_undecodable_file(tmp_path):
    write_csv(tmp_path, "tweets,hashtags\n")
    with open(tmp_path / CSV_NAME, "ab") as stream:
        stream.write(b"ok,fine\n\xff\xff\xff,bad\n")
    with pytest.raises(DataError, match="UTF-8") as info:
        read_posts(tmp_path)
    assert info.value.row == 3


def test_quoted_newlines_commas_and_line_numbers(tmp_path):
    write_csv(tmp_path, 'tweets,hashtags\n"line one\nline two, with comma",a\n\n'
                        '"say ""hi""",b\nlast,c\n')
    posts = read_posts(tmp_path)
    assert posts.texts == ["line one\nline two, with comma", 'say "hi"', "last"]
    assert posts.line_numbers == [2, 5, 6]


def test_empty_and_nan_like_text(tmp_path):
    write_csv(tmp_path, "tweets,hashtags\n,a\nnan,b\nNA,\n")
    posts = read_posts(tmp_path)
    assert posts.texts == ["", "nan", "NA"]
    assert posts.hashtags == [["a"], ["b"], []]


def test_missing_column_names_found_and_expected(tmp_path):
    # Four unknown names: neither ours nor the published code's three columns by position.
    write_csv(tmp_path, "image,text,tags,likes\nx,y,z,1\n")
    with pytest.raises(DataError) as info:
        read_posts(tmp_path)
    message = str(info.value)
    assert "tweets" in message and "hashtags" in message and "--columns" in message
    assert "['image', 'text', 'tags', 'likes']" in message and info.value.row == 1


def test_no_hashtag_column_when_not_required(tmp_path):
    write_csv(tmp_path, "tweets\nhello\n")
    assert read_posts(tmp_path, require_hashtags=False).hashtags is None
    with pytest.raises(DataError, match="hashtags"):
        read_posts(tmp_path)


def test_missing_images_all_listed(tmp_path):
    add_images(tmp_path, "ok.jpg")
    rows = "".join(f"gone{i}.jpg,t,a\n" for i in range(25))
    write_csv(tmp_path, "image_names,tweets,hashtags\nok.jpg,t,a\n" + rows)
    with pytest.raises(DataError) as info:
        read_posts(tmp_path)
    message = str(info.value)
    assert "25 image file(s) not found" in message
    assert "line 3: gone0.jpg" in message and "line 22: gone19.jpg" in message
    assert "gone20.jpg" not in message and "and 5 more" in message
    assert info.value.column == "image_names"


def test_single_missing_image_has_line(tmp_path):
    write_csv(tmp_path, "image_names,tweets,hashtags\ngone.jpg,t,a\n")
    with pytest.raises(DataError) as info:
        read_posts(tmp_path)
    assert info.value.row == 2 and "gone.jpg" in str(info.value)


@pytest.mark.parametrize("name", ["../outside.jpg", "img/../../outside.jpg", "/etc/passwd",
                                  "C:\\photos\\a.jpg"])
def test_paths_leaving_the_folder(tmp_path, name):
    data = tmp_path / "data"
    data.mkdir()
    add_images(tmp_path, "outside.jpg")
    write_csv(data, f'image_names,tweets,hashtags\n"{name}",t,a\n')
    with pytest.raises(DataError) as info:
        read_posts(data)
    assert info.value.row == 2 and ("absolute" in str(info.value) or "leaves" in str(info.value))


def test_windows_separators_and_dot_segments(tmp_path):
    add_images(tmp_path, "img/a.jpg")
    write_csv(tmp_path, "image_names,tweets,hashtags\nimg\\a.jpg,t,a\n./img/x/../a.jpg,t,b\n")
    posts = read_posts(tmp_path)
    assert posts.image_paths[0] == posts.image_paths[1] == str((tmp_path / "img/a.jpg").resolve())


def test_text_only_set(tmp_path):
    write_csv(tmp_path, "image_names,tweets,hashtags\n,a,x\n,b,y\n")
    posts = read_posts(tmp_path)
    assert not posts.has_images and posts.image_paths == ["", ""]
    write_csv(tmp_path, "tweets,hashtags\na,x\n")
    assert read_posts(tmp_path).image_names == [""]


@pytest.mark.parametrize("text, match", [("", "empty"), ("\n\n", "empty"),
                                         ("tweets,hashtags\n", "no posts")])
def test_empty_files(tmp_path, text, match):
    write_csv(tmp_path, text)
    with pytest.raises(DataError, match=match):
        read_posts(tmp_path)


def test_bad_rows_and_paths(tmp_path):
    write_csv(tmp_path, "tweets,hashtags\na,b,c\n")
    with pytest.raises(DataError, match="3 fields") as info:
        read_posts(tmp_path)
    assert info.value.row == 2
    write_csv(tmp_path, "tweets,hashtags\nshort\n")
    assert read_posts(tmp_path).hashtags == [[]]
    with pytest.raises(DataError, match="no such file"):
        read_posts(tmp_path / "nope.csv")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DataError, match=CSV_NAME):
        read_posts(tmp_path / "empty_dir")


def test_select(tmp_path):
    write_csv(tmp_path, "tweets,hashtags\na,x\nb,y\nc,z\n")
    subset = read_posts(tmp_path).select(np.array([2, 0]))
    assert subset.texts == ["c", "a"] and subset.hashtags == [["z"], ["x"]]
    assert subset.line_numbers == [4, 2] and subset.frame["tweets"].tolist() == ["c", "a"]
    assert list(subset.frame.index) == [0, 1]


def test_iter_post_chunks(tmp_path):
    write_csv(tmp_path, "tweets\n" + "".join(f"t{i}\n" for i in range(7)))
    chunks = list(iter_post_chunks(tmp_path, 3))
    assert [c.texts for c in chunks] == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]
    assert chunks[2].line_numbers == [8] and chunks[0].hashtags is None
    write_csv(tmp_path, "tweets\n")
    assert list(iter_post_chunks(tmp_path, 3)) == []
    with pytest.raises(ValueError, match="chunk_size"):
        next(iter_post_chunks(tmp_path, 0))


@pytest.mark.shared_data
@pytest.mark.parametrize("name, rows", [("mediaeval/train", 4426), ("tweeteval/train", 20868)])
def test_real_data(name, rows):
    folder = SHARED_DATA / name
    if not (folder / CSV_NAME).is_file():
        pytest.skip(f"shared data not found at {folder}; set AMNN_SHARED_DATA")
    posts = read_posts(folder)
    assert len(posts) == rows and all(posts.hashtags)
    if name.startswith("mediaeval"):
        assert posts.has_images and all(os.path.isfile(p) for p in set(posts.image_paths))
    else:
        assert not posts.has_images
