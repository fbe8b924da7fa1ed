"""AMNN-Keras: Attention-based Multimodal Neural Network for hashtag recommendation.

Yang, Q., Wu, G., Li, Y., Li, R., Gu, X., Deng, H., Wu, J. (2020). "AMNN: Attention-Based
Multimodal Neural Network Model for Hashtag Recommendation". IEEE Transactions on
Computational Social Systems 7(3), 768-779.

One subpackage per stage of the flow, each importing only from earlier ones and from the
base modules (`config`, `errors`, `atomic_files`, `jsonio`): `data` (posts CSV, hashtags,
vocabularies, caption text), `features` (image encoders and the feature cache), `inputs`
(ids and tf.data), `model` (the network, decoding, the model folder), `train`, `serve`
(prediction), `evaluate` (metrics and baselines) and `cli` (the programs).
docs/ARCHITECTURE.md draws it.

Example:
    >>> import amnn
    >>> amnn.__version__
    '0.1.0'
"""

__version__ = "0.1.0"
