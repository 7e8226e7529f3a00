"""A progress bar on stderr for work that runs past a couple of seconds (a big meta trace, the solver's
passes, handouts of many models), drawn by tqdm: only where stderr is a terminal and --quiet is not
given; tqdm is imported only then."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

__all__ = ["Progress", "DELAY", "wanted"]

DELAY = 2.0  # seconds of work before a bar shows: shorter work shows none
_TICK = 0.5  # how often the elapsed time is redrawn while nothing is counted


def wanted(quiet: bool) -> bool:
    """Whether to draw bars: stderr is a terminal, and --quiet was not given."""
    try:
        return not quiet and sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


class Progress:
    """A context: `update(n)` counts done work out of `total` (None: the elapsed time only);
    `describe(text)` names what runs now. Does nothing unless `enabled`."""

    def __init__(self, enabled: bool, description: str, total: int | None = None, unit: str = "it") -> None:
        self.enabled, self.description, self.total, self.unit = enabled, description, total, unit
        self.bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, desc=self.description, unit=self.unit, delay=DELAY, leave=False,
                file=sys.stderr, dynamic_ncols=True,
            )  # fmt: skip
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        """Redraws the bar now and then, so that a single long step (one big pass) shows time passing."""
        while not self._stop.wait(_TICK):
            bar = self.bar
            if bar is not None and bar._time() - bar.start_t >= DELAY:
                bar.refresh()

    def update(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def reach(self, done: int) -> None:
        """Counts done work up to `done` in all."""
        if self.bar is not None and done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def describe(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(text, refresh=False)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
