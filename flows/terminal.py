"""Progress a person can follow in the terminal: one line per stage or evaluated model.

On a terminal the line is rewritten in place (``ingest  42%  3/7 tasks, 0.9 tasks/s  00:35``)
and ends with the time it took; when stdout is not a terminal (a pipe, a CI log) each update
is a plain line, at most one per ``interval_s`` per label. ``--quiet`` turns it off. The CLI
configures it once (``configure``); the flows' progress callbacks call ``report`` besides
Prefect's log and progress artifacts, which stay as they are.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

LABEL_WIDTH = 16  # the longest stage name (dedup_paragraphs); longer labels push the rest on


class Terminal:
    """Writes progress lines for labels (stage names, models) to ``stream``."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None, interval_s=2.0):
        self._stream = stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval_s = interval_s
        self.started: dict[str, float] = {}
        self.last_plain: dict[str, float] = {}
        self.open_line = False
        self.lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        """The given stream, else the current ``sys.stdout`` (looked up at each write: it may
        have been replaced since, e.g. by a test runner's capture)."""
        return self._stream or sys.stdout

    def report(self, label: str, message: str, fraction: float | None = None) -> None:
        """One progress update of ``label``."""
        now = time.monotonic()
        with self.lock:
            start = self.started.setdefault(label, now)
            pct = f"{100 * fraction:3.0f}%" if fraction is not None else "    "
            text = f"{label:<{LABEL_WIDTH}} {pct}  {_clock(now - start)}  {_strip(label, message)}"
            if self.tty:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.stream.write("\r" + text[:width].ljust(width))
                self.open_line = True
            elif now - self.last_plain.get(label, -1e9) >= self.interval_s or fraction == 1.0:
                self.stream.write(text + "\n")
                self.last_plain[label] = now
            self.stream.flush()

    def done(self, label: str, summary: str) -> None:
        """End ``label``'s line with ``summary`` and its elapsed time."""
        with self.lock:
            elapsed = time.monotonic() - self.started.pop(label, time.monotonic())
            text = f"{label:<{LABEL_WIDTH}} done  {_clock(elapsed)}  {summary}"
            if self.tty and self.open_line:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.stream.write("\r" + text[:width].ljust(width) + "\n")
            else:
                self.stream.write(text + "\n")
            self.open_line = False
            self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _strip(label: str, message: str) -> str:
    return message.removeprefix(f"{label}: ")


_ACTIVE: Terminal | None = None


def configure(quiet: bool = False, stream: TextIO | None = None, tty: bool | None = None) -> None:
    """Turn terminal progress on (off with ``quiet``) for this process."""
    global _ACTIVE
    _ACTIVE = None if quiet else Terminal(stream, tty)


def report(label: str, message: str, fraction: float | None = None) -> None:
    if _ACTIVE is not None:
        _ACTIVE.report(label, message, fraction)


def done(label: str, summary: str) -> None:
    if _ACTIVE is not None:
        _ACTIVE.done(label, summary)


def stage_summary(result: dict) -> str:
    """``skipped (cache hit)`` or the main counts of a stage result dict."""
    if result.get("skipped"):
        return "skipped (cache hit)"
    counts = {k: v for k, v in (result.get("counts") or {}).items() if "." not in k}
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or result.get("status", "")
