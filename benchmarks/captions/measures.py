"""What makes captions worth keeping, beside their scores: distinct per input, no repeats.

An input is what a caption model reads of a post: its photo (the `image_names` cell) and
its set of hashtags. Two posts with the same input may get the same caption; posts with
different inputs should not, so `distinct` is distinct captions over distinct inputs. A
caption "repeats a content word" when a word that is not one of the model's function
words (learnt from its training captions, `amnn.inputs.caption_repetition`) comes twice.

Example:
    >>> from amnn.data.posts import Posts
    >>> val = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["storm storm", "sandy"],
    ...                       ["a storm", "nyc"]], [2, 3])
    >>> caption_measures(["the storm", "the storm"], val, ["the"])
    {'distinct': 0.5, 'repeats': 0.0}
    >>> caption_measures(val.texts, val, ["the"])  # the posts' own captions
    {'distinct': 1.0, 'repeats': 0.5}
"""

from __future__ import annotations

from typing import Sequence

from amnn.data.posts import Posts
from amnn.data.text.tokenizers import WordTokenizer
from amnn.inputs.caption_repetition import distinct_ratio, repeats_a_content_word


def post_inputs(posts: Posts) -> list[tuple]:
    """Each post's (photo cell, frozenset of hashtags)."""
    photos = posts.image_paths if posts.has_images else [""] * len(posts)
    tags = posts.hashtags if posts.hashtags is not None else [()] * len(posts)
    return [(photo, frozenset(t)) for photo, t in zip(photos, tags)]


def distinct_ceiling(train: Posts, val: Posts) -> float:
    """The most `distinct` the writer or a retriever by whole tags can reach on `val`: its
    distinct inputs as they read them (the photo and only the hashtags seen in training; an
    unseen tag reads as nothing) over its distinct inputs. (retrieval-tags-meaning reads an
    unseen tag by its pieces, so it can pass this.)

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["a", "sandy"]], [2])
        >>> val = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["b", "sandy"],
        ...                       ["c", "sandy nyc"], ["d", "boston"]], [2, 3, 4])
        >>> distinct_ceiling(train, val)  # "sandy nyc" reads as "sandy"; "boston" as nothing
        0.6667
    """
    seen = {tag for tags in (train.hashtags or []) for tag in tags}
    readable = [(photo, frozenset(t & seen)) for photo, t in post_inputs(val)]
    return round(len(set(readable)) / max(len(set(post_inputs(val))), 1), 4)


def caption_measures(captions: Sequence[str], posts: Posts, function_words) -> dict:
    """{"distinct": distinct captions / distinct inputs, "repeats": share of captions that
    repeat a content word}, both rounded to 4 places."""
    words = WordTokenizer()
    tokens = [tuple(words.tokenize(c)) for c in captions]
    function_words = set(function_words or ())
    repeats = sum(repeats_a_content_word(t, function_words) for t in tokens)
    return {"distinct": round(distinct_ratio(tokens, post_inputs(posts)), 4),
            "repeats": round(repeats / max(len(tokens), 1), 4)}


def pick_examples(val, written: list[str], count: int = 3) -> list[dict]:
    """The `count` best and worst written captions by ROUGE-L F (distinct true captions)."""
    from amnn.data.text.tokenizers import WordTokenizer
    from amnn.evaluate.caption_metrics import caption_scores

    scored, seen = [], set()
    words = WordTokenizer()
    for index, (truth, made) in enumerate(zip(val.texts, written)):
        if not words.tokenize(truth) or truth in seen:  # nothing a caption could match
            continue
        seen.add(truth)
        scored.append((caption_scores([made], [truth]).rouge_l, index))
    scored.sort()
    picked = scored[-count:][::-1] + scored[:count]
    return [{"rouge_l": round(score, 3), "true": val.texts[i], "written": written[i],
             "hashtags": " ".join(val.hashtags[i]) if val.hashtags else ""}
            for score, i in picked]
