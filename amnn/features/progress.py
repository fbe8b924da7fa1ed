"""A progress bar for a terminal, and a few plain lines for a log.

tqdm redraws its bar with carriage returns, which a terminal overwrites in place but a log
file (a redirected run, a Colab cell's saved output) keeps as one ever-growing line. When
stderr is not a terminal the same bar is written as a whole line at most every
`LOG_INTERVAL` seconds: once at the start, now and then, and once at the end.

Example:
    >>> import io
    >>> log = io.StringIO()
    >>> with progress_bar(3, "photos", stream=log) as bar:
    ...     bar.update(3)
    >>> log.getvalue().count("\\n"), "3/3" in log.getvalue()
    (2, True)
"""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from tqdm import tqdm

LOG_INTERVAL = 30.0  # seconds between two lines of progress in a log


class _Lines:
    """A file-like stream that writes each of tqdm's redraws as its own line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.strip("\r\n")
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(total: int, desc: str, enabled: bool = True, unit: str = "img",
                 stream: Optional[TextIO] = None) -> tqdm:
    """A tqdm bar on `stream` (default stderr): live on a terminal, a line now and then in a log."""
    stream = sys.stderr if stream is None else stream
    live = hasattr(stream, "isatty") and stream.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, smoothing=0.1,
                file=stream if live else _Lines(stream),
                mininterval=0.1 if live else LOG_INTERVAL, ascii=None if live else True)
