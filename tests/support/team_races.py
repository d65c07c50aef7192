"""Two team store writers made to cross at a chosen point, deterministically (events, not sleeps)."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest


def hold_description(writer: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Hold `writer`'s description of a version (its second request, after the data) until `release`
    is set; `held` is set when it gets there."""
    held, release = threading.Event(), threading.Event()
    real_describe = writer._describe

    def slow_describe(*args: Any, **kwargs: Any) -> Any:
        held.set()
        release.wait(timeout=30)
        return real_describe(*args, **kwargs)

    monkeypatch.setattr(writer, "_describe", slow_describe)
    return held, release


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    """Start `call` in a thread; what it raises is in the list once the thread is joined."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors
