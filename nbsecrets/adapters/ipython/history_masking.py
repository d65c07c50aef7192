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
starts, and those are the user's objects, not masked text. The results themselves (``Out``, ``_``) are the
user's objects, not text, and are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, NamedTuple

from nbsecrets.core.masking import get_masker

_STREAM_TYPES = ("out_stream", "err_stream")


_BATCH = 64 * 1024
"""Characters of stream writes collected before they are masked into the history as one piece."""


class _MaskedChunks(list):
    """The chunk list of a stream output, masked across chunk boundaries.

    IPython 9 appends every single write to this list (200,000 prints make
    400,000 appends). Masking each would cost more than the print itself, so
    writes are collected and masked in pieces of about 64 KB, and the rest at
    :meth:`release` (after each cell). Collected text is never in the list
    itself, so a reader only ever sees masked text, perhaps not all of it yet.
    """

    def __init__(self, owner: HistoryMasking, chunks: Iterable[str] = ()) -> None:
        super().__init__()
        self._owner = owner
        self._masking = get_masker().stream()
        self._collected: list[str] = []
        self._size = 0
        for chunk in chunks:
            self.append(chunk)
        self._mask_collected()

    def append(self, chunk: Any) -> None:
        # The hot path of every print: plain acquire/release, the held set touched once per batch.
        lock = self._owner.lock
        lock.acquire()
        try:
            if chunk.__class__ is not str:
                self._mask_collected()
                super().append(chunk)
                return
            collected = self._collected
            if not collected:
                self._owner.held.add(self)
            collected.append(chunk)
            self._size += len(chunk)
            if self._size >= _BATCH:
                self._mask_collected()
        finally:
            lock.release()

    def extend(self, chunks: Iterable[Any]) -> None:
        for chunk in chunks:
            self.append(chunk)

    def release(self) -> None:
        """Mask everything collected and give up what the stream masker holds."""
        self._mask_collected()
        out = self._masking.flush()
        if out:
            super().append(out)

    def _mask_collected(self) -> None:
        if not self._collected:
            return
        text = "".join(self._collected)
        self._collected.clear()
        self._size = 0
        out = self._masking.feed(text)
        if out:
            super().append(out)

    __hash__ = object.__hash__  # held in a set by identity


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
        self.held: set[_MaskedChunks] = set()
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
        """Move held stream text into history (after each cell: nothing more can complete it)."""
        with self.lock:
            held, self.held = self.held, set()
            for chunks in held:
                chunks.release()

    def mask_output(self, item: Any) -> Any:
        """Mask one HistoryOutput in place: bundles now, stream chunks as they arrive."""
        bundle = getattr(item, "bundle", None)
        if not isinstance(bundle, dict):
            return item
        if getattr(item, "output_type", None) in _STREAM_TYPES:
            for key, value in list(bundle.items()):
                if isinstance(value, list) and not isinstance(value, _MaskedChunks):
                    bundle[key] = _MaskedChunks(self, value)
                elif isinstance(value, str):
                    bundle[key] = get_masker().mask(value)
        else:
            item.bundle = get_masker().mask_values(bundle)
        return item

    def _swap(self, history: Any, name: str, replacement: dict) -> None:
        is_trait = callable(getattr(history, "has_trait", None)) and history.has_trait(name)
        had_own = is_trait or name in vars(history)
        original = getattr(history, name)
        setattr(history, name, replacement)
        self._swapped.append(_Swap(name, original, had_own, replacement))


def _plain(value: Any) -> Any:
    if isinstance(value, _MaskedOutputList):
        items = list(value)
        for item in items:
            bundle = getattr(item, "bundle", None)
            if isinstance(bundle, dict):
                for key, chunks in list(bundle.items()):
                    if isinstance(chunks, _MaskedChunks):
                        bundle[key] = list(chunks)
        return items
    return value
