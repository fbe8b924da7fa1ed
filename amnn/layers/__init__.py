"""Custom Keras layers of AMNN, registered serializable under the package name "amnn".

Importing this package registers them, which `keras.saving.load_model` needs.
"""

from amnn.layers.attention import Attention

__all__ = ["Attention"]
