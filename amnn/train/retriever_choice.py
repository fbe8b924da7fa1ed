"""Which retriever a caption model keeps, chosen on folds of its training posts.

A retriever learns nothing by gradient: fitting one is a TF-IDF fit and a table of pooled
photo vectors, seconds even for 20k posts. So its method and its tag share `alpha` are
chosen as the benchmarks choose theirs (docs/BENCHMARKS.md, "the fold protocol"): on folds
of the training posts grouped by photo (`amnn.data.splits.photo_folds`), each fold's
retrievers fitted on the other folds. The held-out posts are then left for one question,
the writer against this one retriever (`amnn.train.caption_choice`), instead of choosing
among seven candidates on a few dozen posts, where a lucky alpha wins.

Every candidate is scored as the writer is: `caption_objective` on the caption's words,
guarded by how distinct its captions are per distinct input (`guarded_score`), so
`frequent` (one caption for every post) only wins when nothing else is distinct either.
On a tie the earlier candidate wins (a simpler retriever before one that weighs two
similarities; retrieval-both's alphas from 0.25 up).

Example (six posts without photos: three folds of two posts each):
    >>> from amnn.data.posts import Posts
    >>> rows = [["Storm floods NYC", "sandy"], ["Storm hits NYC", "sandy nyc"],
    ...         ["NYC storm", "sandy"], ["Finish line", "boston"],
    ...         ["At the finish line", "boston"], ["Boston finish", "boston run"]]
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], rows, list(range(2, 8)))
    >>> chosen = choose_retriever(train, use_tags=True, seed=0)
    >>> chosen.method, chosen.folds, chosen.posts
    ('retrieval-tags', 3, 6)
    >>> [(c["method"], c["score"], c["distinct"]) for c in chosen.candidates]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('frequent', -0.8109, 0.5), ('retrieval-tags', 0.549, 1.0),
     ('retrieval-tags-meaning', 0.549, 1.0)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from amnn.data.posts import Posts
from amnn.data.splits import photo_folds, photo_groups
from amnn.data.text.tokenizers import WordTokenizer
from amnn.errors import DataError
from amnn.inputs.caption_repetition import distinct_ratio
from amnn.model.caption_retrieval import CaptionRetriever
from amnn.train.caption_stop import caption_objective, guarded_score

RETRIEVAL_ALPHAS = (0.25, 0.5, 0.75)  # retrieval-both: the tags' share of the similarity
FOLDS = 3  # as the benchmarks' fold protocol; fewer when there are fewer photo groups


@dataclass
class RetrieverChoice:
    """The retriever chosen on folds, and each candidate's mean score over them.

    Args:
        method, alpha: the chosen retriever (alpha None unless retrieval-both).
        folds: int. Folds scored (0: too few photo groups to fold; nothing chosen).
        posts: int. Training posts folded.
        candidates: list of {"method", "alpha", "score", "match", "distinct"}, means over
            the folds, in candidate order.
    """

    method: Optional[str] = None
    alpha: Optional[float] = None
    folds: int = 0
    posts: int = 0
    candidates: list = field(default_factory=list)


def retriever_candidates(use_photos: bool, use_tags: bool) -> list[tuple[str, Optional[float]]]:
    """(method, alpha) of every retriever a model that reads these inputs may keep, in
    tie-breaking order (earlier wins).

    Example:
        >>> retriever_candidates(use_photos=True, use_tags=False)
        [('frequent', None), ('retrieval-photo', None)]
    """
    found = [("frequent", None)]
    if use_photos:
        found.append(("retrieval-photo", None))
    if use_tags:
        found += [("retrieval-tags", None), ("retrieval-tags-meaning", None)]
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


def scored(method: str, alpha: Optional[float], captions: Sequence[str],
           truths: Sequence[str], inputs: Optional[Sequence] = None) -> dict:
    """One candidate's entry: its match, and with `inputs` its distinctness and the
    guarded score (`guarded_score`) that ranks it.

    Example:
        >>> scored("frequent", None, ["storm", "storm"], ["storm", "run"], ["a", "b"])
        {'method': 'frequent', 'alpha': None, 'score': -0.6875, 'match': 0.5, 'distinct': 0.5}
    """
    match = caption_score(captions, truths)
    entry = {"method": method, "alpha": alpha, "score": round(match, 4)}
    if inputs is not None:
        words = WordTokenizer()
        distinct = distinct_ratio([tuple(words.tokenize(c)) for c in captions], inputs)
        entry.update(score=round(guarded_score(match, distinct), 4), match=round(match, 4),
                     distinct=round(distinct, 4))
    return entry


def read_inputs(posts: Posts, use_photos: bool, use_tags: bool) -> list[tuple]:
    """What a model reading these inputs sees of each post: (photo or None, tag set).

    Example:
        >>> posts = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["a", "x y"]], [2])
        >>> [(photo, sorted(tags)) for photo, tags in read_inputs(posts, False, True)]
        [(None, ['x', 'y'])]
    """
    tags = posts.hashtags if use_tags and posts.hashtags is not None else [()] * len(posts)
    return [(path or None if use_photos else None, frozenset(post_tags))
            for path, post_tags in zip(posts.image_paths, tags)]


def choose_retriever(train: Posts, photos=None, use_photos: bool = False,
                     use_tags: bool = False, seed: int = 0) -> RetrieverChoice:
    """The retriever with the best mean guarded score on folds of `train` by photo.

    Args:
        train: Posts. The posts the model learnt from.
        photos: (features, rows with -1 for no photo) of `train`, as
            `CaptionRetriever.fit` takes them; None: read through the cache.
        use_photos, use_tags: what the model reads (which retrievers may compete).
        seed: int. The folds' shuffle (the model's seed).

    Returns a RetrieverChoice; with fewer than 2 photo groups, one with `folds` 0.
    """
    groups = len(set(photo_groups(train.image_paths).tolist()))
    if min(FOLDS, groups) < 2:
        return RetrieverChoice(posts=len(train))
    folds = photo_folds(train, min(FOLDS, groups), seed=seed)
    rows = None if photos is None else np.asarray(photos[1])
    per_fold = {key: [] for key in retriever_candidates(use_photos, use_tags)}
    for fit_rows, held_rows in folds:
        fit, held = train.select(fit_rows), train.select(held_rows)
        inputs = read_inputs(held, use_photos, use_tags)
        fitted = {}
        for method, alpha in per_fold:
            if method not in fitted:  # one fit per method: alpha only weighs at predict
                fitted[method] = _fit(method, fit, None if rows is None
                                      else (photos[0], rows[fit_rows]))
            if fitted[method] is None:  # this fold's part has no tag or photo to fit on
                continue
            captions = fitted[method].with_alpha(alpha if alpha is not None else 0.5) \
                .predict(held, None if rows is None else (photos[0], rows[held_rows]))
            per_fold[(method, alpha)].append(scored(method, alpha, captions, held.texts,
                                                    inputs))
    candidates = [_mean(method, alpha, entries) for (method, alpha), entries
                  in per_fold.items() if len(entries) == len(folds)]
    best = max(candidates, key=lambda c: c["score"])  # max keeps the earliest of equals
    return RetrieverChoice(best["method"], best["alpha"], len(folds), len(train), candidates)


def _fit(method: str, posts: Posts, photos) -> Optional[CaptionRetriever]:
    try:
        return CaptionRetriever(method).fit(posts, photos)
    except DataError:  # e.g. no post of this part has a hashtag: the method sits out
        return None


def _mean(method: str, alpha: Optional[float], entries: list[dict]) -> dict:
    """The candidate's entry averaged over the folds."""
    return {"method": method, "alpha": alpha,
            **{name: round(float(np.mean([e[name] for e in entries])), 4)
               for name in ("score", "match", "distinct")}}
