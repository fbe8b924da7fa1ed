"""Choose, when a caption model is trained, between writing captions and retrieving them.

The writer wins on some data and loses on other (docs/BENCHMARKS.md "## Captions": on val,
retrieval beat it on the demo and on the Korean posts, it led on MediaEval). So every
caption model chooses on the posts it held out for early stopping (`train.py --val`'s
posts, or without `--val` the by-photo split of the training posts), which neither the
writer nor a retriever learnt from: the retrievers (`amnn.model.caption_retrieval`) are
fitted on the training posts only.

Candidates, in this order: the writer (the captions predict.py writes by default, the
model's `caption_beam_size`), frequent, retrieval-photo (a model that reads photos),
retrieval-tags (a model that reads hashtags), retrieval-both with alpha 0.25, 0.5, 0.75
(both). A retriever reads only what the model reads, so predict.py asks a user for the
same columns and photos whatever was chosen. All are scored alike: `caption_objective`
(the mean of corpus BLEU-1 and mean ROUGE-L F, as early stopping scores epochs) on the
words of the caption text (`WordTokenizer`, as `amnn.evaluate.caption_metrics` counts
them), so a retrieved caption's punctuation and capitals cost it nothing. On a tie the
earlier candidate wins: the writer before any retriever (a retriever must beat it to be
shipped instead), and a simpler retriever before one that weighs two similarities.

Example (writer captions as predict.py would write them for the held-out posts):
    >>> from amnn.data.posts import Posts
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm in NYC", "sandy"],
    ...     ["Finish line!", "boston"], ["Storm in NYC", "sandy nyc"]], [2, 3, 4])
    >>> held_out = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["At the finish line",
    ...     "boston"], ["Storm hits NYC", "sandy"]], [2, 3])
    >>> choice, retriever = choose_caption_method(["storm nyc", "storm nyc"], train, held_out,
    ...                                           use_tags=True)
    >>> print(choice.line())
    caption method chosen on 2 held-out posts: retrieval-tags 0.602; writer 0.318, frequent 0.308
    >>> retriever.name, choice.to_json()["retriever"]
    ('retrieval-tags', {'method': 'retrieval-tags', 'alpha': None})
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Optional, Sequence

import pandas as pd

from amnn.data.posts import Posts
from amnn.data.text.tokenizers import WordTokenizer
from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts
from amnn.model.caption_retrieval import CaptionRetriever
from amnn.inputs.caption_repetition import distinct_ratio
from amnn.train.caption_stop import DISTINCT_FLOOR, caption_objective, guarded_score

WRITER = "writer"  # the caption model writing word by word
RETRIEVAL_ALPHAS = (0.25, 0.5, 0.75)  # retrieval-both: the tags' share of the similarity


@dataclass
class CaptionChoice:
    """What a caption model answers with, what each candidate scored, and on how many posts.

    Args:
        method: str. "writer" or a retrieval method's name (`RETRIEVAL_METHODS`).
        alpha: float or None. retrieval-both's tag weight; None for the others.
        posts: int. Held-out posts scored (0: nothing was chosen, the writer answers).
        candidates: list of {"method", "alpha", "score"}, in candidate order.
        retriever: {"method", "alpha"} of the best retriever, which the folder ships (and
            predict.py --caption-method retrieve uses), or None.

    Example:
        >>> CaptionChoice.from_json(None).line()  # a folder written before the choice
        'caption method not chosen (no held-out posts): writer'
    """

    method: str = WRITER
    alpha: Optional[float] = None
    posts: int = 0
    candidates: list = field(default_factory=list)
    retriever: Optional[dict] = None

    @property
    def retrieves(self) -> bool:
        """Whether a retriever answers, not the writer."""
        return self.method != WRITER

    def to_json(self) -> dict:
        """Plain values for amnn_model.json."""
        return asdict(self)

    @classmethod
    def from_json(cls, values: Optional[dict]) -> "CaptionChoice":
        """The choice a manifest recorded; the writer when it recorded none (older folders)."""
        return cls(**values) if values else cls()

    def line(self) -> str:
        """One line for the end of training: what was chosen, and every candidate's score."""
        chosen = label(self.method, self.alpha)
        if not self.posts:
            return f"caption method not chosen (no held-out posts): {chosen}"
        scores = {label(c["method"], c["alpha"]): _shown(c) for c in self.candidates}
        others = ", ".join(f"{name} {score}" for name, score in scores.items()
                           if name != chosen)
        return (f"caption method chosen on {self.posts} held-out posts: {chosen} "
                f"{scores[chosen]}; {others}")


def _shown(candidate: dict) -> str:
    """A candidate's score for the line: its match, and why it lost if too few distinct.

    Example:
        >>> _shown({"score": -0.9, "match": 0.067, "distinct": 0.14})
        '0.067 (only 14% distinct)'
    """
    match = candidate.get("match", candidate["score"])
    distinct = candidate.get("distinct")
    if distinct is not None and distinct < DISTINCT_FLOOR:
        return f"{match:.3f} (only {distinct:.0%} distinct)"
    return f"{match:.3f}"


def label(method: str, alpha: Optional[float]) -> str:
    """A candidate's name in lines and tables.

    Example:
        >>> label("retrieval-both", 0.25), label("writer", None)
        ('retrieval-both (alpha 0.25)', 'writer')
    """
    return f"{method} (alpha {alpha:g})" if alpha is not None else method


def candidates(use_photos: bool, use_tags: bool) -> list[tuple[str, Optional[float]]]:
    """(method, alpha) of every candidate, in tie-breaking order (earlier wins).

    Example:
        >>> candidates(use_photos=False, use_tags=True)
        [('writer', None), ('frequent', None), ('retrieval-tags', None)]
    """
    found = [(WRITER, None), ("frequent", None)]
    if use_photos:
        found.append(("retrieval-photo", None))
    if use_tags:
        found.append(("retrieval-tags", None))
    if use_photos and use_tags:
        found += [("retrieval-both", alpha) for alpha in RETRIEVAL_ALPHAS]
    return found


def caption_score(captions: Sequence[str], truths: Sequence[str]) -> float:
    """`caption_objective` of caption texts against the true texts, on their words.

    Example:
        >>> caption_score(["Storm hits NYC!"], ["storm hits nyc"])
        1.0
    """
    words = WordTokenizer()
    return caption_objective([words.tokenize(c) for c in captions],
                             [words.tokenize(t) for t in truths])


def joined_posts(first: Posts, second: Posts) -> Posts:
    """`first`'s posts, then `second`'s, as one list (what a retriever reads of them).

    Example:
        >>> a = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm", "sandy"]], [2])
        >>> b = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Run", "boston"]], [3])
        >>> joined = joined_posts(a, b)
        >>> joined.texts, joined.hashtags, joined.line_numbers
        (['Storm', 'Run'], [['sandy'], ['boston']], [2, 3])
    """
    hashtags = None if first.hashtags is None or second.hashtags is None \
        else first.hashtags + second.hashtags
    return replace(first, frame=pd.concat([first.frame, second.frame], ignore_index=True),
                   image_names=first.image_names + second.image_names,
                   image_paths=first.image_paths + second.image_paths,
                   texts=first.texts + second.texts, hashtags=hashtags,
                   line_numbers=first.line_numbers + second.line_numbers,
                   image_problems=[], given_hashtags=None)


def write_held_out(model, config, posts: CaptionPosts, features, ids: CaptionIds,
                   batch_size: int = 256) -> list[str]:
    """The writer's captions of `posts` with predict.py's default decoding (the model's
    `caption_beam_size`), built a batch at a time as `ValidationCaptions` builds them."""
    from amnn.model.caption_decoding import CaptionWriter  # TensorFlow: only when writing
    from amnn.model.caption_network import CaptionNetwork

    writer = CaptionWriter(CaptionNetwork.from_model(model, config), ids)
    written = writer.write_posts(posts, features, config.max_caption_words,
                                 config.caption_beam_size, batch_size)
    return [ids.text(caption) for caption in written]


def choose_caption_method(written: Sequence[str], train: Posts, held_out: Posts,
                          photos=(None, None), use_photos: bool = False,
                          use_tags: bool = False, inputs: Optional[Sequence] = None
                          ) -> tuple[CaptionChoice, Optional[CaptionRetriever]]:
    """The best candidate on `held_out` and the best retriever (fitted on `train` alone).

    Args:
        written: the writer's caption of each held-out post.
        train, held_out: Posts. The training posts, and the held-out posts with their text.
        photos: (train's, held_out's) photo features, each (features, rows with -1 for no
            photo) as `CaptionRetriever.fit` takes them; None: read through the cache.
        use_photos, use_tags: whether the model reads photos, hashtags (which retrievers
            may compete).
        inputs: what the model reads of each held-out post (`post_inputs`), when known:
            each candidate's score is then guarded as early stopping guards an epoch's
            (`guarded_score`): captions less than 80 % as distinct as the inputs score
            below every candidate that is not, so "the the the" for every post never wins.

    Returns (choice, the best retriever or None without held-out posts).
    """
    if not len(held_out):
        return CaptionChoice(), None
    truths = held_out.texts
    scored, retrievers, fitted = [], {}, {}
    for method, alpha in candidates(use_photos, use_tags):
        if method == WRITER:
            captions = list(written)
        else:
            if method not in fitted:  # one fit per method: alpha only weighs at predict
                fitted[method] = CaptionRetriever(method).fit(train, photos[0])
            retriever = fitted[method].with_alpha(alpha if alpha is not None else 0.5)
            captions = retriever.predict(held_out, photos[1])
            retrievers[(method, alpha)] = retriever
        match = caption_score(captions, truths)
        entry = {"method": method, "alpha": alpha, "score": round(match, 4)}
        if inputs is not None:
            words = WordTokenizer()
            distinct = distinct_ratio([tuple(words.tokenize(c)) for c in captions], inputs)
            entry.update(match=round(match, 4), distinct=round(distinct, 4),
                         score=round(guarded_score(match, distinct), 4))
        scored.append(entry)
    best = max(scored, key=lambda c: c["score"])  # max keeps the earliest of equals
    best_retriever = max((c for c in scored if c["method"] != WRITER), key=lambda c: c["score"])
    key = (best_retriever["method"], best_retriever["alpha"])
    choice = CaptionChoice(best["method"], best["alpha"], len(held_out), scored,
                           {"method": key[0], "alpha": key[1]})
    return choice, retrievers[key]
