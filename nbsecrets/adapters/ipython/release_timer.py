"""Deadline release of held output.

A masker holds back text that could be the start of a secret until later
text decides it. :class:`ReleaseTimer` makes sure such text waits at most
:data:`RELEASE_DELAY`: it is used by the kernel's session wrapper, the
masked echo to the server log and terminal IPython's stream proxies.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

RELEASE_DELAY = 0.5
"""Seconds a possible start of a secret may be held back before it is released."""

_log = logging.getLogger(__name__)


class ReleaseTimer:
    """Calls ``release(key)`` once a key armed with :meth:`arm` has waited ``RELEASE_DELAY``.

    One daemon thread serves every key, started on first use, so printing a
    secret one character at a time does not start a thread per character.
    Arming an armed key keeps its first deadline: held text waits at most
    ``RELEASE_DELAY`` however often more text arrives.
    """

    def __init__(self, release: Callable[[Hashable], None]) -> None:
        self._release = release
        self._cond = threading.Condition()
        self._due: dict[Hashable, float] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, key: Hashable) -> None:
        with self._cond:
            if self._closed or key in self._due:
                return
            self._due[key] = time.monotonic() + RELEASE_DELAY
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nbsecrets-release", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, key: Hashable) -> None:
        if key in self._due:
            with self._cond:
                self._due.pop(key, None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    now = time.monotonic()
                    ready = [key for key, due in self._due.items() if due <= now]
                    if ready:
                        for key in ready:
                            del self._due[key]
                        break
                    self._cond.wait(min(self._due.values()) - now if self._due else None)
            for key in ready:
                try:
                    self._release(key)
                except Exception:  # one failed release must not stop the others
                    _log.exception("nbsecrets: releasing held output failed")
