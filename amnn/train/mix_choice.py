"""Choose each model's mix of network and neighbours' vote on posts held out from training.

After training, the tags a user gets are

    (1 - weight) * the network's first-step distribution + weight * the neighbours' vote

and the vote mixes the votes of three views' nearest neighbours: by the caption's TF-IDF
words, by the photo's pooled encoder features and by the network's fused encoding
(`amnn.model.neighbours`). Which mix works depends on the data: on MediaEval the photo
finds a post's event, on TweetEval the exact words do, on the Korean posts one tag
dominates. So every model chooses its own, on the posts it held out: `train.py --val`'s
posts, or without `--val` the by-photo split of the training posts that early stopping
watched. Those posts never enter the memory the choice is scored with.

The grid is small and nothing is retrained: the held-out posts are encoded once, each view's
similarities and votes are computed once per neighbour count, and each candidate only
re-weighs them (`score_grid`). Candidates are scored as early stopping scores epochs: the mean of
P@1, R@5 and A@5 of the ranked tags (`amnn.train.ranking_stop.ranking_objective`). On a
tie the earlier candidate in the grid wins; the grid lists the network alone first, so a
vote must help to be mixed in.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np
import tensorflow as tf
from scipy import sparse

from amnn.data.vocabulary import BOS, EOS, PAD, UNK
from amnn.inputs.encoding import EncodedPosts, input_batches
from amnn.model.neighbours import NeighbourMemory, mix_distributions
from amnn.train.ranking_stop import ranking_objective

WEIGHTS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)  # the vote's share; 0: the network alone
NEIGHBORS = (10, 20, 40, 80, 160)
SHARE_STEPS = 4  # each view's share is a multiple of 1/4
# With no held-out posts to choose on (--val-fraction 0): a middle setting, not a choice.
UNCHOSEN = {"neighbors": 40, "weight": 0.5, "text_share": 0.5, "photo_share": 0.25}
_SPECIAL = (PAD, BOS, EOS, UNK)  # never recommended, as in rank decoding
_K = 5


@dataclass
class MixChoice:
    """The chosen mix, what it and its two parts scored, and on how many posts.

    Example:
        >>> choice = MixChoice(40, 0.5, 0.25, 0.5, 820, 0.83, 0.80, 0.85)
        >>> print(choice.line())
        mix chosen on 820 held-out posts: network .5 + vote .5 (words .25, photo .5, \
encoding .25; 40 neighbours): network alone 0.830, vote alone 0.800, mix 0.850
    """

    neighbors: int
    weight: float
    text_share: float
    photo_share: float
    posts: int
    network_alone: float | None = None
    vote_alone: float | None = None
    mix: float | None = None

    def settings(self) -> dict:
        """The memory settings (`NeighbourMemory.with_settings`'s arguments)."""
        return {"neighbors": self.neighbors, "weight": self.weight,
                "text_share": self.text_share, "photo_share": self.photo_share}

    def to_json(self) -> dict:
        """Plain values for amnn_model.json."""
        return asdict(self)

    def line(self) -> str:
        """One line for the end of training: what was chosen and why."""
        def short(value: float) -> str:
            return f"{value:.2f}".rstrip("0").rstrip(".").lstrip("0") or "0"

        encoding = max(0.0, 1.0 - self.text_share - self.photo_share)
        views = ", ".join(f"{name} {short(share)}" for name, share in (
            ("words", self.text_share), ("photo", self.photo_share), ("encoding", encoding))
            if share > 0)
        mix = f"network {short(1 - self.weight)} + vote {short(self.weight)} " \
              f"({views}; {self.neighbors} neighbours)"
        if not self.posts:
            return f"mix not chosen (no held-out posts): {mix}"
        return (f"mix chosen on {self.posts} held-out posts: {mix}: network alone "
                f"{self.network_alone:.3f}, vote alone {self.vote_alone:.3f}, "
                f"mix {self.mix:.3f}")


def unchosen(memory: NeighbourMemory, fixed: dict | None = None) -> MixChoice:
    """With no held-out posts: the middle setting `UNCHOSEN`, where `fixed` names none."""
    given = {name: value for name, value in (fixed or {}).items() if value is not None}
    settings = memory.with_settings(**UNCHOSEN).with_settings(**given).settings()
    return MixChoice(**settings, posts=0)


def share_grid(views: list[str], fixed: dict) -> list[dict]:
    """Every split of the similarity among `views` in quarters; `fixed` shares are kept.

    Example:
        >>> share_grid(["encoding", "words"], {})
        [{'words': 0.0}, {'words': 0.25}, {'words': 0.5}, {'words': 0.75}, {'words': 1.0}]
        >>> share_grid(["encoding", "words", "photo"], {"words": 0.5})[-1]
        {'words': 0.5, 'photo': 0.5}
    """
    free = [v for v in views if v != "encoding" and v not in fixed]
    left = 1.0 - sum(fixed.get(v, 0.0) for v in views if v != "encoding")
    grid = []
    for steps in itertools.product(range(SHARE_STEPS + 1), repeat=len(free)):
        shares = [s / SHARE_STEPS for s in steps]
        if sum(shares) <= left + 1e-9:
            grid.append({**{v: fixed[v] for v in views if v in fixed},
                         **dict(zip(free, shares))})
    return grid


def held_out_views(memory: NeighbourMemory, network, encoded: EncodedPosts, features,
                   batch_size: int = 256) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The network's first-step distribution (H, V) of held-out posts, and each view's
    similarity to its items (`NeighbourMemory.views`: (H, N) posts, (H, P) photos)."""
    probabilities, views = [], {}
    for inputs in input_batches(encoded, features, batch_size):
        states, state = network.encode(inputs.get("text_ids"), inputs.get("image_regions"))
        start = tf.fill((tf.shape(state)[0], 1), BOS)
        logits, _ = network.decode(start, state, states)
        probabilities.append(tf.nn.softmax(logits[:, 0, :], axis=-1).numpy())
        for name, view in memory.views(state, inputs.get("text_ids"),
                                       inputs.get("image_regions")).items():
            views.setdefault(name, []).append(view.numpy())
    return (np.concatenate(probabilities),
            {name: np.concatenate(parts) for name, parts in views.items()})


def _nearest_first(similarity: np.ndarray, widest: int) -> np.ndarray:
    """Each row's `widest` most similar columns, nearest first (H, widest)."""
    if widest < similarity.shape[1]:
        near = np.argpartition(-similarity, widest - 1, axis=1)[:, :widest]
    else:
        near = np.tile(np.arange(similarity.shape[1]), (len(similarity), 1))
    closeness = np.take_along_axis(similarity, near, axis=1)
    return np.take_along_axis(near, np.argsort(-closeness, axis=1, kind="stable"), axis=1)


def _votes(similarity: np.ndarray, order: np.ndarray, k: int, carriers) -> np.ndarray:
    """The normalised vote (H, V) of each row's `k` nearest, as `NeighbourMemory.vote`."""
    rows = order[:, :k]
    weights = np.take_along_axis(similarity, rows, axis=1).clip(min=0)
    chosen = sparse.csr_matrix((weights.ravel(), (np.repeat(np.arange(len(rows)), k),
                                                  rows.ravel())), shape=similarity.shape)
    counts = np.asarray((chosen @ carriers).todense(), np.float32)
    counts[:, PAD] = 0.0
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def _score(distribution: np.ndarray, truths) -> float:
    """The ranking objective of the top 5 of each row, special ids left out."""
    scores = distribution.copy()
    scores[:, list(_SPECIAL)] = -np.inf
    top = np.argpartition(-scores, _K, axis=1)[:, :_K]
    ranked = np.take_along_axis(top, np.argsort(
        -np.take_along_axis(scores, top, axis=1), axis=1, kind="stable"), axis=1)
    return ranking_objective(ranked, truths, _K)


def _view_votes(views: dict[str, np.ndarray], carriers: dict, neighbor_grid: list[int]):
    """Per neighbour count k, each view's normalised vote (H, V), as `NeighbourMemory`."""
    orders = {name: _nearest_first(view, min(max(neighbor_grid), view.shape[1]))
              for name, view in views.items()}
    for k in neighbor_grid:
        yield k, {name: _votes(view, orders[name], min(k, view.shape[1]), carriers[name])
                  for name, view in views.items()}


def score_grid(probabilities: np.ndarray, views: dict[str, np.ndarray],
               memory: NeighbourMemory, truths: list[list[int]], fixed: dict) -> list[dict]:
    """Every candidate mix with its held-out score, in grid order.

    `fixed` views' shares and neighbours are not varied; every weight of `WEIGHTS` (and a
    fixed one) is scored, so the network alone and the vote alone are always there to
    compare with. Each view's votes are computed once per neighbour count and re-weighed.
    """
    neighbor_grid = [fixed["neighbors"]] if "neighbors" in fixed else list(NEIGHBORS)
    neighbor_grid = sorted({min(k, len(memory.tags)) for k in neighbor_grid})
    weights = sorted(set(WEIGHTS) | ({fixed["weight"]} if "weight" in fixed else set()))
    network_score = _score(probabilities, truths)
    fixed_shares = {v: fixed[key] for v, key in (("words", "text_share"),
                                                 ("photo", "photo_share")) if key in fixed}
    grid = share_grid(list(views), fixed_shares)
    candidates = []
    for k, votes in _view_votes(views, memory.carriers, neighbor_grid):
        for shares in grid:
            shares = {"encoding": 1.0 - sum(shares.values()), **shares}
            mixed = sum(share * votes[name] for name, share in shares.items() if share > 0)
            totals = mixed.sum(axis=1, keepdims=True)
            vote = np.divide(mixed, totals, out=np.zeros_like(mixed), where=totals > 0)
            for weight in weights:  # 0 first: on a tie, no vote is mixed in
                score = network_score if weight == 0 else _score(
                    mix_distributions(probabilities, vote, weight), truths)
                candidates.append({"neighbors": k, "weight": weight,
                                   "text_share": shares.get("words", 0.0),
                                   "photo_share": shares.get("photo", 0.0), "score": score})
    return candidates


def choose_mix(memory: NeighbourMemory, network, held_out: EncodedPosts, features,
               fixed: dict | None = None) -> MixChoice:
    """The best mix on `held_out` (encoded posts with targets) for `memory`'s posts.

    `fixed`: settings the user gave (`neighbors`, `weight`, `text_share`, `photo_share`),
    kept as they are; the rest is chosen.

    Example (an untrained text-only network; two held-out posts have twins in the memory):
        >>> from amnn.config import AMNNConfig
        >>> from amnn.model.network import AMNNNetwork, ModelSizes
        >>> from amnn.model.neighbours import build_neighbour_memory
        >>> sizes = ModelSizes(word_vocab_size=10, tag_vocab_size=8, feature_shape=(49, 32))
        >>> network = AMNNNetwork.create(AMNNConfig(include_image=False), sizes)
        >>> train = EncodedPosts([[2, 3], [4, 5], [6, 7]], None, [[4, 2], [5, 2], [6, 2]])
        >>> memory = build_neighbour_memory(network, train, None, 8, 1, 0.0, word_vocab_size=10)
        >>> held_out = EncodedPosts([[2, 3], [6, 7]], None, [[4, 2], [6, 2]])
        >>> choice = choose_mix(memory, network, held_out, None)
        >>> choice.posts, choice.vote_alone, choice.mix  # the twins' words vote perfectly
        (2, 1.0, 1.0)
        >>> memory = memory.with_settings(**choice.settings())  # the mix the model keeps
    """
    fixed = {name: value for name, value in (fixed or {}).items() if value is not None}
    truths = [[t for t in target if t > UNK] for target in held_out.targets]
    probabilities, views = held_out_views(memory, network, held_out, features)
    candidates = score_grid(probabilities, views, memory, truths, fixed)
    allowed = [c for c in candidates if "weight" not in fixed or c["weight"] == fixed["weight"]]
    best = max(allowed, key=lambda c: c["score"])  # max keeps the first of equals
    vote_alone = max(c["score"] for c in candidates if c["weight"] == 1.0)
    return MixChoice(best["neighbors"], best["weight"], best["text_share"],
                     best["photo_share"], len(held_out),
                     round(_score(probabilities, truths), 4), round(vote_alone, 4),
                     round(best["score"], 4))
