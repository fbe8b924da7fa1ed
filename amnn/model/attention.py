"""The additive attention layer of AMNN (text words, image regions, decoder steps).

Bahdanau-style scoring, as in the AMNN paper's text and image attention:
    score_i = v . tanh(W_v value_i + W_q query + b)
    weights = masked softmax(score) over the values,  context = sum_i weights_i value_i

Without a query the layer is self-attentive pooling (one learned question over the values).
With a query of shape (B, Q) it returns one context per post; with (B, L, Q) one context per
query step, which lets the decoder attend over image regions and caption words at every step
in a single batched call during teacher forcing.
"""

from __future__ import annotations

import keras
from keras import ops

_MASKED_SCORE = -1e9  # large negative, not -inf: a fully masked row must not produce NaN


@keras.saving.register_keras_serializable(package="amnn")
class Attention(keras.layers.Layer):
    """Additive (Bahdanau) attention with masking and an optional query.

    Reference: Yang et al., "AMNN: Attention-Based Multimodal Neural Network Model for
    Hashtag Recommendation", IEEE TCSS 2020 (text and image attention), after Bahdanau et
    al., ICLR 2015.

    Args:
        units: int. Size of the hidden scoring space.
        return_attention_scores: bool. Also return the attention weights.
        **kwargs: base Layer arguments (name, dtype, ...).

    Call args:
        values: float tensor (B, N, D). The things attended over (words or regions).
        query: optional float tensor (B, Q) or (B, L, Q). What guides the attention.
        mask: optional bool tensor (B, N). False marks padding that gets no weight.
        return_attention_scores: optional bool. Overrides the constructor's setting for
            this call only (the decoder asks for the weights when explaining a prediction,
            so the saved layer config stays as it was).

    Returns:
        context (B, D) or (B, L, D); with `return_attention_scores` also the weights
        (B, N) or (B, L, N). A row whose values are all masked gets a zero context.

    Example:
        >>> import numpy as np
        >>> layer = Attention(units=8)
        >>> words = np.random.rand(2, 5, 16).astype("float32")
        >>> mask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
        >>> tuple(layer(words, mask=mask).shape)
        (2, 16)
        >>> guided = Attention(units=8)
        >>> steps = np.random.rand(2, 3, 4).astype("float32")  # one query per decoder step
        >>> tuple(guided(words, query=steps, mask=mask).shape)
        (2, 3, 16)
        >>> _, weights = guided(words, query=steps, mask=mask, return_attention_scores=True)
        >>> np.round(np.asarray(weights).sum(-1), 4).tolist(), float(weights[1, 0, 1])
        ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], 0.0)
    """

    def __init__(self, units: int, return_attention_scores: bool = False, **kwargs):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"Attention units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.return_attention_scores = bool(return_attention_scores)
        self.supports_masking = True

    def build(self, values_shape, query_shape=None):
        value_dim = values_shape[-1]
        self.value_kernel = self.add_weight(
            name="value_kernel", shape=(value_dim, self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform")
        # The query kernel exists only for guided attention; its input size is fixed here
        # so the same layer cannot later be called with a query of another size.
        self.query_kernel = None
        if query_shape is not None:
            self.query_kernel = self.add_weight(
                name="query_kernel", shape=(query_shape[-1], self.units),
                initializer="glorot_uniform")

    def call(self, values, query=None, mask=None, return_attention_scores=None):
        if (query is None) != (self.query_kernel is None):
            raise ValueError(
                f"Attention layer {self.name!r} was built "
                f"{'with' if self.query_kernel is not None else 'without'} a query; "
                "call it the same way every time")
        keys = ops.matmul(values, self.value_kernel) + self.bias  # (B, N, U)
        per_step = query is not None and len(query.shape) == 3
        if query is not None:
            projected = ops.matmul(query, self.query_kernel)  # (B, U) or (B, L, U)
            if per_step:
                keys = ops.expand_dims(keys, 1) + ops.expand_dims(projected, 2)  # (B, L, N, U)
            else:
                keys = keys + ops.expand_dims(projected, 1)
        scores = ops.tensordot(ops.tanh(keys), self.score_vector, axes=1)  # (B,[L,]N)
        if mask is not None:
            keep = ops.cast(mask, scores.dtype)
            if per_step:
                keep = ops.expand_dims(keep, 1)
            scores = scores * keep + (1.0 - keep) * _MASKED_SCORE
            weights = ops.softmax(scores, axis=-1) * keep  # zero weight on padding, always
        else:
            weights = ops.softmax(scores, axis=-1)
        if per_step:
            context = ops.matmul(weights, values)  # (B, L, N) x (B, N, D)
        else:
            context = ops.sum(ops.expand_dims(weights, -1) * values, axis=1)
        if (self.return_attention_scores if return_attention_scores is None
                else return_attention_scores):
            return context, weights
        return context

    def compute_mask(self, values, query=None, mask=None):
        # The attended axis is reduced away, so no mask flows on from here.
        return None

    def compute_output_shape(self, values_shape, query_shape=None):
        if query_shape is not None and len(query_shape) == 3:
            context = (values_shape[0], query_shape[1], values_shape[-1])
            weights = (values_shape[0], query_shape[1], values_shape[1])
        else:
            context = (values_shape[0], values_shape[-1])
            weights = (values_shape[0], values_shape[1])
        return (context, weights) if self.return_attention_scores else context

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "return_attention_scores": self.return_attention_scores})
        return config
