"""Progress of long work, readable in a terminal and in a CI log alike.

``Progress(total, phase)``: on a terminal, one tqdm bar with the count, rate and ETA; when the
stream is not a terminal (a CI log, a file), plain lines instead -- ``phase: 12/40 tasks (30%),
0:45 elapsed, ETA 1:45 [label]`` (``phase: 30%, ...`` for ``unit="%"``) -- at most one every ``interval`` seconds plus the first and the
last, with no carriage returns or escape codes. ``note(text)`` prints a line that does not break
the bar. ``enabled=False`` prints nothing.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

PLAIN_INTERVAL = 10.0


def clock_text(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``; ``3725`` -> ``"1:02:05"``."""
    seconds = int(round(max(seconds, 0.0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """A progress display over ``total`` units of ``phase`` (module docstring)."""

    def __init__(self, total: int, phase: str, *, unit: str = "task", enabled: bool = True,
                 stream: TextIO | None = None, interval: float = PLAIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic, tty: bool | None = None) -> None:
        self.total, self.phase, self.unit = int(total), phase, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.total > 0
        self.interval, self.clock = interval, clock
        self.count, self.label = 0, ""
        self._start = clock()
        self._last_line = -float("inf")
        self.bar = None
        is_tty = tty if tty is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        if self.enabled and is_tty:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=self.total, desc=phase, unit=unit, file=self.stream, dynamic_ncols=True)
            except ImportError:
                self.bar = None
        if self.enabled and self.bar is None:
            self._line(force=True)

    def _line(self, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last_line < self.interval:
            return
        self._last_line = now
        elapsed = now - self._start
        done = self.count / self.total if self.total else 1.0
        eta = f", ETA {clock_text(elapsed / done * (1 - done))}" if 0 < done < 1 else ""
        label = f" [{self.label}]" if self.label else ""
        position = f"{done:.0%}" if self.unit == "%" else f"{self.count}/{self.total} {self.unit}s ({done:.0%})"
        print(f"{self.phase}: {position}, {clock_text(elapsed)} elapsed{eta}{label}", file=self.stream, flush=True)

    def set_label(self, label: str) -> None:
        self.label = label
        if self.bar is not None:
            self.bar.set_postfix_str(label)

    def update(self, n: int = 1, label: str | None = None) -> None:
        if label is not None:
            self.label = label
        self.count = min(self.total, self.count + n)
        if not self.enabled:
            return
        if self.bar is not None:
            if label is not None:
                self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(n)
        else:
            self._line(force=self.count >= self.total)

    def advance_to(self, count: int, label: str | None = None) -> None:
        """Move to ``count`` units done (a phase that reports its own position, e.g. asv's percent)."""
        if count > self.count:
            self.update(count - self.count, label)

    def note(self, message: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
