"""AMNN-Keras: Attention-based Multimodal Neural Network for hashtag recommendation.

Yang, Q., Wu, G., Li, Y., Li, R., Gu, X., Deng, H., Wu, J. (2020). "AMNN: Attention-Based
Multimodal Neural Network Model for Hashtag Recommendation". IEEE Transactions on
Computational Social Systems 7(3), 768-779.

The package is split by concern: data reading (`posts`, `hashtags`, `vocabulary`, `text`),
image encoders and their feature cache (`encoders`, `feature_cache`), the network (`layers`,
`model`), decoding, training, the model folder, and metrics.
"""

__version__ = "0.1.0"
