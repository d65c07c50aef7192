"""Linear-time search for every form of every secret at once.

A regex alternation or a ``str.replace`` loop costs time proportional to the
number of patterns; with a thousand secrets times a dozen forms that is the
difference between 0.1 s and 30 s over 10 MB. Aho-Corasick (the Rust crate
behind ``ahocorasick_rs``) scans the text once whatever the number of
patterns.

The search runs over the UTF-8 bytes of the text: for ASCII text (nearly all
output) the encoding is a plain copy and byte offsets are character offsets,
and the bytes automaton is markedly faster than the ``str`` one. Patterns are
valid UTF-8 too, so a byte match always starts and ends on a character
boundary.

All matches are found, overlapping ones included, and every character of
every match is masked: with non-overlapping leftmost-longest matching, the
tail of a secret that overlaps the end of another one would be printed.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left
from collections.abc import Iterable

import ahocorasick_rs

Match = tuple[int, int, int]
"""(start, end, pattern index); offsets in characters, end exclusive."""

Region = tuple[int, int, list[tuple[int, int]]]
"""(start, end, segments): each segment a (pattern index, end) naming the region left to right."""

_HEAD = 4
"""Length of the pattern heads that pick candidate starts of a held prefix."""

_DFA_MAX_BYTES = 16 * 1024
"""Up to this many pattern bytes the automaton is a DFA (about 0.8 KB of memory per byte).

A DFA scans at ~550 MB/s against ~200-350 MB/s for the crate's NFA, but its
size grows with the patterns; past this size the NFA is used.
"""

_SENTINELS = [bytes((first, 0xFF)) for first in range(0, 256, 4)]
"""Patterns that can never match UTF-8 text (it has no 0xFF byte), starting with 64 different bytes.

With few patterns the crate picks a byte prefilter (start bytes, rare bytes,
Teddy) that on log-like text stops at nearly every byte and makes the scan
two to five times slower, depending on the secrets. Start bytes this varied
keep it from choosing one, so the DFA runs at full speed whatever the secrets.
"""

_PARALLEL_MIN_BYTES = 1 << 20
"""Texts shorter than two of these are searched in one piece: a thread costs more than it saves."""

_CORES = min(os.cpu_count() or 1, 4)

_ENCODING = "utf-8"
_ERRORS = "surrogatepass"  # a lone surrogate in output must not break masking


class Matcher:
    """An immutable automaton over a fixed set of forms, each labelled with a key name.

    Immutable so that threads can search it while another one builds its
    successor: the masker swaps in a new matcher instead of changing one.
    """

    def __init__(self, forms: Iterable[tuple[str, str]], replacement: str = "[masked:{name}]") -> None:
        names: dict[str, str] = {}
        for form, name in forms:
            if form:
                names.setdefault(form, name)
        self.patterns: tuple[str, ...] = tuple(names)
        self.names: tuple[str, ...] = tuple(names.values())
        self.replacements: dict[str, str] = {
            name: replacement.format(name=name) for name in set(self.names)
        }
        self.max_length = max(map(len, self.patterns), default=0)
        if not self.patterns:
            self._automaton = None
            self._heads = None
            self._sorted: list[str] = []
            self._sorted_index: list[int] = []
            return
        encoded = [p.encode(_ENCODING, _ERRORS) for p in self.patterns]
        self._max_bytes = max(map(len, encoded))
        self._automaton = _automaton(encoded)
        order = sorted(range(len(self.patterns)), key=self.patterns.__getitem__)
        self._sorted = [self.patterns[i] for i in order]
        self._sorted_index = order
        heads = {p[:_HEAD] for p in self.patterns if len(p) > _HEAD}
        self._heads = (
            ahocorasick_rs.AhoCorasick(sorted(heads), matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
            if heads
            else None
        )

    def __len__(self) -> int:
        return len(self.patterns)

    def find_all(self, text: str) -> list[Match]:
        """Every occurrence of every pattern, overlapping ones included, in no particular order."""
        if self._automaton is None or not text:
            return []
        if text.isascii():
            hits = self._scan(text.encode("ascii"))
            return [(start, end, index) for index, start, end in hits]
        raw = text.encode(_ENCODING, _ERRORS)
        hits = self._scan(raw)
        if not hits:
            return []
        return _to_char_offsets(raw, hits)

    def contains(self, text: str) -> bool:
        return bool(self.find_all(text))

    def _scan(self, raw: bytes) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) of every match in ``raw``, in byte offsets.

        A large text (a 20 MB HTML display) is cut into one piece per core and
        the pieces are searched at once: the automaton releases the GIL while
        it searches. Each piece reaches one pattern length past its end, and
        keeps only the matches that start inside it, so every match is found
        exactly once.
        """
        parts = min(_CORES, len(raw) // _PARALLEL_MIN_BYTES)
        if parts < 2:
            return self._automaton.find_matches_as_indexes(raw, overlapping=True)
        view = memoryview(raw)
        size = -(-len(raw) // parts)
        results: list[list[tuple[int, int, int]]] = [[] for _ in range(parts)]

        def search(part: int) -> None:
            lo, hi = part * size, min(len(raw), (part + 1) * size)
            hits = self._automaton.find_matches_as_indexes(view[lo : hi + self._max_bytes - 1], overlapping=True)
            results[part] = [(index, lo + start, lo + end) for index, start, end in hits if lo + start < hi]

        helpers = [threading.Thread(target=search, args=(part,), name="nbsecrets-scan") for part in range(1, parts)]
        for helper in helpers:
            helper.start()
        search(0)
        for helper in helpers:
            helper.join()
        return [hit for part in results for hit in part]

    def replace(self, text: str) -> str:
        """``text`` with every match replaced; the very same object when nothing matched."""
        matches = self.find_all(text)
        if not matches:
            return text
        out: list[str] = []
        pos = 0
        for start, end, segments in cover(matches)[0]:
            out.append(text[pos:start])
            out.append(self.render(index for index, _ in segments))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def render(self, indexes: Iterable[int], last: str | None = None) -> str:
        """The replacements naming a region, a name repeated back to back written once."""
        parts: list[str] = []
        for index in indexes:
            name = self.names[index]
            if name != last:
                parts.append(self.replacements[name])
                last = name
        return "".join(parts)

    def open_prefix(self, text: str, lo: int = 0) -> tuple[int, int] | None:
        """Where the longest suffix of ``text`` that a pattern continues starts, and that pattern.

        "Continues" means the suffix is a proper prefix of the pattern (a
        complete pattern that a longer one extends counts). This is what a
        stream must hold back. Only starts at ``lo`` or later are considered.
        Cost: one scan of the last ``max_length`` characters plus a binary
        search per candidate start.
        """
        n = len(text)
        lo = max(lo, n - self.max_length + 1, 0)
        if lo >= n:
            return None
        candidates: list[int] = []
        if self._heads is not None and n - lo >= _HEAD:
            hits = self._heads.find_matches_as_indexes(text[lo:], overlapping=True)
            candidates = sorted(lo + start for _, start, _ in hits)
        candidates.extend(range(max(lo, n - _HEAD + 1), n))
        for start in candidates:
            index = self._continued_by(text[start:])
            if index is not None:
                return start, index
        return None

    def _continued_by(self, prefix: str) -> int | None:
        # Sorted order puts the patterns that start with ``prefix`` right after it.
        at = bisect_left(self._sorted, prefix)
        if at < len(self._sorted) and self._sorted[at] == prefix:
            at += 1
        if at < len(self._sorted) and self._sorted[at].startswith(prefix):
            return self._sorted_index[at]
        return None


def _automaton(patterns: list[bytes]) -> ahocorasick_rs.BytesAhoCorasick:
    if sum(map(len, patterns)) <= _DFA_MAX_BYTES:
        # The sentinels' indexes come after the real patterns and are never reported.
        return ahocorasick_rs.BytesAhoCorasick(
            patterns + _SENTINELS,
            matchkind=ahocorasick_rs.MATCHKIND_STANDARD,
            implementation=ahocorasick_rs.Implementation.DFA,
        )
    return ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)


def cover(
    matches: list[Match], frontier: int = 0, hold: int | None = None
) -> tuple[list[Region], int | None]:
    """Merge overlapping or touching matches into regions, and name each region.

    The names come from a greedy cover: the longest match at the region's
    start, then, from where it ends, the match that reaches furthest. A
    secret that is a prefix of a longer one is named by the longer one; two
    secrets that overlap are both named.

    For a stream: ``frontier`` is where its written output ends, and a
    region that began before it is named only from there on. ``hold`` is
    where its held suffix starts: a match not seen yet can only start there
    or later, so from a point at or past it the choice is not final. Naming
    stops at such a point (the last region then ends there) and the second
    value returned is the earliest start of a match still reaching beyond
    it, which the stream must keep; None when nothing was cut short.
    """
    matches.sort(key=lambda m: (m[0], -m[1]))
    regions: list[Region] = []
    i, n = 0, len(matches)
    while i < n:
        start, end, _ = matches[i]
        if hold is not None and start >= hold:
            break  # held text: these matches are found again with what follows
        j = i + 1
        while j < n and matches[j][0] <= end:
            end = max(end, matches[j][1])
            j += 1
        segments: list[tuple[int, int]] = []
        cur, k, best = max(start, frontier), i, matches[i]
        while cur < end:
            if hold is not None and cur >= hold:
                regions.append((start, cur, segments))
                return regions, min(m[0] for m in matches[i:j] if m[1] > cur)
            while k < j and matches[k][0] <= cur:
                if matches[k][1] > best[1]:
                    best = matches[k]
                k += 1
            segments.append((best[2], best[1]))
            cur = best[1]
        regions.append((start, end, segments))
        i = j
    return regions, None


def _to_char_offsets(raw: bytes, hits: list[tuple[int, int, int]]) -> list[Match]:
    """Turn byte offsets into character offsets by decoding only the gaps between them."""
    offsets = sorted({o for _, s, e in hits for o in (s, e)})
    chars: dict[int, int] = {}
    prev_byte = prev_char = 0
    for offset in offsets:
        prev_char += len(raw[prev_byte:offset].decode(_ENCODING, _ERRORS))
        prev_byte = offset
        chars[offset] = prev_char
    return [(chars[s], chars[e], index) for index, s, e in hits]
