"""One line per epoch, for logs: what Keras's progress bar shows, without its redraws.

A progress bar in a file is thousands of carriage-return redraws (127 KB for 8 epochs);
a log wants one line an epoch that a person or `grep` can read.

Example:
    >>> line = EpochLine(epochs=20)
    >>> line.format(2, {"loss": 1.23456, "val_loss": 1.5, "learning_rate": 0.002}, 3.14)
    'epoch 3/20: loss 1.2346, val_loss 1.5000, learning_rate 0.002 (3.1 s)'
"""

from __future__ import annotations

import sys
import time

import keras


class EpochLine(keras.callbacks.Callback):
    """Print `epoch N/E: metric value, ... (seconds)` on stdout at the end of each epoch.

    Args:
        epochs: int. The planned number of epochs (early stopping may end sooner).
    """

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def format(self, epoch: int, logs: dict, seconds: float) -> str:
        """The line for 0-based `epoch` with the metrics in `logs`."""
        values = ", ".join(f"{name} {value:.4f}" if name != "learning_rate"
                           else f"{name} {value:.3g}" for name, value in logs.items())
        return f"epoch {epoch + 1}/{self.epochs}: {values} ({seconds:.1f} s)"

    def on_epoch_end(self, epoch, logs=None):
        logs = {name: float(value) for name, value in (logs or {}).items()}
        print(self.format(epoch, logs, time.perf_counter() - self._started), file=sys.stdout,
              flush=True)
