"""Every occurrence of a set of byte keys in a text, in one pass whatever the number of keys.

Aho-Corasick (the Rust crate behind ``ahocorasick_rs``) scans a text once
however many keys it holds, but how fast depends on its kind: a DFA runs at
about 350-550 MB/s, an NFA at 100-140 MB/s, and a DFA's memory grows with
the bytes of its keys (about 0.3-0.5 KB per byte: 68 MB for the keys of a
thousand secrets, and 0.2 s to build). So:

* Few keys (up to :data:`DFA_MAX_BYTES`): one DFA over the keys themselves.
* More: a DFA over the keys' first :data:`HEAD` bytes, far fewer bytes (a
  thousand secrets: 12,000 heads, about 40 ms to build), and each place a
  head is found is checked for the whole keys that start with it, by one
  dictionary look-up per key length. In output heads are found rarely (280
  places in 10 MB of logs against a thousand secrets), so the check costs
  next to nothing and the scan runs at DFA speed.
* Heads too many for a DFA (ten thousand secrets): the same over an NFA,
  still faster to build and to scan than an NFA over the whole keys.

Large texts are cut into one piece per core and searched at once: the
automaton releases the GIL while it searches. A text derived from the
output (the view without whitespace) is searched a chunk at a time while
the next chunk is made.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable

import ahocorasick_rs

HEAD = 4
"""Bytes of each key the head automaton holds; keys this short or shorter are held whole."""

DFA_MAX_BYTES = 48 * 1024
"""Key bytes up to which the automaton holds whole keys as a DFA (48 KB took 67 ms and 24 MB)."""

HEAD_DFA_MAX = 16 * 1024
"""Heads up to which the head automaton is a DFA (12,000 heads: about 40 ms and 17 MB)."""

PARALLEL_MIN_BYTES = 256 * 1024
"""Texts shorter than two of these are searched in one piece: a thread costs more than it saves."""

CORES = min(os.cpu_count() or 1, 4)


def chunk_size(length: int) -> int | None:
    """Bytes of a text of ``length`` to make a derived text from at a time, or None for all at once.

    Small enough that the first chunk is soon ready for searching, large
    enough that each costs one thread hand-over; short texts are not worth one.
    """
    if CORES < 2 or length < 2 * PARALLEL_MIN_BYTES:
        return None
    return max(PARALLEL_MIN_BYTES, length // 16)


_SENTINELS = [bytes((first, 0xFF)) for first in range(0, 256, 4)]
"""Keys that can never match UTF-8 text (it has no 0xFF byte), starting with 64 different bytes.

With few keys the crate picks a byte prefilter (start bytes, rare bytes,
Teddy) that on log-like text stops at nearly every byte and makes the scan
two to five times slower, depending on the secrets. Start bytes this varied
keep it from choosing one, so the DFA runs at full speed whatever the keys.
Their indexes come after the real keys' and are never reported.
"""

Hit = tuple[int, int, int]
"""(key index, start, end) in byte offsets, end exclusive."""


class KeyScanner:
    """An immutable search for a fixed list of byte keys; thread-safe."""

    def __init__(self, keys: list[bytes]) -> None:
        self.max_length = max(map(len, keys), default=0)
        self._lengths: list[tuple[int, ...]] | None = None
        if not keys:
            self._automaton = None
            return
        if sum(map(len, keys)) <= DFA_MAX_BYTES:
            self._automaton = _build(keys, dfa=True)
            return
        # Every key's indexes (a key may be listed twice), and the lengths of the keys under each head.
        exact: dict[bytes, tuple[int, ...]] = dict(zip(keys, zip(range(len(keys)))))
        if len(exact) < len(keys):
            exact = {}
            for index, key in enumerate(keys):
                exact[key] = exact.get(key, ()) + (index,)
        lengths: dict[bytes, list[int]] = {}
        for head, length in dict.fromkeys(zip([key[:HEAD] for key in keys], map(len, keys))):
            lengths.setdefault(head, []).append(length)
        self._exact = exact
        self._lengths = [tuple(found) for found in lengths.values()]
        self._automaton = _build(list(lengths), dfa=len(lengths) <= HEAD_DFA_MAX)

    def __bool__(self) -> bool:
        return self._automaton is not None

    def scan(self, raw: bytes) -> list[Hit]:
        """(key index, start, end) of every occurrence of every key in ``raw``, overlapping ones included.

        A large text is cut into one piece per core; each piece reaches one
        key length past its end and keeps only the occurrences that start
        inside it, so every occurrence is found exactly once.
        """
        if self._automaton is None or not raw:
            return []
        parts = min(CORES, len(raw) // PARALLEL_MIN_BYTES)
        if parts < 2:
            return self._search(raw, 0, len(raw))
        size = -(-len(raw) // parts)
        results: list[list[Hit] | None] = [None] * parts
        failures: list[BaseException] = []

        def search(part: int) -> None:
            lo = part * size
            try:
                results[part] = self._search(raw, lo, min(len(raw), lo + size))
            except BaseException as exc:  # noqa: BLE001 - raised again on the calling thread
                failures.append(exc)

        helpers = [_helper(search, part) for part in range(1, parts)]
        search(0)
        for helper in helpers:
            helper.join()
        return _joined(results, failures)

    def scan_chunks(self, chunks: Iterable[bytes]) -> list[Hit]:
        """Like :meth:`scan` over the chunks joined, searching each while the next is being made.

        Making a chunk (the read-back view deletes whitespace) holds the
        GIL, searching one does not: with a second core the two overlap, and
        the whole costs about the larger of the two instead of their sum.
        Offsets are into the joined chunks; each chunk is searched together
        with the start of what follows it, up to one key length, and keeps
        only the occurrences that start inside it.
        """
        if self._automaton is None:
            for _ in chunks:
                pass
            return []
        reach = self.max_length - 1
        jobs: queue.SimpleQueue[tuple[int, bytes, int, int] | None] = queue.SimpleQueue()
        results: list[list[Hit] | None] = []
        failures: list[BaseException] = []

        def drain() -> None:
            try:
                while (job := jobs.get()) is not None:
                    at, piece, base, end = job
                    found = self._search(piece, 0, end)
                    results[at] = [(index, base + start, base + stop) for index, start, stop in found]
            except BaseException as exc:  # noqa: BLE001 - raised again on the calling thread
                failures.append(exc)

        helper: threading.Thread | None = None
        held, base = b"", 0
        try:
            for chunk in chunks:
                time.sleep(0)  # a moment without the GIL, for the helper to take up a result or the next job
                if len(chunk) < reach or not held:
                    held += chunk  # a key must not span more than two chunks
                    continue
                results.append(None)
                jobs.put((len(results) - 1, held + chunk[:reach], base, len(held)))
                if helper is None and CORES > 1:
                    helper = _helper(drain)
                base += len(held)
                held = chunk
            if held:
                results.append(None)
                jobs.put((len(results) - 1, held, base, len(held)))
        finally:
            for _ in range(2 if helper is not None else 1):
                jobs.put(None)  # one end mark for each of the two that drain the jobs
        drain()  # what the helper has not taken yet, searched here meanwhile
        if helper is not None:
            helper.join()
        return _joined(results, failures)

    def _search(self, raw: bytes, lo: int, hi: int) -> list[Hit]:
        """Occurrences starting in ``raw[lo:hi]``."""
        whole = lo == 0 and hi == len(raw)
        piece = raw if whole else memoryview(raw)[lo : hi + self.max_length - 1]
        found = self._automaton.find_matches_as_indexes(piece, overlapping=True)  # type: ignore[union-attr]
        lengths = self._lengths
        if lengths is None:
            if whole:
                return found
            return [(index, lo + start, lo + end) for index, start, end in found if lo + start < hi]
        exact = self._exact
        hits: list[Hit] = []
        for head, start, _ in found:
            start += lo
            if start >= hi:
                continue
            for length in lengths[head]:
                indexes = exact.get(raw[start : start + length])
                if indexes is not None:
                    for index in indexes:
                        hits.append((index, start, start + length))
        return hits


def _helper(target: Callable[..., None], *args: object) -> threading.Thread:
    """A started thread that searches beside the calling one (a daemon: it never holds up exit)."""
    thread = threading.Thread(target=target, args=args, name="nbsecrets-scan", daemon=True)
    thread.start()
    return thread


def _joined(results: list[list[Hit] | None], failures: list[BaseException]) -> list[Hit]:
    """The hits of every piece in order; a piece that failed fails the whole search.

    Never fewer hits than there are: a piece left unsearched would let what
    is in it through unmasked.
    """
    if failures:
        raise failures[0]
    if any(part is None for part in results):
        raise RuntimeError("nbsecrets: a piece of the output was not searched")
    return [hit for part in results for hit in part]  # type: ignore[union-attr]


def _build(keys: list[bytes], *, dfa: bool) -> ahocorasick_rs.BytesAhoCorasick:
    if dfa:
        return ahocorasick_rs.BytesAhoCorasick(
            keys + _SENTINELS,
            matchkind=ahocorasick_rs.MATCHKIND_STANDARD,
            implementation=ahocorasick_rs.Implementation.DFA,
        )
    return ahocorasick_rs.BytesAhoCorasick(
        keys, matchkind=ahocorasick_rs.MATCHKIND_STANDARD, implementation=ahocorasick_rs.Implementation.ContiguousNFA
    )
