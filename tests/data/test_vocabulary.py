"""Tests of the hashtag vocabulary and the JSON helpers it saves with."""

import json

import pytest

from amnn.errors import ModelFolderError
from amnn.jsonio import read_json, write_json
from amnn.data.vocabulary import BOS, EOS, PAD, UNK, HashtagVocabulary

POSTS = [["sandy", "nyc"], ["storm", "sandy"], ["nyc", "rare"], ["storm"], ["sandy", "sandy"]]


@pytest.fixture
def vocab():
    return HashtagVocabulary.build(POSTS, min_count=2)


def test_reserved_ids():
    assert (PAD, BOS, EOS, UNK) == (0, 1, 2, 3)
    empty = HashtagVocabulary.build([])
    assert len(empty) == 4 and empty.decode([UNK, EOS]) == []
    assert [empty.tag(i) for i in range(4)] == ["<pad>", "<bos>", "<eos>", "<unk>"]


def test_build_orders_by_count_then_first_appearance(vocab):
    # sandy 3 posts (counted once per post), then nyc and storm tie at 2: nyc came first.
    assert vocab.tags == ["sandy", "nyc", "storm"]
    assert vocab.counts == {"sandy": 3, "nyc": 2, "storm": 2}
    assert len(vocab) == 7 and vocab.id("sandy") == 4 and vocab.tag(6) == "storm"
    assert vocab.id("rare") == UNK and "rare" not in vocab and "nyc" in vocab
    assert vocab.most_frequent(2) == ["sandy", "nyc"] and vocab.most_frequent(99) == vocab.tags


def test_build_min_count_and_max_size():
    assert HashtagVocabulary.build(POSTS, min_count=1).tags == ["sandy", "nyc", "storm", "rare"]
    assert HashtagVocabulary.build(POSTS, min_count=2, max_size=1).tags == ["sandy"]
    with pytest.raises(ValueError, match="min_count"):
        HashtagVocabulary.build(POSTS, min_count=0)


def test_build_is_deterministic_with_ties():
    posts = [["b", "a"], ["a", "b"], ["c"], ["c"]]
    assert HashtagVocabulary.build(posts).tags == ["b", "a", "c"]
    assert HashtagVocabulary.build(posts) == HashtagVocabulary.build(list(posts))


def test_encode_target(vocab):
    assert vocab.encode_target(["storm", "rare", "sandy"], 5, "frequency") == [4, 6, EOS]
    assert vocab.encode_target(["storm", "rare", "sandy"], 5, "post") == [6, 4, EOS]
    assert vocab.encode_target(["storm", "nyc", "sandy"], 2, "frequency") == [4, 5, EOS]
    assert vocab.encode_target(["rare"], 5) == [EOS]
    assert vocab.encode_target(["nyc", "nyc"], 5) == [5, EOS]
    with pytest.raises(ValueError, match="order"):
        vocab.encode_target(["nyc"], 5, "random")


def test_decode(vocab):
    assert vocab.decode([BOS, 6, UNK, 4, 6, EOS, 5]) == ["storm", "sandy"]
    assert vocab.decode([PAD, PAD]) == []
    assert vocab.decode(vocab.encode_target(["nyc", "storm"], 5, "post")) == ["nyc", "storm"]
    with pytest.raises(ValueError, match="id"):
        vocab.decode([99])


def test_json_round_trip(vocab, tmp_path):
    data = json.loads(json.dumps(vocab.to_json()))
    assert HashtagVocabulary.from_json(data) == vocab
    path = tmp_path / "model" / "hashtags.json"
    vocab.save(path)
    assert HashtagVocabulary.load(path) == vocab
    korean = HashtagVocabulary.build([["맛집", "🌊"]] * 2)
    korean.save(path)
    assert "맛집" in path.read_text(encoding="utf-8")
    assert HashtagVocabulary.load(path).tags == ["맛집", "🌊"]


def test_load_errors(tmp_path):
    with pytest.raises(ModelFolderError, match="not found"):
        HashtagVocabulary.load(tmp_path / "missing.json")
    write_json(tmp_path / "other.json", {"format": "something-else"})
    with pytest.raises(ModelFolderError, match="not a hashtag vocabulary"):
        HashtagVocabulary.load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"tags": [', encoding="utf-8")
    with pytest.raises(ModelFolderError, match="line 1"):
        read_json(tmp_path / "broken.json")


def test_write_json_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "v.json"
    write_json(path, {"a": 1})

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("amnn.jsonio.os.replace", fail)
    with pytest.raises(OSError):
        write_json(path, {"a": 2})
    assert read_json(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["v.json"]  # no temporary file left
