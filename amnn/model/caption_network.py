"""The caption network: AMNN's photo regions and a post's hashtags, a GRU that writes words.

`train.py --task caption` trains it. It is Show, Attend and Tell (Xu et al., ICML 2015) on
AMNN's parts: the photo enters as the encoder's 49 regions, projected once, and the
decoder attends over them at every word (the same additive `Attention` layer AMNN's
hashtag decoder uses); the post's hashtags, when the model writes from them, are a second
memory it attends over, so a caption can be written from hashtags alone ("a text from a
hashtag") or from both.

    regions (49 x C) -> dense projection ---------------.-- mean --.
    hashtag ids -> tag embedding ------------------------|-- mean --+-> dense -> h0
    BOS w1 w2 ... -> word embedding -> GRU(h0) -> [state, region ctx, tag ctx] -> word logits

As in `amnn.model.network`, one object knows `encode` and `decode`; the teacher-forced
training model and step-by-step decoding (`amnn.model.caption_decoding`) both call them.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from amnn.config import AMNNConfig
from amnn.model.attention import Attention


@dataclass(frozen=True)
class CaptionSizes:
    """Sizes the data decides.

    Example:
        >>> CaptionSizes(word_ids=900, tag_vocab_size=300, feature_shape=(49, 1280))
        CaptionSizes(word_ids=900, tag_vocab_size=300, feature_shape=(49, 1280))
    """

    word_ids: int          # the decoder's ids: PAD, UNK, words, BOS, EOS (`CaptionIds.size`)
    tag_vocab_size: int    # hashtag input ids (PAD, BOS, EOS, UNK, tags)
    feature_shape: tuple[int, int]


def _masked_mean(values, mask):
    """Mean over the unmasked rows of (B, N, D); a row with none gives zeros."""
    weights = ops.cast(mask, values.dtype)[..., None]
    return ops.divide_no_nan(ops.sum(values * weights, axis=1), ops.sum(weights, axis=1))


def _caption_layers(config: AMNNConfig, sizes: CaptionSizes) -> dict:
    c = config
    made = {
        "word_embedding": layers.Embedding(sizes.word_ids, c.word_embedding_dim,
                                           mask_zero=True, name="word_embedding"),
        "decoder_gru": layers.GRU(c.decoder_units, return_sequences=True, return_state=True,
                                  name="decoder_gru"),
        "fusion": layers.Dense(c.decoder_units, activation="tanh", name="fusion"),
        "decoder_dropout": layers.Dropout(c.dropout, name="decoder_dropout"),
        "output_projection": layers.Dense(c.decoder_units, activation="tanh",
                                          name="output_projection"),
        "word_logits": layers.Dense(sizes.word_ids, name="word_logits"),
    }
    if c.include_image:
        made.update({
            "region_projection": layers.Dense(c.region_units, activation="relu",
                                              name="region_projection"),
            "region_dropout": layers.Dropout(c.dropout, name="region_dropout"),
            "decoder_image_attention": Attention(c.attention_units,
                                                 name="decoder_image_attention"),
        })
    if c.caption_from_hashtags:
        made.update({
            "tag_embedding": layers.Embedding(sizes.tag_vocab_size, c.tag_embedding_dim,
                                              mask_zero=True, name="tag_embedding"),
            "tag_dropout": layers.Dropout(c.dropout, name="tag_dropout"),
            "decoder_tag_attention": Attention(c.attention_units,
                                               name="decoder_tag_attention"),
        })
    return made


class CaptionNetwork:
    """The layers of one caption model and the two operations built from them.

    Example:
        >>> sizes = CaptionSizes(50, 20, (49, 32))
        >>> net = CaptionNetwork.create(AMNNConfig(task="caption"), sizes)
        >>> sorted(net.training_model(sizes).input)
        ['caption_inputs', 'image_regions', 'tag_ids']
    """

    def __init__(self, config: AMNNConfig, named_layers: dict) -> None:
        self.config = config
        self.layers = named_layers

    @classmethod
    def create(cls, config: AMNNConfig, sizes: CaptionSizes) -> "CaptionNetwork":
        """Fresh, untrained layers."""
        return cls(config, _caption_layers(config, sizes))

    @classmethod
    def from_model(cls, model: keras.Model, config: AMNNConfig) -> "CaptionNetwork":
        """The trained layers of a (loaded) training model, by their stable names."""
        return cls(config, {layer.name: layer for layer in model.layers})

    def encode(self, tag_ids=None, image_regions=None, training=False):
        """Hashtags and photo -> (memory the decoder attends over, first decoder state)."""
        L, memory, summaries = self.layers, {}, []
        if "region_projection" in L:
            regions = L["region_projection"](ops.cast(image_regions, "float32"))
            regions = L["region_dropout"](regions, training=training)
            memory["regions"] = regions
            summaries.append(ops.mean(regions, axis=1))
        if "tag_embedding" in L:
            tag_mask = ops.not_equal(tag_ids, 0)
            tags = L["tag_dropout"](L["tag_embedding"](tag_ids), training=training)
            memory.update(tags=tags, tag_mask=tag_mask)
            summaries.append(_masked_mean(tags, tag_mask))
        fused = summaries[0] if len(summaries) == 1 else ops.concatenate(summaries, axis=-1)
        return memory, L["fusion"](fused)

    def decode(self, word_inputs, state, memory, training=False):
        """Word ids so far (B, L) and the GRU state -> (next-word logits (B, L, V), state)."""
        L = self.layers
        outputs, state = L["decoder_gru"](L["word_embedding"](word_inputs),
                                          initial_state=state, training=training)
        parts = [outputs]
        if "regions" in memory:  # the photo has no padding
            parts.append(L["decoder_image_attention"](memory["regions"], query=outputs))
        if "tags" in memory:  # a post without a known tag gets a zero context
            parts.append(L["decoder_tag_attention"](memory["tags"], query=outputs,
                                                    mask=memory["tag_mask"]))
        readout = ops.concatenate(parts, axis=-1) if len(parts) > 1 else outputs
        readout = L["decoder_dropout"](readout, training=training)
        return L["word_logits"](L["output_projection"](readout)), state

    def training_model(self, sizes: CaptionSizes) -> keras.Model:
        """The teacher-forced Keras model: inputs dict -> next-word logits (B, L, V)."""
        inputs = {"caption_inputs": keras.Input((None,), dtype="int32", name="caption_inputs")}
        if self.config.include_image:
            inputs["image_regions"] = keras.Input(sizes.feature_shape, dtype="float16",
                                                  name="image_regions")
        if self.config.caption_from_hashtags:
            inputs["tag_ids"] = keras.Input((None,), dtype="int32", name="tag_ids")
        memory, state = self.encode(inputs.get("tag_ids"), inputs.get("image_regions"))
        logits, _ = self.decode(inputs["caption_inputs"], state, memory)
        return keras.Model(inputs, logits, name="amnn_caption")
