"""The last large texts a matcher masked, so that a string on its way out is scanned once.

The same string objects often leave a kernel twice: a result's bundle is
recorded by IPython's history and then sent, a display's bundle likewise,
megabytes of HTML each time. Scanning them once is enough.

Each matcher keeps its own memo, so a secret registered (or a setting
changed) between two sends, which builds a new matcher, starts from an
empty one. Entries are keyed by identity and hold the string itself: while
an object is alive no other object has its id, and a ``str`` never changes.
Only exact ``str`` objects are kept; a ``str`` subclass, bytes and
bytearrays (which can change in place) are scanned every time.
"""

from __future__ import annotations

import threading

MIN_LENGTH = 16 * 1024
"""Shorter texts are scanned again: they cost little, and holding many would cost memory."""

MAX_ENTRIES = 4
"""A string comes back within moments (recorded, then sent), so a few entries suffice."""
MAX_CHARS = 16 * 1024 * 1024
"""Characters held at most, texts and their masked copies together; a larger text is not kept."""


class Memo:
    """What a few large texts masked to; thread-safe."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[str, str]] = {}
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, text: str) -> str | None:
        """The masked form of this very object, if it was masked lately."""
        if type(text) is not str or len(text) < MIN_LENGTH:
            return None
        entry = self._entries.get(id(text))
        return entry[1] if entry is not None and entry[0] is text else None

    def put(self, text: str, masked: str) -> None:
        if type(text) is not str or len(text) < MIN_LENGTH:
            return
        size = _size(text, masked)
        if size > MAX_CHARS:
            return
        with self._lock:
            old = self._entries.pop(id(text), None)
            if old is not None:
                self._chars -= _size(*old)
            while self._entries and (len(self._entries) >= MAX_ENTRIES or self._chars + size > MAX_CHARS):
                self._chars -= _size(*self._entries.pop(next(iter(self._entries))))
            self._entries[id(text)] = (text, masked)
            self._chars += size


def _size(text: str, masked: str) -> int:
    return len(text) if masked is text else len(text) + len(masked)
