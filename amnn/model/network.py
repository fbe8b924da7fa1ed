"""The AMNN network: text and image encoders, fusion, and the GRU hashtag decoder.

One `AMNNNetwork` holds every layer under a stable name and knows two operations,
`encode` (caption + photo regions -> attention memory + first decoder state) and `decode`
(hashtag ids so far + state -> next-hashtag logits). The training model wires them once
with teacher forcing; prediction calls the very same two methods step by step, so training
and inference cannot drift apart.

    text_ids -> lexical embedding bag (mean over known words) ----------------------.
    text_ids -> word embedding -> BiLSTM (sum) -> Attention (masked) -> dense ----.  |
                                     |  word states: attended by the decoder        \
    regions (49 x C) -> dense projection -> Attention guided by the text ------------> fusion
                                     |  region states: attended by the decoder      -> h0
    BOS t1 t2 ... -> tag embedding -> GRU(h0) -> [state, region ctx, word ctx] -> logits

The photo enters once, as 49 projected regions, and is attended at every step; it is
never copied to every time step as the published code did.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from amnn.config import AMNNConfig
from amnn.data.text.vectorizer import UNK as WORD_UNK
from amnn.model.attention import Attention


@dataclass(frozen=True)
class ModelSizes:
    """Sizes the data decides: vocabularies and the encoder's region features.

    Example:
        >>> ModelSizes(word_vocab_size=5000, tag_vocab_size=800, feature_shape=(49, 1280))
        ModelSizes(word_vocab_size=5000, tag_vocab_size=800, feature_shape=(49, 1280))
    """

    word_vocab_size: int
    tag_vocab_size: int
    feature_shape: tuple[int, int]


def _layer_specs(config: AMNNConfig, sizes: ModelSizes) -> dict[str, keras.layers.Layer]:
    """Create every layer, named, for the enabled branches."""
    c = config
    made = {
        "tag_embedding": layers.Embedding(sizes.tag_vocab_size, c.tag_embedding_dim,
                                          mask_zero=True, name="tag_embedding"),
        "decoder_gru": layers.GRU(c.decoder_units, return_sequences=True, return_state=True,
                                  name="decoder_gru"),
        "fusion": layers.Dense(c.decoder_units, activation="tanh", name="fusion"),
        "decoder_dropout": layers.Dropout(c.dropout, name="decoder_dropout"),
        "output_projection": layers.Dense(c.decoder_units, activation="tanh",
                                          name="output_projection"),
        "tag_logits": layers.Dense(sizes.tag_vocab_size, name="tag_logits"),
    }
    if c.include_text:
        made.update({
            "word_embedding": layers.Embedding(sizes.word_vocab_size, c.word_embedding_dim,
                                               mask_zero=True, name="word_embedding"),
            "text_dropout": layers.Dropout(c.dropout, name="text_dropout"),
            "text_bilstm": layers.Bidirectional(
                layers.LSTM(c.text_units, return_sequences=True), merge_mode="sum",
                name="text_bilstm"),
            "text_attention": Attention(c.attention_units, name="text_attention"),
            "text_dense": layers.Dense(c.text_units, activation="tanh", name="text_dense"),
            "decoder_text_attention": Attention(c.attention_units,
                                                name="decoder_text_attention"),
        })
    if c.include_text and c.lexical_text:
        made.update({
            # An embedding bag: the mean of one vector per word is a dense layer over the
            # caption's bag of words, which remembers rare words and near-copies.
            "lexical_embedding": layers.Embedding(sizes.word_vocab_size, c.lexical_units,
                                                  name="lexical_embedding"),
            "lexical_dropout": layers.Dropout(c.dropout, name="lexical_dropout"),
        })
    if c.include_image:
        made.update({
            "region_projection": layers.Dense(c.region_units, activation="relu",
                                              name="region_projection"),
            "region_dropout": layers.Dropout(c.dropout, name="region_dropout"),
            "image_attention": Attention(c.attention_units, name="image_attention"),
            "decoder_image_attention": Attention(c.attention_units,
                                                 name="decoder_image_attention"),
        })
    return made


class AMNNNetwork:
    """The layers of one AMNN model and the two operations built from them.

    Args:
        config: AMNNConfig. Layer sizes and which branches exist.
        named_layers: dict of layer name -> Keras layer (see `create` / `from_model`).

    Example:
        >>> from amnn.config import AMNNConfig
        >>> sizes = ModelSizes(100, 20, (49, 32))
        >>> net = AMNNNetwork.create(AMNNConfig(), sizes)
        >>> model = net.training_model(sizes)
        >>> sorted(model.input)
        ['image_index', 'image_regions', 'tag_inputs', 'text_ids']
    """

    def __init__(self, config: AMNNConfig, named_layers: dict[str, keras.layers.Layer]):
        self.config = config
        self.layers = named_layers

    @classmethod
    def create(cls, config: AMNNConfig, sizes: ModelSizes) -> "AMNNNetwork":
        """Fresh, untrained layers."""
        return cls(config, _layer_specs(config, sizes))

    @classmethod
    def from_model(cls, model: keras.Model, config: AMNNConfig) -> "AMNNNetwork":
        """The trained layers of a (loaded) training model, found by their stable names."""
        # Layers keep their stable names through saving, so the model's own list is the map.
        return cls(config, {layer.name: layer for layer in model.layers})

    def encode(self, text_ids=None, image_regions=None, training=False, image_index=None):
        """Caption and photo -> (memory for decoder attention, first decoder state).

        `image_regions` holds one photo per post, or, with `image_index` (int (B,)), each
        distinct photo of the batch once and the row of every post's photo among them: the
        projection then runs once per distinct photo (posts share photos: mediaeval's 4,426
        training posts have 211), and its output is gathered back to the posts. Both give
        the same numbers.
        """
        L, memory, summaries = self.layers, {}, []
        text_vector = None
        if self.config.include_text:
            text_mask = ops.not_equal(text_ids, 0)
            words = L["text_dropout"](L["word_embedding"](text_ids), training=training)
            states = L["text_bilstm"](words, mask=text_mask, training=training)
            text_vector = L["text_dense"](L["text_attention"](states, mask=text_mask))
            memory.update(text_states=states, text_mask=text_mask)
            summaries.append(text_vector)
        if "lexical_embedding" in L:
            memory["lexical"] = self._word_bag(text_ids, training)
            summaries.append(memory["lexical"])
        if self.config.include_image:
            regions = L["region_projection"](ops.cast(image_regions, "float32"))
            if image_index is not None:
                regions = ops.take(regions, image_index, axis=0)
            # Dropout after the gather: each post draws its own mask, as before.
            regions = L["region_dropout"](regions, training=training)
            # The caption tells the image attention which regions matter (text-guided).
            image_vector = L["image_attention"](regions, query=text_vector)
            memory["regions"] = regions
            summaries.append(image_vector)
        fused = summaries[0] if len(summaries) == 1 else ops.concatenate(summaries, axis=-1)
        return memory, L["fusion"](fused)

    def _word_bag(self, text_ids, training):
        """The mean lexical vector of the caption's known words (PAD and UNK left out)."""
        known = ops.cast(ops.greater(text_ids, WORD_UNK), "float32")[..., None]
        vectors = self.layers["lexical_embedding"](text_ids) * known
        bag = ops.divide_no_nan(ops.sum(vectors, axis=1), ops.sum(known, axis=1))
        return self.layers["lexical_dropout"](bag, training=training)

    def decode(self, tag_inputs, state, memory, training=False, attention=False):
        """Hashtag ids (B, L) and the GRU state -> (logits (B, L, V), new state).

        `attention=True` also returns the step's attention weights, the very ones its
        logits were computed with: a dict with "regions" (B, L, R) and/or "words" (B, L, N)
        (padding words get 0), for the branches the model has.
        """
        L, weights = self.layers, {}
        outputs, state = L["decoder_gru"](L["tag_embedding"](tag_inputs), initial_state=state,
                                          training=training)
        parts = [outputs]
        # Asked at call time, never stored in the layers: the training graph and saved
        # models stay exactly as they were (and a symbolic call keeps one output).
        scores = {"return_attention_scores": True} if attention else {}
        for name, key, values, mask in (
                ("decoder_image_attention", "regions", memory.get("regions"), None),
                ("decoder_text_attention", "words", memory.get("text_states"),
                 memory.get("text_mask"))):
            if values is None:
                continue
            masks = {} if mask is None else {"mask": mask}  # the photo has no padding
            context = L[name](values, query=outputs, **masks, **scores)
            if attention:
                context, weights[key] = context
            parts.append(context)
        if "lexical" in memory:  # a short path from the words to every step's logits
            # (B, L, 1) + (B, 1, D): the caption's bag at every step, whatever L is.
            parts.append(ops.zeros_like(outputs[..., :1]) + memory["lexical"][:, None, :])
        readout = ops.concatenate(parts, axis=-1) if len(parts) > 1 else outputs
        readout = L["decoder_dropout"](readout, training=training)
        logits = L["tag_logits"](L["output_projection"](readout))
        return (logits, state, weights) if attention else (logits, state)

    def training_model(self, sizes: ModelSizes, photo_index: bool = True) -> keras.Model:
        """The teacher-forced Keras model: inputs dict -> next-tag logits (B, L, V).

        `photo_index=True` adds the input `image_index`: `image_regions` then holds each
        distinct photo of the batch once (`amnn.inputs.pipeline.make_dataset`, the same
        flag). Off, it holds one photo per post: the form a batch split between replicas
        needs, since each replica's slice must carry its own photos.
        """
        inputs = {"tag_inputs": keras.Input((None,), dtype="int32", name="tag_inputs")}
        if self.config.include_text:
            inputs["text_ids"] = keras.Input((None,), dtype="int32", name="text_ids")
        if self.config.include_image:
            inputs["image_regions"] = keras.Input(sizes.feature_shape, dtype="float16",
                                                  name="image_regions")
            if photo_index:
                inputs["image_index"] = keras.Input((), dtype="int32", name="image_index")
        memory, state = self.encode(inputs.get("text_ids"), inputs.get("image_regions"),
                                    image_index=inputs.get("image_index"))
        logits, _ = self.decode(inputs["tag_inputs"], state, memory)
        return keras.Model(inputs, logits, name="amnn")


def build_amnn(config: AMNNConfig, sizes: ModelSizes, photo_index: bool = True) -> keras.Model:
    """A new, untrained AMNN training model (`photo_index`: see `training_model`).

    Example:
        >>> from amnn.config import AMNNConfig
        >>> model = build_amnn(AMNNConfig(include_image=False), ModelSizes(100, 20, (49, 32)))
        >>> sorted(model.input)
        ['tag_inputs', 'text_ids']
    """
    return AMNNNetwork.create(config, sizes).training_model(sizes, photo_index)
