"""Every setting of AMNN-Keras and its default, in one typed place, with the names each
setting accepts.

Every program starts from `AMNNConfig()`, applies the user's own defaults (the checkout's
top-level config.py, when run as scripts/*.py), then its command-line flags; train.py
saves the effective config as `config.json` inside the model folder, so a trained model
always says how it was made.

Example:
    >>> from amnn.config import AMNNConfig
    >>> cfg = AMNNConfig(epochs=5, encoder="resnet50")
    >>> AMNNConfig.from_dict(cfg.to_dict()) == cfg
    True
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

TOKENIZER_NAMES = ("auto", "word", "soynlp")
TAG_ORDERS = ("frequency", "post")
DECODE_MODES = ("sequence", "rank")
TAG_LOSSES = ("next", "remaining")
STOP_METRICS = ("ranking", "loss")  # what early stopping watches on validation posts
BAD_IMAGE_POLICIES = ("error", "skip", "text-only")  # see amnn/features/photo_check.py
PHOTO_FEATURE_MODES = ("auto", "memory", "stream")  # see amnn/features/photo_table.py
TASKS = ("hashtags", "caption")  # what a model writes: hashtags, or the post's text
# Named groups of settings (train.py --preset); flags given with a preset still win.
PRESETS = {
    # The published architecture: BiLSTM text branch only, no neighbour memory, tags
    # decoded one after another (greedy).
    "paper": {"lexical_text": False, "memory": False, "decode": "sequence"},
}


@dataclass
class AMNNConfig:
    """All hyperparameters and defaults of training and prediction.

    Example:
        >>> AMNNConfig().max_tags
        5
    """

    # --- task -------------------------------------------------------------------------------
    task: str = "hashtags"          # "hashtags": recommend hashtags; "caption": write the post's
                                    # text from its photo and hashtags (amnn/model/caption_network.py)
    caption_from_hashtags: bool = True  # caption task: attend over the post's hashtags too
    hashtag_words: bool = False     # caption task: read each hashtag as its words
                                    # (hurricanesandy -> hurricane sandy; amnn/data/text/hashtag_words.py)
    max_caption_words: int = 30     # caption task: captions are learned and written up to this
                                    # many words (+ the end token)

    # --- data -------------------------------------------------------------------------------
    min_tag_count: int = 2          # hashtags seen fewer times in training become UNK (dropped)
    max_tags: int = 5               # at most this many hashtags per post are learned (+ EOS)
    tag_order: str = "post"         # order of a post's tags for the decoder: "post" (as written)
                                    # or "frequency" (most frequent first; see docs/BENCHMARKS.md)
    tokenizer: str = "auto"         # "auto" picks soynlp for Korean text, else "word"
    min_word_count: int = 1         # words seen fewer times in training become UNK (1: every
                                    # word; a name seen once finds its near-copies)
    max_words: int = 30000          # text vocabulary cap (most frequent words kept)
    max_text_tokens: int = 64       # longer captions are truncated (batches pad to their longest)
    val_fraction: float = 0.1       # validation share when no --val is given, split by image
    seed: int = 42                  # seeds the split, the weights and the shuffling

    # --- image encoder and feature cache ----------------------------------------------------
    encoder: str = "efficientnet_lite0"  # image encoder from the registry (see amnn/features/encoders)
    encoder_weights: Optional[str] = None  # local weights file (resnet50 offline)
    extract_batch_size: int = 32    # images per encoder forward pass
    max_photo_pixels: int = 64_000_000  # a photo with more pixels is a bad photo (on_bad_image),
                                    # found from its header before decoding, which would take
                                    # over 1 GB at 100 MP. 64 MP passes the full-resolution
                                    # modes of 48 and 50 MP phone cameras (8160x6120 = 49.9 MP;
                                    # they save 12 MP by default), not 108 or 200 MP ones
    cache_dir: Optional[str] = None  # HDF5 feature caches; default ~/.cache/amnn or $AMNN_CACHE_DIR
    photo_features: str = "auto"    # "memory": every photo's features held in memory (fastest);
                                    # "stream": each batch's read from the cache file (bounded
                                    # memory, for large crawls); "auto": memory up to photo_memory_mib
    photo_memory_mib: int = 1024    # "auto" streams when the photos' features would take more
    on_bad_image: str = "error"     # a photo missing, unreadable, undecodable or outside the data
                                    # folder: "error" stops listing them all, "skip" leaves the
                                    # post out (predict: empty cell), "text-only" drops the photo

    # --- model ------------------------------------------------------------------------------
    include_image: bool = True      # the paper's ablations: False trains text-only
    include_text: bool = True       # False trains image-only
    word_embedding_dim: int = 128   # caption word embedding size
    text_units: int = 128           # BiLSTM units per direction (directions are summed)
    attention_units: int = 128      # hidden size of the additive attention scores
    region_units: int = 256         # image regions are projected to this size
    tag_embedding_dim: int = 128    # decoder input embedding of hashtag ids
    decoder_units: int = 256        # GRU decoder state size
    dropout: float = 0.3            # on text, regions and decoder outputs
    lexical_text: bool = True       # a bag-of-words branch beside the BiLSTM (not in the paper)
    lexical_units: int = 256        # size of each word's vector in that bag

    # --- training ---------------------------------------------------------------------------
    epochs: Optional[int] = None    # None: up to max_epochs, until early stopping ends it
    max_epochs: int = 60            # the ceiling when epochs is None
    batch_size: int = 64            # posts per training step (per replica under tf.distribute)
    learning_rate: float = 2e-3     # Adam's starting rate (halved on plateaus)
    stop_on: str = "ranking"        # early stopping watches the validation posts' "ranking"
                                    # (mean of P@1, R@5, A@5; caption task: the
                                    # written captions' mean of BLEU-1 and ROUGE-L) or their "loss"
    early_stopping_patience: int = 2  # epochs without a better score on the validation
                                    # posts before stopping (the best epoch's weights are kept)
    reduce_lr_patience: int = 1     # epochs without improvement before halving the rate
    tag_loss: str = "next"          # "next": the next tag in tag_order; "remaining": any tag
                                    # of the post not yet given (see amnn/model/losses.py)

    # --- neighbour memory (amnn/model/neighbours.py) ----------------------------------------
    memory: bool = True             # mix the hashtags of the nearest training posts (by
                                    # their caption words, photo and the network's encoding)
                                    # into the network's distribution
    # None: chosen for each model after training, on the posts held out from training
    # (--val, or the by-photo split), see amnn/train/mix_choice.py; a number fixes it.
    memory_neighbors: Optional[int] = None      # how many nearest training posts vote
    memory_weight: Optional[float] = None       # the vote's share of the mixed distribution
                                                # (0: the network alone, 1: the vote alone)
    memory_text_share: Optional[float] = None   # the captions' TF-IDF words' share of the
                                                # similarity
    memory_photo_share: Optional[float] = None  # the photos' pooled features' share (the
                                                # rest: the network's encoding)

    # --- prediction -------------------------------------------------------------------------
    top_k: int = 5                  # at most this many hashtags recommended per post
    min_tags: Optional[int] = None  # the learned EOS may stop a list after this many tags;
                                    # None: always recommend top_k tags (ranked)
    beam_size: int = 1              # 1 = greedy; >1 = beam search
    caption_beam_size: int = 3      # caption task: beam width (--beam overrides); 3 wrote
                                    # better captions than greedy on the folds (BENCHMARKS.md)
    decode: str = "rank"            # "rank": all tags ranked by the first step's probabilities;
                                    # "sequence": tag after tag (greedy, or --beam). Rank scored
                                    # at least as well on the folds of every set (BENCHMARKS.md)
    predict_batch_size: int = 256   # posts decoded together

    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with a model

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field when a value is impossible or of the wrong type."""
        for item in dataclasses.fields(self):
            check_type(item.name, getattr(self, item.name))
        if self.tokenizer not in TOKENIZER_NAMES:
            raise ValueError(f"tokenizer must be one of {TOKENIZER_NAMES}, got {self.tokenizer!r}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.task == "caption" and not (self.include_image or self.caption_from_hashtags):
            raise ValueError("a caption model needs the photo or the hashtags to write from: "
                             "include_image and caption_from_hashtags cannot both be False")
        if self.tag_order not in TAG_ORDERS:
            raise ValueError(f"tag_order must be one of {TAG_ORDERS}, got {self.tag_order!r}")
        if self.tag_loss not in TAG_LOSSES:
            raise ValueError(f"tag_loss must be one of {TAG_LOSSES}, got {self.tag_loss!r}")
        if self.stop_on not in STOP_METRICS:
            raise ValueError(f"stop_on must be one of {STOP_METRICS}, got {self.stop_on!r}")
        if self.decode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {DECODE_MODES}, got {self.decode!r}")
        if self.photo_features not in PHOTO_FEATURE_MODES:
            raise ValueError(f"photo_features must be one of {PHOTO_FEATURE_MODES}, "
                             f"got {self.photo_features!r}")
        if self.on_bad_image not in BAD_IMAGE_POLICIES:
            raise ValueError(f"on_bad_image must be one of {BAD_IMAGE_POLICIES}, "
                             f"got {self.on_bad_image!r}")
        if not (self.include_image or self.include_text):
            raise ValueError("include_image and include_text cannot both be False")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        positive = ("min_tag_count", "max_tags", "min_word_count", "max_words", "max_text_tokens",
                    "extract_batch_size", "word_embedding_dim", "text_units", "attention_units",
                    "region_units", "lexical_units", "tag_embedding_dim", "decoder_units", "max_epochs",
                    "max_photo_pixels", "photo_memory_mib", "max_caption_words",
                    "caption_beam_size",
                    "batch_size", "top_k", "beam_size", "predict_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.memory_neighbors is not None and self.memory_neighbors < 1:
            raise ValueError(f"memory_neighbors must be at least 1, got {self.memory_neighbors}")
        for name in ("memory_weight", "memory_text_share", "memory_photo_share"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if (self.memory_text_share or 0.0) + (self.memory_photo_share or 0.0) > 1.0:
            raise ValueError("memory_text_share and memory_photo_share must sum to at most 1, "
                             f"got {self.memory_text_share} + {self.memory_photo_share}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.min_tags is not None and self.min_tags < 0:
            raise ValueError(f"min_tags must be 0 or more, got {self.min_tags}")

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "AMNNConfig":
        """Rebuild a config; unknown keys (from a newer version) raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; this AMNN version knows {sorted(known)}")
        return cls(**values)

    def replace(self, **changes: Any) -> "AMNNConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


@functools.lru_cache(maxsize=None)
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(AMNNConfig)


def _accepts(kind, value) -> bool:
    if typing.get_origin(kind) is typing.Union:  # Optional[X]
        return any(_accepts(option, value) for option in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind in (int, float):  # numpy's numbers count; True is not a number here
        wanted = numbers.Integral if kind is int else numbers.Real
        return isinstance(value, wanted) and not isinstance(value, bool)
    return isinstance(value, typing.get_origin(kind) or kind)


def _describe(kind) -> str:
    if typing.get_origin(kind) is typing.Union:
        return " or ".join(_describe(option) for option in typing.get_args(kind))
    return {bool: "True or False", int: "a whole number", float: "a number",
            str: "text in quotes", type(None): "None"}.get(kind, "a dict")


def check_type(name: str, value: Any) -> None:
    """Raise ValueError when `value` is not of setting `name`'s type; it names the type.

    Example:
        >>> check_type("top_k", "five")
        Traceback (most recent call last):
        ...
        ValueError: top_k must be a whole number (e.g. top_k = 5), got 'five' (str)
        >>> check_type("epochs", None)
    """
    kind = _field_types()[name]
    if _accepts(kind, value):
        return
    default = next(f.default for f in dataclasses.fields(AMNNConfig) if f.name == name)
    example = f" (e.g. {name} = {default!r})" if default not in (None, dataclasses.MISSING) \
        else ""
    raise ValueError(f"{name} must be {_describe(kind)}{example}, got {value!r} "
                     f"({type(value).__name__})")
