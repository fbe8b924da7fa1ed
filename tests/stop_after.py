"""A Keras callback that interrupts training, shared by the resume tests.

Not a test module (no `test_` prefix): tests/test_model_folder.py imports it in pytest, and
tests/distributed_training_run.py imports it in its own process.
"""

import keras


class StopAfter(keras.callbacks.Callback):
    """Simulates a session that dies after some epochs (Colab disconnect).

    Example:
        >>> model.fit(data, epochs=4, callbacks=[StopAfter(2)])  # doctest: +SKIP
        KeyboardInterrupt
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt
