"""The published code's data layouts read as they are (amnn.data.column_layout, posts.py).

Folders are written here in the two layouts its users have: the authors' `*`-separated
`image_text_data.txt` (w5688414/AMNN, columns by position, header ignored) and the Korean
fork's `image_text_tag.csv` (`Name,Contents,captions`, photo names without `.jpg`).
Only the existence of photo files is checked here; tests/cli/test_published_layouts.py
trains and predicts on real photos.
"""

import argparse
from pathlib import Path

import pytest

from amnn.cli.args import columns_flag
from amnn.data.column_layout import find_layout, parse_columns_flag
from amnn.data.posts import iter_post_chunks, read_posts, resolve_csv_path
from amnn.errors import DataError

POST_ID = "2768320131198970077"  # 19 digits: a float would keep only 16 or 17 of them
FORK = ("Name,Contents,captions\n"
        f"{POST_ID},브런치 맛집 발견,\"['브런치메뉴', '팬케이크']\"\n"
        "2768320131198970078,\"Pancakes, syrup, coffee\",\"['brunch', 'pancakes']\"\n")
AUTHORS = ("image_names*tweets*hashtags\n"
           "beach.jpg*Sunset at the beach, again*beach sunset summer\n"
           "cat.jpg*\"quoted * star\" on a lazy day*cat\n")


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder / name


def photos(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"jpeg")  # only existence is checked while reading


def test_fork_folder_by_position_with_ids_kept_as_text(tmp_path, capsys):
    write(tmp_path, "image_text_tag.csv", FORK)
    photos(tmp_path, f"{POST_ID}.jpg", "2768320131198970078.JPG")
    posts = read_posts(tmp_path)
    assert posts.image_names == [POST_ID, "2768320131198970078"]
    assert posts.image_paths == [str(tmp_path.resolve() / f"{POST_ID}.jpg"),
                                 str(tmp_path.resolve() / "2768320131198970078.JPG")]
    assert posts.texts == ["브런치 맛집 발견", "Pancakes, syrup, coffee"]
    assert posts.hashtags == [["브런치메뉴", "팬케이크"], ["brunch", "pancakes"]]
    assert posts.columns == {"image_names": "Name", "tweets": "Contents",
                             "hashtags": "captions", "given_hashtags": None}
    assert posts.frame["Name"].tolist()[0] == POST_ID  # written back exactly
    err = capsys.readouterr().err
    assert err == ("note: image_text_tag.csv: read as the published layout: column 1 = photo, "
                   "2 = text, 3 = hashtags (by position, the header's names not used; "
                   "--columns says otherwise)\n")


def test_fork_prediction_file_and_other_extensions(tmp_path, capsys):
    write(tmp_path, "new.csv", f"Name,Contents\n{POST_ID},hello\n77,png here\n")
    photos(tmp_path, f"{POST_ID}.webp", "77.png", "77.jpeg")  # .jpeg comes before .png
    posts = read_posts(tmp_path / "new.csv", require_hashtags=False)
    assert [Path(p).name for p in posts.image_paths] == [f"{POST_ID}.webp", "77.jpeg"]
    assert posts.hashtags is None
    assert "column 1 = photo, 2 = text (by position" in capsys.readouterr().err


def test_authors_star_file_in_cp949_with_a_quoted_star(tmp_path, capsys):
    text = AUTHORS.replace("again", "또 바다")
    write(tmp_path, "image_text_data.txt", text, encoding="cp949")
    photos(tmp_path, "beach.jpg", "cat.jpg")
    assert resolve_csv_path(tmp_path) == tmp_path / "image_text_data.txt"
    posts = read_posts(tmp_path)
    assert posts.texts == ["Sunset at the beach, 또 바다", "quoted * star on a lazy day"]
    assert posts.hashtags == [["beach", "sunset", "summer"], ["cat"]]
    assert "read as the published layout: column 1 = photo, 2 = text, 3 = hashtags " \
           "('*'-separated" in capsys.readouterr().err


def test_star_file_header_names_are_not_used(tmp_path):
    # Even our own names in another order: the published code takes the columns by position.
    write(tmp_path, "image_text_data.txt", "hashtags*tweets*image_names\na.jpg*hi*sea\n")
    photos(tmp_path, "a.jpg")
    posts = read_posts(tmp_path)
    assert posts.image_names == ["a.jpg"] and posts.hashtags == [["sea"]]


@pytest.mark.parametrize("row, line, words", [
    ("beach.jpg*5 *stars* beach*beach\n", 3, "a '*' inside the text"),
    ("beach.jpg*a caption over\n", 3, "a line break inside a post's text"),
])
def test_star_file_rows_with_wrong_field_counts(tmp_path, row, line, words):
    write(tmp_path, "image_text_data.txt", AUTHORS.splitlines(keepends=True)[0]
          + "beach.jpg*fine*beach\n" + row)
    photos(tmp_path, "beach.jpg")
    with pytest.raises(DataError) as info:
        read_posts(tmp_path)
    assert info.value.row == line and words in str(info.value)
    assert "(photo, text, hashtags)" in str(info.value)


def test_missing_photo_without_extension_lists_what_was_tried(tmp_path):
    write(tmp_path, "image_text_tag.csv", FORK)
    photos(tmp_path, f"{POST_ID}.jpg")
    with pytest.raises(DataError) as info:
        read_posts(tmp_path)
    assert info.value.row == 3 and info.value.column == "Name"
    assert "2768320131198970078 (not found: also looked for .jpg, .jpeg, .png, .webp)" \
        in str(info.value)
    posts = read_posts(tmp_path, check_images=False)  # train.py: --on-bad-image decides
    assert [(b.line, b.kind) for b in posts.image_problems] == [(3, "missing")]


@pytest.mark.parametrize("header, choices", [
    ("hashtags,Contents,Name", "--columns photo,text,hashtags (by position) or --columns "
                               "hashtags,-,- (by name)"),
    ("caption,hashtags", "--columns photo,text (by position) or --columns -,hashtags"),
])
def test_names_and_positions_that_disagree_ask_for_columns(tmp_path, header, choices):
    write(tmp_path, "image_text_tag.csv", f"{header}\n{','.join('x' * header.count(','))},y\n")
    with pytest.raises(DataError) as info:
        read_posts(tmp_path, require_hashtags=False)
    assert info.value.row == 1 and choices in str(info.value)


def test_columns_flag_settles_and_reorders(tmp_path, capsys):
    write(tmp_path, "posts.csv", "tags,likes,caption\n#sea,3,At sea\n")
    posts = read_posts(tmp_path / "posts.csv", columns="hashtags,-,text")
    assert posts.texts == ["At sea"] and posts.hashtags == [["sea"]]
    assert "read with --columns: column 1 = hashtags, 2 = not used, 3 = text" \
        in capsys.readouterr().err
    write(tmp_path, "wide.txt", "a*b*c*d\nx.jpg*hi*sea*9\n")
    photos(tmp_path, "x.jpg")
    posts = read_posts(tmp_path / "wide.txt", columns=parse_columns_flag("photo*text*hashtags*-"))
    assert posts.texts == ["hi"] and posts.hashtags == [["sea"]]
    with pytest.raises(DataError, match="4 columns separated by '\\*'.*photo\\*text\\*hashtags\\*-"):
        read_posts(tmp_path / "wide.txt")
    with pytest.raises(DataError, match="is that the file's separator"):
        read_posts(tmp_path / "wide.txt", columns="photo,text,hashtags")


@pytest.mark.parametrize("value, words", [("photo,text,photo", "at most once"),
                                          ("photo,txt", "unknown role"),
                                          ("photo*text,hashtags", "not both")])
def test_bad_columns_flags_fail_at_parse_time(value, words):
    with pytest.raises(argparse.ArgumentTypeError, match=words):
        columns_flag(value)


def test_both_separators_in_the_header_ask_for_columns(tmp_path):
    write(tmp_path, "odd.csv", "a,b*c*d\nx,y\n")
    with pytest.raises(DataError, match="2 columns at ',' and into 3 at '\\*'.*--columns"):
        read_posts(tmp_path / "odd.csv")


def test_our_csv_is_unchanged_and_silent(tmp_path, capsys):
    write(tmp_path, "image_text_tag.csv", "image_names,tweets,hashtags\n,hi,sea\n")
    assert read_posts(tmp_path).hashtags == [["sea"]]
    assert capsys.readouterr().err == ""
    assert find_layout("p.csv", ["tweets", "name", "captions"]).by_position is False


def test_a_folder_with_both_files_asks_which(tmp_path):
    write(tmp_path, "image_text_tag.csv", FORK)
    write(tmp_path, "image_text_data.txt", AUTHORS)
    with pytest.raises(DataError, match="both image_text_tag.csv and image_text_data.txt"):
        resolve_csv_path(tmp_path)


def test_the_note_is_printed_once_per_file(tmp_path, capsys):
    write(tmp_path, "image_text_data.txt", "p*t*h\n*a*x\n*b*y\n*c*z\n")
    for _ in range(2):  # predict.py reads a file twice: its photos, then its predictions
        assert len(list(iter_post_chunks(tmp_path, 2))) == 2
    assert capsys.readouterr().err.count("note:") == 1
