"""Masked text in IPython's own record of outputs.

IPython keeps outputs apart from what it displays: the text of each result
in ``history_manager.output_hist_reprs`` (written to history.sqlite when
``db_log_output`` is on, shown by ``%history -o``, logged by ``%logstart
-o``), and, from IPython 9, every output bundle, stream and traceback in
``history_manager.outputs`` and ``exceptions``, which ``%notebook`` writes
into an .ipynb. None of that passes through the kernel's session, so each is
masked where it is stored. The log file of ``%logstart`` is written through
the shell's logger, whose ``log_write`` is masked too: ``%logstart -o``
replays ``repr(Out[n])`` of every earlier result into the file when it
starts, and those are the user's objects, not masked text. The results
themselves (``Out``, ``_``) are the user's objects, not text, and are left
alone.

Stream text is masked when its cell ends rather than where it is stored.
IPython 9 appends every single write to a plain list (200,000 prints make
400,000 appends), and anything that watched those appends would cost every
print. The lists are left alone while the cell runs and masked in place at
``post_execute``, each as one text, so a secret printed in pieces is masked
whole. Every reader of them reads a finished cell: ``%notebook`` exports the
cells before its own, and ``%history -o``, the kernel's history requests and
the history database read ``output_hist_reprs``, never ``outputs``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, NamedTuple

from nbsecrets.core.masking import get_masker

_STREAM_TYPES = ("out_stream", "err_stream")


class _MaskedOutputList(list):
    """One cell's list of HistoryOutput entries; each is masked as it is added."""

    def __init__(self, owner: HistoryMasking, items: Iterable[Any] = ()) -> None:
        super().__init__()
        self._owner = owner
        self.extend(items)

    def append(self, item: Any) -> None:
        super().append(self._owner.mask_output(item))

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def insert(self, index: Any, item: Any) -> None:
        super().insert(index, self._owner.mask_output(item))


class _MaskedOutputs(dict):
    """``history_manager.outputs``: a defaultdict(list) whose lists mask what they receive."""

    def __init__(self, owner: HistoryMasking, original: dict) -> None:
        super().__init__()
        self._owner = owner
        for key, items in original.items():
            self[key] = items

    def __missing__(self, key: Any) -> _MaskedOutputList:
        value = _MaskedOutputList(self._owner)
        super().__setitem__(key, value)
        return value

    def __setitem__(self, key: Any, items: Any) -> None:
        super().__setitem__(key, _MaskedOutputList(self._owner, items))


class _MaskedDict(dict):
    """A dict whose values are masked as they are stored (``exceptions``)."""

    def __init__(self, original: dict) -> None:
        super().__init__()
        for key, value in original.items():
            self[key] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, get_masker().mask_data(value))


class _MethodPatch:
    """A method of one object replaced on the instance by ``wrap(method)``, and how to put it back."""

    def __init__(self, holder: Any, name: str, wrap: Any) -> None:
        self.holder, self.name = holder, name
        self.had_own, self.own = name in vars(holder), vars(holder).get(name)
        self.replacement = wrap(getattr(holder, name))
        setattr(holder, name, self.replacement)

    def remove(self) -> None:
        """Put the method back, unless someone replaced it again after us."""
        if vars(self.holder).get(self.name) is not self.replacement:
            return
        if self.had_own:
            setattr(self.holder, self.name, self.own)
        else:
            delattr(self.holder, self.name)


class _Swap(NamedTuple):
    """A history attribute replaced by a masking container, and what to put back."""

    name: str
    original: Any
    had_own: bool  # an attribute (or trait) of the instance, not only of its class
    replacement: Any


class HistoryMasking:
    """Masks what ``shell.history_manager`` and ``%logstart -o`` record; undone by :meth:`uninstall`."""

    def __init__(self, shell: Any) -> None:
        self._shell = shell
        self.lock = threading.RLock()
        # Stream outputs recorded since the last release, and those masked by it, which a
        # thread may still have written to as that cell ended: both are looked at next time.
        self._streams: list[Any] = []
        self._settling: list[tuple[Any, dict[str, str]]] = []
        self._methods: list[_MethodPatch] = []
        self._swapped: list[_Swap] = []

    def install(self) -> None:
        def log_output(original: Any) -> Any:
            return lambda format_dict: original(get_masker().mask_values(format_dict))

        def log_write(original: Any) -> Any:
            return lambda data, kind="input": original(get_masker().mask(data), kind)

        for holder, name, wrap in (
            (getattr(self._shell, "displayhook", None), "log_output", log_output),
            (getattr(self._shell, "logger", None), "log_write", log_write),
        ):
            if holder is not None and callable(getattr(holder, name, None)):
                self._methods.append(_MethodPatch(holder, name, wrap))

        history = getattr(self._shell, "history_manager", None)
        if history is None:
            return
        outputs = getattr(history, "outputs", None)
        if isinstance(outputs, dict):
            self._swap(history, "outputs", _MaskedOutputs(self, outputs))
        exceptions = getattr(history, "exceptions", None)
        if isinstance(exceptions, dict):
            self._swap(history, "exceptions", _MaskedDict(exceptions))

    def uninstall(self) -> None:
        self.release()
        for method in self._methods:
            method.remove()
        self._methods.clear()
        for name, original, had_own, replacement in reversed(self._swapped):
            history = self._shell.history_manager
            if getattr(history, name, None) is not replacement:
                continue
            # Keep what was recorded meanwhile, in the original container and plain types.
            merged = {key: _plain(value) for key, value in replacement.items()}
            original.clear()
            original.update(merged)
            if had_own:
                setattr(history, name, original)
            else:
                delattr(history, name)
        self._swapped.clear()

    def release(self) -> None:
        """Mask the stream text recorded since the last call (after each cell)."""
        with self.lock:
            recorded, self._streams = self._streams, []
            for item, masked in self._settling:
                _mask_stream(item, masked)
            self._settling = [(item, _mask_stream(item, {})) for item in recorded]

    def mask_output(self, item: Any) -> Any:
        """Mask one HistoryOutput: a bundle now, stream text when the cell ends (see :meth:`release`)."""
        bundle = getattr(item, "bundle", None)
        if not isinstance(bundle, dict):
            return item
        if getattr(item, "output_type", None) in _STREAM_TYPES:
            with self.lock:
                self._streams.append(item)
        else:
            item.bundle = get_masker().mask_values(bundle)
        return item

    def _swap(self, history: Any, name: str, replacement: dict) -> None:
        is_trait = callable(getattr(history, "has_trait", None)) and history.has_trait(name)
        had_own = is_trait or name in vars(history)
        original = getattr(history, name)
        setattr(history, name, replacement)
        self._swapped.append(_Swap(name, original, had_own, replacement))


def _mask_stream(item: Any, masked: dict[str, str]) -> dict[str, str]:
    """Each chunk list of a stream output becomes one masked text, in place; returns those texts by key.

    In place, because IPython keeps writing to the same list while the
    cell runs; what a thread appends meanwhile stays after it, and is
    masked at the next release. A list that still holds only the text
    ``masked`` gave it last time is left as it is.
    """
    bundle = getattr(item, "bundle", None)
    if not isinstance(bundle, dict):
        return masked
    masker = get_masker()
    done: dict[str, str] = {}
    for key, chunks in list(bundle.items()):
        if isinstance(chunks, str):
            bundle[key] = done[key] = masker.mask(chunks)
        elif isinstance(chunks, list):
            taken = chunks[:]
            if len(taken) == 1 and taken[0] is masked.get(key):
                done[key] = taken[0]
                continue
            text = masker.mask("".join(chunk if isinstance(chunk, str) else str(chunk) for chunk in taken))
            chunks[: len(taken)] = [text]
            done[key] = text
    return done


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, _MaskedOutputList) else value
