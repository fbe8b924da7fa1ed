"""Simple caption writers that a caption model is compared against.

Each baseline is fitted on training posts and gives every new post the caption (the
`tweets` text, as written) of one training post: `frequent`, `retrieval-photo`,
`retrieval-tags` and `retrieval-both` (alpha weighs tags against photo). They are the
retrievers of `amnn.model.caption_retrieval`, where the methods, ties and photo features
are described: the same ones a caption model folder ships when one of them wrote better
captions than the model on its held-out posts (`amnn.train.caption_choice`). Here they are
named as baselines for benchmarks/captions and `scripts/baselines.py --task caption`.

Example:
    >>> from amnn.data.posts import Posts
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm in NYC", "sandy nyc"],
    ...     ["Finish line!", "boston"], ["storm in nyc", "sandy"]], [2, 3, 4])
    >>> new = Posts.from_rows("n.csv", ["hashtags"], [["boston"], [""]], [2, 3],
    ...                       require_text=False)
    >>> make_caption_baseline("retrieval-tags").fit(train).predict(new)
    ['Finish line!', 'Storm in NYC']
"""

from __future__ import annotations

from amnn.model.caption_retrieval import RETRIEVAL_METHODS, CaptionRetriever

__all__ = ["CAPTION_BASELINES", "CaptionBaseline", "make_caption_baseline"]

# name -> what it compares: the order of the weighted parts of retrieval-both.
CAPTION_BASELINES = RETRIEVAL_METHODS
# The retriever under its benchmark name: `fit(posts)`, `predict(posts)`, `to_arrays()`,
# `CaptionBaseline.from_arrays(arrays)`.
CaptionBaseline = CaptionRetriever


def make_caption_baseline(name: str, **options) -> CaptionBaseline:
    """The caption baseline `name`, built with `options` (`CaptionBaseline`'s arguments).

    Example:
        >>> make_caption_baseline("retrieval-tags").uses
        ('tags',)
        >>> make_caption_baseline("random")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: unknown caption baseline 'random'; choose one of frequent, ...
    """
    return CaptionBaseline(name, **options)
