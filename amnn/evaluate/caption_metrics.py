"""Corpus scores of written captions against the true ones: BLEU-1..4, ROUGE-L and METEOR.

Every score is in [0, 1] (sacrebleu's 0..100 BLEU is divided by 100), higher is better.

- `BLEU-n` is sacrebleu's corpus BLEU with `max_ngram_order=n`: the *cumulative* score,
  the geometric mean of the 1..n-gram precisions times the brevity penalty (not the
  n-gram precision alone), with sacrebleu's default 'exp' smoothing, one reference, and
  its `effective_order`: an order no written caption reaches (all shorter than n words)
  is left out, so identical two-word captions score 1, not 0.
- `ROUGE-L F` is rouge-score's longest-common-subsequence F-measure, averaged over posts.
- `METEOR (exact+stem, no WordNet synonyms)` is nltk's `single_meteor_score` (alpha 0.9,
  beta 3, gamma 0.5) averaged over posts, matching words exactly and by Porter stem only
  (its fragmentation penalty keeps even a copied caption of n words at 1 - 0.5 / n**3):
  its synonym stage needs the WordNet data, which nltk downloads from the internet and no
  package on PyPI ships, so a stand-in WordNet without synonyms is passed. Scores are
  therefore at most, and for English a little below, METEOR with synonyms.

Tokens. By default (`bleu_tokenize="words"`) all three metrics see the same words:
`amnn.data.text.WordTokenizer`, the tokenizer the caption model writes with (lower case,
URLs and punctuation dropped, each emoji one token, Hangul words kept whole as written
between spaces). A model writing such words is thus not penalised for the commas and
capitals a retrieved caption copies. `bleu_tokenize` may instead name a sacrebleu tokenizer
applied to the raw text, lower-cased: '13a' (the WMT standard; fine for Korean, whose words
are space separated, but it leaves emoji glued to a word), 'intl' (also splits Unicode
punctuation and symbols, emoji included) or 'char' (characters; partial credit for Korean
words that differ only in their particle, "카페에서" against "카페"). rouge-score's own
tokenizer is never used: it drops every non-ASCII character, so Korean would score 0.

Posts whose true caption has no word are skipped and counted; an empty prediction is
scored (0 for that post; in BLEU, its reference length still counts).

Example:
    >>> scores = caption_scores(["the storm hits nyc", ""], ["The storm hits NYC!", "boston"])
    >>> scores.bleu[0], scores.rouge_l, scores.meteor, scores.n_empty  # BLEU: 4 of 5 words
    (0.778801, 0.5, 0.496094, 1)

BLEU-1 is exp(1 - 5/4): every written word matches, but 4 words were written against 5
true ones, and the brevity penalty charges the missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from amnn.data.text.tokenizers import WordTokenizer

BLEU_NAMES = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4")
ROUGE_NAME = "ROUGE-L F"
METEOR_NAME = "METEOR (exact+stem, no WordNet synonyms)"
BLEU_TOKENIZERS = ("words", "13a", "intl", "char")  # "words": WordTokenizer, see above


@dataclass
class CaptionScores:
    """Corpus scores of one set of captions, each in [0, 1].

    Args:
        bleu: list of 4 floats. Cumulative BLEU-1, BLEU-2, BLEU-3 and BLEU-4.
        rouge_l: float. Mean ROUGE-L F-measure.
        meteor: float. Mean METEOR, exact and stem matches only.
        n_posts: int. Posts scored (with a true caption).
        n_skipped: int. Posts skipped: no word in their true caption.
        n_empty: int. Scored posts whose prediction has no word.
        bleu_signature: str. sacrebleu's signature and the tokens it saw, to reproduce BLEU.

    Example:
        >>> CaptionScores([1.0] * 4, 1.0, 0.99, 1, 0, 0, "").rows()[4]
        ('ROUGE-L F', 1.0)
    """

    bleu: list[float]
    rouge_l: float
    meteor: float
    n_posts: int
    n_skipped: int
    n_empty: int
    bleu_signature: str

    def rows(self) -> list[tuple[str, float]]:
        """(metric name, score) pairs in report order."""
        return [*zip(BLEU_NAMES, self.bleu), (ROUGE_NAME, self.rouge_l),
                (METEOR_NAME, self.meteor)]

    def to_dict(self) -> dict:
        """Plain JSON-ready values: each metric by name, then the counts and signature."""
        return {"metrics": dict(self.rows()), "n_posts": self.n_posts,
                "n_skipped": self.n_skipped, "n_empty_predictions": self.n_empty,
                "bleu_signature": self.bleu_signature}


class _NoSynonyms:
    """The one method of nltk's WordNet reader that METEOR calls, finding no synonym."""

    def synsets(self, word: str) -> list:
        return []


class _Spaces:
    """A rouge-score tokenizer for text that is already words joined by spaces."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()


def caption_scores(predictions: Sequence[str], truths: Sequence[str],
                   bleu_tokenize: str = "words") -> CaptionScores:
    """Score `predictions[i]` against `truths[i]` over the posts with a true caption.

    Args:
        predictions: list of str. Written captions ('' for none).
        truths: list of str. True captions, aligned with `predictions`.
        bleu_tokenize: str. "words" (default) or a sacrebleu tokenizer, see the module doc.

    Raises:
        ValueError: lengths differ, an unknown tokenizer, or no true caption has a word.

    Example:
        >>> caption_scores(["카페 에서 커피"], ["카페 에서 커피"]).bleu
        [1.0, 1.0, 1.0, 1.0]
    """
    from nltk.stem.porter import PorterStemmer
    from nltk.translate.meteor_score import single_meteor_score
    from rouge_score.rouge_scorer import RougeScorer
    from sacrebleu.metrics import BLEU

    if len(predictions) != len(truths):
        raise ValueError(f"{len(predictions)} predictions but {len(truths)} true captions; "
                         "they must be aligned post by post")
    if bleu_tokenize not in BLEU_TOKENIZERS:
        raise ValueError(f"bleu_tokenize must be one of {BLEU_TOKENIZERS}, got {bleu_tokenize!r}")
    words = WordTokenizer()
    pairs = [(words.tokenize(p or ""), words.tokenize(t or ""), p or "", t or "")
             for p, t in zip(predictions, truths)]
    scored = [pair for pair in pairs if pair[1]]
    if not scored:
        raise ValueError("no true caption has a word; nothing to score")

    # One space-joined form for "words": sacrebleu then only counts n-grams ('none').
    if bleu_tokenize == "words":
        hyps, refs = [" ".join(p) for p, *_ in scored], [" ".join(t) for _, t, *_ in scored]
        tokenize, seen = "none", "words of amnn.data.text.WordTokenizer"
    else:
        hyps, refs = [p for *_, p, _ in scored], [t for *_, t in scored]
        tokenize, seen = bleu_tokenize, "raw text"
    bleu, signature = [], ""
    for order in range(1, 5):
        metric = BLEU(max_ngram_order=order, tokenize=tokenize, lowercase=True,
                      effective_order=True)
        bleu.append(round(metric.corpus_score(hyps, [refs]).score / 100.0, 6))
        signature = f"{metric.get_signature()} ({seen}; BLEU-n: max_ngram_order=n)"

    rouge = RougeScorer(["rougeL"], tokenizer=_Spaces())
    stemmer, no_synonyms = PorterStemmer(), _NoSynonyms()
    rouge_l, meteor = [], []
    for predicted, true, *_ in scored:
        rouge_l.append(rouge.score(" ".join(true), " ".join(predicted))["rougeL"].fmeasure)
        meteor.append(single_meteor_score(true, predicted, stemmer=stemmer,
                                          wordnet=no_synonyms))
    return CaptionScores(bleu, round(float(np.mean(rouge_l)), 6),
                         round(float(np.mean(meteor)), 6), len(scored), len(pairs) - len(scored),
                         sum(not p for p, *_ in scored), signature)
