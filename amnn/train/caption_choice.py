"""Choose, when a caption model is trained, between writing captions and retrieving them.

The writer wins on some data and loses on other (docs/BENCHMARKS.md "## Captions": on val,
retrieval beat it on the demo and on the Korean posts, it led on MediaEval). So every
caption model chooses, in two steps, neither of which sees the posts it is reported on:

1. The retriever: frequent, retrieval-photo (a model that reads photos), retrieval-tags and
   retrieval-tags-meaning (one that reads hashtags), retrieval-both with alpha 0.25, 0.5,
   0.75 (both), chosen on
   folds of the training posts by photo (`amnn.train.retriever_choice`: retrievers train
   in seconds, so they can be chosen as the benchmarks choose theirs).
2. The writer (the captions predict.py writes by default, the model's
   `caption_beam_size`) against that retriever, on the posts held out for early stopping
   (`train.py --val`'s posts, or without `--val` the by-photo split of the training
   posts), which neither learnt from: the retriever is fitted on the training posts only.

A retriever reads only what the model reads, so predict.py asks a user for the same
columns and photos whatever was chosen. All are scored alike (`amnn.train.retriever_choice.scored`):
the mean of corpus BLEU-1 and mean ROUGE-L F, as early stopping scores epochs, on the
words of the caption text (`WordTokenizer`, as `amnn.evaluate.caption_metrics` counts
them), so a retrieved caption's punctuation and capitals cost it nothing. On a tie the
writer wins (a retriever must beat it to be shipped instead).

Example (writer captions as predict.py would write them for the held-out posts):
    >>> from amnn.data.posts import Posts
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm in NYC", "sandy"],
    ...     ["Finish line!", "boston"], ["Storm in NYC", "sandy nyc"]], [2, 3, 4])
    >>> held_out = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["At the finish line",
    ...     "boston"], ["Storm hits NYC", "sandy"]], [2, 3])
    >>> choice, retriever = choose_caption_method(["storm nyc", "storm nyc"], train, held_out,
    ...                                           use_tags=True)
    >>> print(choice.line())
    caption method chosen on 2 held-out posts: retrieval-tags 0.602; writer 0.318 | retriever chosen on 3 folds of 3 training posts: retrieval-tags 0.667; frequent 0.333, retrieval-tags-meaning 0.667
    >>> retriever.name, choice.to_json()["retriever"]
    ('retrieval-tags', {'method': 'retrieval-tags', 'alpha': None})
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Optional, Sequence

import pandas as pd

from amnn.data.posts import Posts
from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts
from amnn.model.caption_retrieval import CaptionRetriever
from amnn.train.caption_stop import DISTINCT_FLOOR
from amnn.train.retriever_choice import (
    choose_retriever,
    retriever_candidates,
    scored,
)

WRITER = "writer"  # the caption model writing word by word


@dataclass
class CaptionChoice:
    """What a caption model answers with, what each candidate scored, and on how many posts.

    Args:
        method: str. "writer" or a retrieval method's name (`RETRIEVAL_METHODS`).
        alpha: float or None. retrieval-both's tag weight; None for the others.
        posts: int. Held-out posts scored (0: nothing was chosen, the writer answers).
        candidates: list of {"method", "alpha", "score"} on the held-out posts: the writer,
            then the fold-chosen retriever (every retriever when there were no folds).
        retriever: {"method", "alpha"} of the best retriever, which the folder ships (and
            predict.py --caption-method retrieve uses), or None.
        folds, fold_posts: how many folds of how many training posts chose the retriever
            (0: too few photo groups; the retrievers competed on the held-out posts).
        fold_candidates: every retriever's mean score on those folds.

    Example:
        >>> CaptionChoice.from_json(None).line()  # a folder written before the choice
        'caption method not chosen (no held-out posts): writer'
    """

    method: str = WRITER
    alpha: Optional[float] = None
    posts: int = 0
    candidates: list = field(default_factory=list)
    retriever: Optional[dict] = None
    folds: int = 0
    fold_posts: int = 0
    fold_candidates: list = field(default_factory=list)

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
        line = (f"caption method chosen on {self.posts} held-out posts: {chosen} "
                f"{scores[chosen]}; {others}")
        if not self.folds:
            return line
        folded = [(label(c["method"], c["alpha"]), _shown(c)) for c in self.fold_candidates]
        best = label(self.retriever["method"], self.retriever["alpha"])
        return (f"{line} | retriever chosen on {self.folds} folds of {self.fold_posts} "
                f"training posts: {best} {dict(folded)[best]}; "
                + ", ".join(f"{name} {score}" for name, score in folded if name != best))


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
        >>> candidates(use_photos=False, use_tags=True)  # doctest: +NORMALIZE_WHITESPACE
        [('writer', None), ('frequent', None), ('retrieval-tags', None),
         ('retrieval-tags-meaning', None)]
    """
    return [(WRITER, None)] + retriever_candidates(use_photos, use_tags)


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
                          use_tags: bool = False, inputs: Optional[Sequence] = None,
                          seed: int = 0) -> tuple[CaptionChoice, Optional[CaptionRetriever]]:
    """The writer or the fold-chosen retriever, whichever scores better on `held_out`.

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
        seed: int. The folds' shuffle.

    The retriever is chosen on folds of `train` (`choose_retriever`); with too few photo
    groups to fold, every retriever competes on `held_out` instead.

    Returns (choice, the retriever fitted on `train`; None without held-out posts).
    """
    if not len(held_out):
        return CaptionChoice(), None
    folded = choose_retriever(train, photos[0], use_photos, use_tags, seed)
    keys = [(folded.method, folded.alpha)] if folded.folds else \
        retriever_candidates(use_photos, use_tags)
    entries, retrievers, fitted = [scored(WRITER, None, written, held_out.texts, inputs)], {}, {}
    for method, alpha in keys:
        if method not in fitted:  # one fit per method: alpha only weighs at predict
            fitted[method] = CaptionRetriever(method).fit(train, photos[0])
        retriever = fitted[method].with_alpha(alpha if alpha is not None else 0.5)
        retrievers[(method, alpha)] = retriever
        entries.append(scored(method, alpha, retriever.predict(held_out, photos[1]),
                              held_out.texts, inputs))
    best = max(entries, key=lambda c: c["score"])  # max keeps the earliest of equals
    best_retriever = max(entries[1:], key=lambda c: c["score"])
    key = (best_retriever["method"], best_retriever["alpha"])
    choice = CaptionChoice(best["method"], best["alpha"], len(held_out), entries,
                           {"method": key[0], "alpha": key[1]}, folded.folds, folded.posts,
                           folded.candidates)
    return choice, retrievers[key]
