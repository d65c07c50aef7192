"""Masking output that arrives in pieces.

A kernel sends stream output in chunks cut wherever a flush or a pause fell,
and JupyterLab joins adjacent chunks before saving: a secret split across
two messages would be saved whole even though neither message held it.

The stream masker therefore keeps back the shortest tail it must: the
longest suffix of what it has seen that some form could still continue
(GitLab's and Buildkite's runners do the same). Everything before it is
final and is returned at once. When the caller cannot wait any longer
(``flush``), a kept tail of 4+ characters that gives a secret away (see
``Matcher.gives_away``) is written as the replacement of the form it starts,
any other as itself;
the raw tail stays in the state either way, so that if the rest of the
secret arrives later it is still masked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .matcher import Matcher, cover

FLUSH_MASK_MIN = 4
"""A kept tail this long is masked on flush; shorter, it is too generic to hide."""

LOOKBEHIND = 16
"""Characters already written that stay in the state: whether a match may start where a new chunk
begins depends on what precedes it (a credential prefix inside a word, an escape before it), and a
chunk must be masked as the same text sent whole would be."""


class StreamMasker:
    """The masking state of one output stream (e.g. one cell's stdout).

    Thread-safe: ``feed`` and ``flush`` may come from different threads (the
    writer and a deadline timer); each call is atomic, and output is in
    call order.
    """

    def __init__(self, matcher: Callable[[], Matcher]) -> None:
        self._matcher = matcher
        self._lock = threading.Lock()
        # Raw text that can still take part in a match: the kept tail, and
        # any part of it already written out (by a flush, or inside a
        # replacement that ran past the hold point), and a match whose
        # naming waits on what comes next.
        self._context = ""
        # How much of ``_context`` was already written.
        self._written = 0
        # The key name of the replacement that output ends with, if the last
        # thing written was a replacement; a match continuing it is not named twice.
        self._last: str | None = None

    @property
    def pending(self) -> bool:
        """Something was fed and not yet written out."""
        return self._written < len(self._context)

    def feed(self, text: str) -> str:
        """Masked text that is safe to write now; a possible start of a secret is kept back."""
        with self._lock:
            matcher = self._matcher()
            if not self._context and not matcher.active:
                return text
            out = self._advance(matcher, self._context + text, final=False)
            return text if out == text else out  # unchanged: the caller's own object back

    def flush(self) -> str:
        """Write out what is kept back (masked if it could be a secret's start); keep matching state."""
        with self._lock:
            if not self.pending:
                return ""
            return self._advance(self._matcher(), self._context, final=True)

    def _advance(self, matcher: Matcher, buf: str, *, final: bool) -> str:
        written = self._written
        held = matcher.open_prefix(buf)
        hold = held[0] if held is not None else len(buf)
        # A match inside the held suffix may yet be outgrown by a longer one: it waits.
        matches = [m for m in matcher.find_all(buf) if m[1] > written and (final or m[0] < hold)]
        if not matches and hold == len(buf):
            # Fast path: nothing secret, nothing to keep but what precedes the next chunk.
            self._context = buf[-LOOKBEHIND:]
            self._written, self._last = len(self._context), None
            return buf[written:] if written else buf

        limit = len(buf) if final else hold
        regions, resume = cover(matches, frontier=written, hold=None if final else hold)
        out: list[str] = []
        pos, last = written, self._last
        for start, end, segments in regions:
            if start > pos:
                out.append(buf[pos:start])
                last = None
            if segments:
                out.append(matcher.render((index for index, _ in segments), last))
                last = matcher.names[segments[-1][0]]
            pos = end

        if (
            final
            and held is not None
            and pos < len(buf)
            and len(buf) - hold >= FLUSH_MASK_MIN
            and matcher.gives_away(held[1], buf[hold:])
        ):
            if hold > pos:
                out.append(buf[pos:hold])
                last = None
            out.append(matcher.render([held[1]], last))
            last = matcher.names[held[1]]
            pos = len(buf)
        if pos < limit:
            out.append(buf[pos:limit])
            last = None
            pos = limit

        # Keep only what a future match can start in: the held suffix, and a
        # match whose naming was left open.
        keep = max(0, (hold if resume is None else min(hold, resume)) - LOOKBEHIND)
        self._context = buf[keep:]
        self._written = pos - keep
        self._last = last
        return "".join(out)

