"""Tests of the caption tokenizers and the word-id vectorizer."""

import json

import pytest

from amnn.errors import ModelFolderError
from amnn.data.text import (SoynlpTokenizer, TextVectorizer, WordTokenizer, is_korean, make_tokenizer,
                       tokenizer_from_json)

# Captions written for these tests: nouns that recur with different particles, which is
# what soynlp needs to learn where a word ends.
KOREAN_CAPTIONS = """오늘은 친구랑 카페에서 커피를 마셨다
주말에 여행을 떠나서 맛집을 찾았다
이 카페는 분위기가 좋아서 자주 간다
여행에서 돌아오니 바다가 그립다
맛집에서 점심을 먹고 카페로 갔다
바다를 보러 여행을 갔는데 날씨가 좋았다
동네 카페가 새로 생겨서 가봤다
제주도 맛집은 줄이 길다
카페에서 사진을 찍고 맛집으로 이동
여행은 언제나 설렌다
바다에서 수영하고 카페에 들렀다
맛집이 많은 동네로 여행을 왔다
사진을 찍으러 바다로 나갔다
카페를 찾아 골목을 걸었다
여행도 좋고 맛집도 좋다
부산 바다는 겨울에도 예쁘다
주말마다 카페에서 책을 읽는다
맛집을 추천받아서 여행 계획을 세웠다
바다가 보이는 카페는 언제나 붐빈다
여행에서 만난 맛집이 최고였다
사진이 잘 나오는 카페로 가자
맛집에서 먹은 국수가 맛있었다
여행을 마치고 집으로 돌아왔다
카페도 예쁘고 바다도 예쁘다 #cafe
친구와 맛집으로 향했다
바다에서 찍은 사진을 올린다
여행의 마지막 날 카페에 앉아 쉬었다
새로운 맛집을 발견했다
카페가 너무 조용해서 좋았다
여행이 끝나서 아쉽다""".splitlines()


@pytest.mark.parametrize("text, expected", [
    ("Hurricane #Sandy hits NYC!", ["hurricane", "sandy", "hits", "nyc"]),
    ("see https://t.co/abc and www.cnn.com now", ["see", "and", "now"]),
    ("@CNN: breaking", ["@cnn", "breaking"]),
    ("Don’t stop, it's 3pm", ["don't", "stop", "it's", "3pm"]),
    ("found \\n the plane", ["found", "the", "plane"]),
    ("love ❤️🌊 it", ["love", "❤", "🌊", "it"]),
    ("오늘 카페에서 Coffee", ["오늘", "카페에서", "coffee"]),
    ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"]),   # combining vowel signs stay inside the word
    ("", []),
    ("... !!! ", []),
])
def test_word_tokenizer(text, expected):
    assert WordTokenizer().tokenize(text) == expected


def test_is_korean():
    assert is_korean(KOREAN_CAPTIONS)
    assert not is_korean(["Hurricane Sandy hits New York", "storm"])
    assert not is_korean([]) and not is_korean(["", "123 !!"])
    assert is_korean(["ㅋㅋㅋ 좋아"])
    assert not is_korean(["카페 in the very long english sentence here"], threshold=0.3)


@pytest.fixture(scope="module")
def soynlp_tokenizer():
    return SoynlpTokenizer().fit(KOREAN_CAPTIONS)


def test_soynlp_fit_is_silent(capfd):
    SoynlpTokenizer().fit(KOREAN_CAPTIONS[:10])
    assert capfd.readouterr() == ("", "")


def test_soynlp_splits_particles(soynlp_tokenizer):
    tokenize = soynlp_tokenizer.tokenize
    assert tokenize("카페에서") == ["카페", "에서"]
    assert tokenize("맛집으로 여행을") == ["맛집", "으로", "여행", "을"]
    # A noun followed by particles it never took in training is still cut off.
    assert tokenize("바다까지")[0] == "바다"
    assert tokenize("Cafe 카페는 GOOD") == ["cafe", "카페", "는", "good"]
    assert tokenize("") == []


def test_soynlp_unknown_words_stay_whole(soynlp_tokenizer):
    assert soynlp_tokenizer.tokenize("무지개떡") == ["무지개떡"]
    assert SoynlpTokenizer().tokenize("카페에서 무지개") == ["카페에서", "무지개"]


def test_soynlp_json_is_small_and_round_trips(soynlp_tokenizer):
    data = json.loads(json.dumps(soynlp_tokenizer.to_json(), ensure_ascii=False))
    assert data["kind"] == "soynlp" and all(score > 0 for score in data["scores"].values())
    assert all(round(score, 4) == score for score in data["scores"].values())
    restored = tokenizer_from_json(data)
    for caption in KOREAN_CAPTIONS:
        assert restored.tokenize(caption) == soynlp_tokenizer.tokenize(caption)


def test_make_tokenizer():
    assert make_tokenizer("auto", ["Storm in NYC"]).kind == "word"
    assert make_tokenizer("word", KOREAN_CAPTIONS).kind == "word"
    assert make_tokenizer("auto", KOREAN_CAPTIONS).kind == "soynlp"
    assert make_tokenizer("soynlp", ["english only"]).kind == "soynlp"
    with pytest.raises(ValueError, match="tokenizer"):
        make_tokenizer("bert", [])
    with pytest.raises(ValueError, match="kind"):
        tokenizer_from_json({"kind": "pickle"})


def test_vectorizer_fit_encode():
    vec = TextVectorizer(WordTokenizer(), min_count=2, max_words=10, max_tokens=3)
    vec.fit(["storm hits nyc", "nyc storm", "nyc flood"])
    assert vec.words == ["nyc", "storm"] and vec.vocab_size == 4
    assert vec.encode(["NYC storm flood surge", "", "storm"]) == [[2, 3, 1], [], [3]]


def test_vectorizer_max_words_and_ties():
    vec = TextVectorizer(WordTokenizer(), min_count=1, max_words=2).fit(["b a c", "c"])
    assert vec.words == ["c", "b"]
    with pytest.raises(ValueError, match="max_tokens"):
        TextVectorizer(WordTokenizer(), max_tokens=0)


def test_vectorizer_save_load(tmp_path, soynlp_tokenizer):
    vec = TextVectorizer(soynlp_tokenizer, min_count=2).fit(KOREAN_CAPTIONS)
    path = tmp_path / "text.json"
    vec.save(path)
    loaded = TextVectorizer.load(path)
    assert loaded.to_json() == vec.to_json()
    assert loaded.encode(KOREAN_CAPTIONS) == vec.encode(KOREAN_CAPTIONS)
    assert vec.encode(["카페에서"])[0] == [vec.words.index("카페") + 2, vec.words.index("에서") + 2]
    path.write_text('{"format": "amnn-hashtag-vocabulary"}', encoding="utf-8")
    with pytest.raises(ModelFolderError, match="not a text vectorizer"):
        TextVectorizer.load(path)
