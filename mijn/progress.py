"""A small progress bar for long work (seeding, imports, benchmarks) and its summary line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Prints `label [#####.....] done/total` on one line, then a summary."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1) -> None:
        """Count n more done; redraw at most ten times a second."""
        self.done += n
        now = time.monotonic()
        if now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            filled = int(30 * min(self.done, self.total) / self.total)
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
            )
            self.stream.flush()

    def finish(self, summary: str) -> None:
        """End the bar and print what was done, with the time it took."""
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\n{summary} ({elapsed:.1f} s)\n")
        self.stream.flush()
