"""Masking for plain terminal IPython, where there is no kernel session to wrap.

Without a kernel, output goes to ``sys.stdout`` and ``sys.stderr``: print,
results (the displayhook prints), display(), tracebacks, warnings, and
logging handlers writing to them. A proxy in their place masks all of that
and forwards everything else (fileno, isatty, encoding, buffer, ...), so code
that inspects the stream still sees the terminal. The pager can bypass the
streams (long text is piped into ``less``), so its hook masks the text first.

os.system, subprocesses and C code write to fd 1 directly and are not masked
here: putting a pipe in place of the terminal's fd would break full-screen
programs run from IPython (``!less``, ``!vim``).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, NamedTuple

from IPython.core.error import TryNext
from IPython.core.page import pager_page

from nbsecrets.adapters.ipython.release_timer import ReleaseTimer
from nbsecrets.adapters.texts import WITHHELD
from nbsecrets.core.masking import get_masker


class MaskingStream:
    """A text stream that masks what is written before passing it on.

    It stands in for sys.stdout/sys.stderr in terminal IPython, and for
    ipykernel's echo to the server log. Text that could be the start of a secret is held until the next write
    decides it, the cell ends, or the release timer fires (at most
    ``RELEASE_DELAY`` later). ``flush()`` does not release it: a secret
    printed one character at a time with ``flush=True`` would otherwise get
    through whole.
    """

    def __init__(self, wrapped: Any, timer: ReleaseTimer, key: str) -> None:
        self._wrapped = wrapped
        self._timer = timer
        self._key = key
        self._lock = threading.RLock()
        self._masking: Any = None  # made on first write, and anew after a failure
        self._active = True

    def write(self, text: Any) -> Any:
        if not self._active or not isinstance(text, str):
            return self._wrapped.write(text)
        with self._lock:
            if self._masking is None:
                self._masking = get_masker().stream()
            try:
                out = self._masking.feed(text)
            except Exception:  # never let output through unmasked, nor break the writer's print
                # Not logged: a logging handler may write to this very stream.
                self._masking = None
                out = WITHHELD + "\n"
            if out:
                self._wrapped.write(out)
            if self._masking is not None and self._masking.pending:
                self._timer.arm(self._key)
            else:
                self._timer.disarm(self._key)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._wrapped.flush()

    def release(self) -> None:
        """Write out held text (masked if it is long enough to give a secret away)."""
        with self._lock:
            self._timer.disarm(self._key)
            if self._masking is not None and self._masking.pending:
                out = self._masking.flush()
                if out:
                    self._wrapped.write(out)
                    self._wrapped.flush()

    def deactivate(self) -> None:
        self.release()
        self._active = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def __repr__(self) -> str:
        return f"<nbsecrets masking {self._wrapped!r}>"


class MaskingPager:
    """The ``show_in_pager`` hook: masks the text, then lets the original hooks or the pager show it.

    It forwards ``add`` so that ``set_hook('show_in_pager', ...)`` still adds
    to the original chain behind it.
    """

    def __init__(self, original: Any) -> None:
        self.original = original

    def __call__(self, data: Any, start: int = 0, screen_lines: int = 0) -> Any:
        masked = get_masker().mask_data(data)
        if self.original is not None:
            try:
                return self.original(masked, start=start, screen_lines=screen_lines)
            except TryNext:
                pass
        # What IPython's page() does when every hook declines, with the masked text.
        return pager_page(masked, start, screen_lines)

    def add(self, func: Any, priority: int = 0) -> None:
        self.original.add(func, priority)

    def __iter__(self) -> Any:
        return iter(self.original)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _HandlerSwap(NamedTuple):
    """A logging handler whose stream was replaced by a masking proxy."""

    handler: logging.StreamHandler
    original: Any
    proxy: MaskingStream


class TerminalMasking:
    """The stream proxies, logging handler streams and pager hook of one shell.

    :meth:`uninstall` undoes each one that is still ours; one that someone
    replaced again meanwhile is left to them (a proxy left behind passes
    text through unchanged).
    """

    def __init__(self, shell: Any) -> None:
        self._shell = shell
        self._timer = ReleaseTimer(self._release_key)
        self._proxies: dict[str, MaskingStream] = {}
        self._originals: dict[str, Any] = {}
        self._handlers: list[_HandlerSwap] = []
        self._pager: MaskingPager | None = None
        self._installed = False

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            proxy = MaskingStream(original, self._timer, name)
            self._originals[name], self._proxies[name] = original, proxy
            setattr(sys, name, proxy)
        by_stream = {id(self._originals[n]): (self._originals[n], self._proxies[n]) for n in self._proxies}
        for handler in _stream_handlers():
            original, proxy = by_stream.get(id(handler.stream), (None, None))
            if proxy is not None and handler.stream is original:
                handler.setStream(proxy)
                self._handlers.append(_HandlerSwap(handler, original, proxy))
        hooks = self._shell.hooks
        self._pager = MaskingPager(hooks.get("show_in_pager"))
        hooks["show_in_pager"] = self._pager
        self._shell.events.register("post_execute", self.release)

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        if self.release in self._shell.events.callbacks["post_execute"]:  # absent if install stopped early
            self._shell.events.unregister("post_execute", self.release)
        hooks = self._shell.hooks
        if self._pager is not None and hooks.get("show_in_pager") is self._pager:
            hooks["show_in_pager"] = self._pager.original
        self._pager = None
        for handler, original, proxy in self._handlers:
            if handler.stream is proxy:
                handler.setStream(original)
        self._handlers.clear()
        for name, proxy in self._proxies.items():
            proxy.deactivate()
            if getattr(sys, name) is proxy:
                setattr(sys, name, self._originals[name])
        self._proxies.clear()
        self._originals.clear()
        self._timer.close()

    def release(self) -> None:
        """Write out what the proxies hold: the cell is over, the prompt comes next."""
        for proxy in list(self._proxies.values()):
            proxy.release()

    def _release_key(self, key: Any) -> None:
        proxy = self._proxies.get(key)
        if proxy is not None:
            proxy.release()


def _stream_handlers() -> list[logging.StreamHandler]:
    """Logging handlers that hold a stream of their own (not ``lastResort``, which looks sys.stderr up)."""
    loggers: list[Any] = [logging.getLogger()]
    loggers += [
        lg for lg in list(logging.Logger.manager.loggerDict.values()) if isinstance(lg, logging.Logger)
    ]
    found: list[logging.StreamHandler] = []
    for lg in loggers:
        for handler in list(getattr(lg, "handlers", ())):
            if (
                isinstance(handler, logging.StreamHandler)
                and "stream" in vars(handler)
                and not any(handler is known for known in found)
            ):
                found.append(handler)
    return found
