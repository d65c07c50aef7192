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

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import NamedTuple

import ahocorasick_rs

from .fragments import (
    DEFAULT_FRAGMENT_LENGTH,
    Source,
    SourceCache,
    specific_threshold,
    verify,
    verify_by_search,
    window_plan,
)
from .memo import Memo
from .patterns import (
    PATTERNS,
    PREFIXES,
    credentials_at,
    find_credentials,
    open_credential,
    prefix_hits,
)
from .readback import (
    ReadBack,
    Unspaced,
    blocks,
    changed_neighbourhoods,
    has_line_edits,
    has_literal_joins,
    has_markup,
    has_spacing,
    view_text,
)
from .scanner import KeyScanner, chunk_size

Match = tuple[int, int, int]
"""(start, end, pattern index); offsets in characters, end exclusive."""

Region = tuple[int, int, list[tuple[int, int]]]
"""(start, end, segments): each segment a (pattern index, end) naming the region left to right."""

_HEAD = 4
"""Length of the pattern heads that pick candidate starts of a held prefix."""

_SPACED_PREFIXES = tuple(
    dict.fromkeys("".join(prefix.split()) for prefix, _ in PREFIXES if prefix != "".join(prefix.split()))
)
"""Credential prefixes that hold whitespace, as the whitespace-free view shows them."""

SPARSE_VIEW_MIN = 64 * 1024
"""Characters from which a text the view changes in few places is read back only around them."""

_NUMERIC = frozenset("0123456789.-+eE")

_MAX_WINDOW_REFS = 4
"""Places in the secrets one window text is verified against (a periodic secret repeats its windows).

Past these, the window is marked crowded for that secret and a hit is
verified by searching the secret instead (see ``verify_by_search``).
"""
_CROWDED = -1

_VIEW_PREFIXES_MAX = 256
"""Credential prefixes found in a view up to which each is mapped back, not the text searched again."""

CREDENTIAL_FLUSH_MIN = 12
"""A kept start of a credential shape is masked on flush from this many characters on."""

VIEW_ONLY = -1
"""The index :meth:`Matcher.open_prefix` gives text held for the read-back view alone."""

VIEW_HOLD_MIN = 4
"""Characters of a secret's start that must show in the read-back view before a stream holds it."""

_VIEW_TAIL = 512
"""How much of a stream's end is read back to look for such a start."""

_ENCODING = "utf-8"
_ERRORS = "surrogatepass"  # a lone surrogate in output must not break masking


ANCHOR = 12
"""Characters of a form the automaton holds (its key); the whole form is compared around where they are found.

The automaton stays small (a DFA for a hundred secrets with every form)
whatever the forms' length, and its build stays linear: a pattern of one
repeated character costs time quadratic in its length (16,384 ``v`` took
25 s).
"""


class Matcher:
    """An immutable automaton over a fixed set of forms, each labelled with a key name.

    Immutable so that threads can search it while another one builds its
    successor: the masker swaps in a new matcher instead of changing one.

    Besides the forms themselves it finds, when given them, runs of at
    least ``fragment_length`` characters of each fragment source (see
    :mod:`.fragments`), strings shaped like well-known credentials, and all
    of these again in the read-back view of the text (see :mod:`.readback`).
    ``sources`` carries the fragment sources over from the previous build.
    """

    def __init__(
        self,
        forms: Iterable[tuple[str, str]],
        replacement: str = "[masked:{name}]",
        *,
        fragments: Iterable[tuple[str, str]] = (),
        fragment_length: int = DEFAULT_FRAGMENT_LENGTH,
        credentials: bool = False,
        sources: SourceCache | None = None,
    ) -> None:
        names: dict[str, str] = {}
        for form, name in forms:
            if form:
                names.setdefault(form, name)
        patterns = list(names)
        pattern_names = list(names.values())
        self._form_total = len(patterns)
        # The automaton holds keys: the last ANCHOR characters of each form (the
        # whole form is then checked where its key ends) and the windows of the
        # fragment sources. Short keys keep the automaton small enough to be a DFA.
        # Per key, in the order keys are first met: (form index, where the key starts in
        # it) for each form, and (source, offset) for each window of a fragment source,
        # under that key; () where there are none. Kept as built, not copied into tuples:
        # a build for ten thousand secrets makes hundreds of thousands of them.
        key_at: dict[str, int] = {}
        key_forms: list = []
        key_refs: list = []
        uses: dict[str, int] = {}
        for index, form in enumerate(patterns):
            offset = max(len(form) - ANCHOR, 0)
            anchor = form[offset:]
            if anchor in uses:  # its end is taken: look for a less shared place
                offset = _anchor_offset(form, uses)
                anchor = form[offset : offset + ANCHOR]
            at = key_at.get(anchor)
            if at is None:
                key_at[anchor] = len(key_forms)
                key_forms.append([(index, offset)])
                key_refs.append(())
                uses[anchor] = 1
            else:
                key_forms[at].append((index, offset))
                uses[anchor] += 1
        self.fragment_length = fragment_length
        self._window = window_plan(fragment_length)[0]
        self._sources: list[Source] = []
        seen_sources: set[str] = set()
        if sources is None:
            sources = SourceCache()
        for value, name in fragments:
            for text in (value, "".join(value.split())):
                if len(text) < fragment_length or text in seen_sources:
                    continue
                seen_sources.add(text)
                source, source_windows = sources.get(text, name, fragment_length)
                sid = len(self._sources)
                self._sources.append(source)
                places: dict[str, int] = {}  # key -> places of this source kept under it
                for piece, offset in source_windows:
                    at = key_at.get(piece)
                    if at is None:
                        at = key_at[piece] = len(key_forms)
                        key_forms.append(())
                        key_refs.append([])
                    refs = key_refs[at]
                    if not refs:
                        refs = key_refs[at] = []
                    count = places.get(piece, 0)
                    if count < _MAX_WINDOW_REFS:
                        refs.append((sid, offset))
                    elif count == _MAX_WINDOW_REFS:
                        refs.append((sid, _CROWDED))
                    places[piece] = count + 1
        window_texts = [text for text, at in key_at.items() if key_refs[at] and text not in names]
        self.patterns: tuple[str, ...] = tuple(patterns) + tuple(window_texts)
        """Every form, then every window text: what a stream may have to hold back the start of."""
        pattern_names.extend(self._sources[key_refs[key_at[text]][0][0]].name for text in window_texts)
        self._window_keys = {len(patterns) + i: key_at[text] for i, text in enumerate(window_texts)}
        self._keys = tuple(key_at)
        self._key_forms: list[list[tuple[int, int]] | tuple[()]] = key_forms
        self._key_refs: list[list[tuple[int, int]] | tuple[()]] = key_refs
        slots: dict[str, int] = {}
        extra: list[str] = []
        for source in self._sources:
            if source.name not in slots:
                slots[source.name] = len(self.patterns) + len(extra)
                extra.append(source.name)
        self._credentials = credentials
        self._credential_slots: set[int] = set()
        if credentials:
            for label in dict.fromkeys(pattern.label for pattern in PATTERNS):
                if label not in slots:
                    slots[label] = len(self.patterns) + len(extra)
                    extra.append(label)
                self._credential_slots.add(slots[label])
        self._slots = slots
        self.names: tuple[str, ...] = tuple(pattern_names) + tuple(extra)
        self.replacements: dict[str, str] = {
            name: replacement.format(name=name) for name in set(self.names)
        }
        self.max_length = max(map(len, self.patterns), default=0)
        # Longer than any match in the view, any credential prefix, and any entity or markup command.
        self._view_margin = max(self.max_length, 64) + 64
        # Whether a number's digits can hold a match: only then are numbers in data looked at.
        self.numeric = any(_NUMERIC.issuperset(p) for p in self.patterns)
        self.active = bool(self.patterns) or credentials
        self._memo = Memo()
        # Credential prefixes ride in the same automaton, after the keys: one scan finds both.
        self._prefix_base = len(self._keys)
        prefixes = [prefix.encode(_ENCODING) for prefix, _ in PREFIXES] if credentials else []
        # Then the prefixes that hold whitespace as the whitespace-free view shows them: found
        # there, they send the search for credentials to the text itself.
        spaced = [marker.encode(_ENCODING) for marker in _SPACED_PREFIXES] if credentials else []
        self._spaced_base = self._prefix_base + len(prefixes)
        encoded = [k.encode(_ENCODING, _ERRORS) for k in self._keys]
        self._scanner = KeyScanner(encoded + prefixes + spaced)
        self._starts_built: _Starts | None = None

    @property
    def _starts(self) -> _Starts:
        """The patterns sorted, and an automaton of their heads: what streams need, built on first use."""
        starts = self._starts_built
        if starts is None:
            starts = self._starts_built = _Starts.of(self.patterns)
        return starts

    def __len__(self) -> int:
        return len(self.patterns)

    def gives_away(self, index: int, tail: str) -> bool:
        """Whether a tail a stream kept because of ``index`` must be masked when it cannot wait longer.

        The start of a form, as written, is (so a secret printed in pieces
        shows at most its first three characters). The start of a fragment
        window is only if it holds specific characters of its secret: a
        word like ``test`` that also begins a window stays a word. The
        start of a credential shape is once it has a body (``SKIPPED`` and
        ``ASIA`` are words too). Text kept only because the read-back view
        joins it to what may come is never: the stream still matches what
        follows against it.
        """
        if index == VIEW_ONLY:
            return False
        if index >= len(self.patterns):
            return len(tail) >= CREDENTIAL_FLUSH_MIN
        threshold = specific_threshold(self.fragment_length)
        ordered, order, _ = self._starts
        at = bisect_left(ordered, tail)
        while at < len(ordered) and ordered[at].startswith(tail):
            index = order[at]
            if index < self._form_total:
                return True
            for sid, offset in self._key_refs[self._window_keys[index]]:
                if offset != _CROWDED and self._sources[sid].specific_in(offset, offset + len(tail)) >= threshold:
                    return True
            at += 1
        return False

    def find_all(self, text: str) -> list[Match]:
        """Every region to mask: (start, end, name slot), overlapping ones included, in no particular order.

        Forms and fragments are found in the text as sent, then in what a
        reader sees of it (colours dropped, ``\\r`` applied, tags stripped,
        lines joined); a match in that view is mapped back onto the
        characters that were sent. The view is searched with what was
        found in the text already blanked out, so that a secret printed
        plainly costs no position map.
        """
        if not text or not self.active:
            return []
        # Each property once: on a large display every pass over the text counts.
        edits, markup = has_line_edits(text), has_markup(text)
        if not (edits or markup or has_spacing(text)):
            return self._find_direct(text)
        if not (edits or markup or has_literal_joins(text)):
            return self._find_unspaced(text)
        hits = self._hits(text)
        matches = self._split_hits(text, hits)
        # A credential may run on far past the places the view changes: with any of their
        # prefixes in the text, the view is read whole.
        prefixed = any(index >= self._prefix_base for _, _, index in hits)
        matches.extend(self._find_read_back(text, matches, whole=prefixed, traits=(edits, markup)))
        return matches

    def _find_unspaced(self, text: str) -> list[Match]:
        """One search of the text without its whitespace, which finds all a search of the text would.

        Every form and fragment also exists without whitespace, so a
        secret printed plainly is found there as well as one a formatter
        broke over lines. Credential shapes (a PEM block spans lines) are
        looked for in the text itself.
        """
        if not self._keys:
            # Nothing registered: only credential shapes, and those are looked for as written.
            return self._credentials_in(text, [], find_credentials(text)) if self._credentials else []
        view = Unspaced(text)
        if view.ascii:
            size = chunk_size(len(text))
            if size is None:
                raw_hits = self._scan(view.data)  # type: ignore[arg-type]
            else:  # made and searched a chunk at a time, the search on another core
                raw_hits = self._scanner.scan_chunks(view.chunks(size))
            hits = [(start, end, index) for index, start, end in raw_hits]
        else:
            hits = self._hits(view.text)
        base = self._prefix_base
        key_hits = [hit for hit in hits if hit[2] < base]
        found = []
        for start, end, slot in self._resolve(view.text, key_hits) if key_hits else ():
            begin, finish = view.span(start, end)
            # Read without spaces, a match may have run on into the next word by chance.
            trimmed = _trim_chance_edges(text, begin, finish)
            if trimmed != (begin, finish):
                if trimmed[1] - trimmed[0] < self.fragment_length:
                    continue
                begin, finish = trimmed
            found.append((begin, finish, slot))
        # A credential starts where one of its prefixes stands in the text, and so in the view
        # (whitespace and all, for the prefixes that hold some): with none in the view, a
        # search of the text finds none.
        if self._credentials and len(key_hits) < len(hits):
            credentials = credentials_at(text, self._prefixes_from_view(text, view, hits))
            found.extend(self._credentials_in(text, found, credentials))
        return found

    def _prefixes_from_view(self, text: str, view: Unspaced, hits: list[Match]) -> list[tuple[int, int]]:
        """The credential prefixes in ``text`` (prefix index, start), from those the search of its view found.

        Every prefix written in the text shows in the view, and where the
        view shows one the text has it too unless whitespace splits it:
        so the places the view's hits stand for, checked against the text,
        are the prefixes a search of the text would find. With a prefix
        that holds whitespace among them, or more hits than are worth
        mapping back one by one, the text is searched after all.
        """
        base, spaced = self._prefix_base, self._spaced_base
        found = [(index - base, start) for start, _, index in hits if index >= base]
        if len(found) > _VIEW_PREFIXES_MAX or any(index >= spaced - base for index, _ in found):
            return prefix_hits(text)
        prefixes = []
        for index, start in found:
            at = view.origin(start)
            if text.startswith(PREFIXES[index][0], at):
                prefixes.append((index, at))
        return prefixes

    def _find_direct(self, text: str, view: bool = False) -> list[Match]:
        if not self._scanner:
            return []
        return self._split_hits(text, self._hits(text), view)

    def _split_hits(self, text: str, hits: list[Match], view: bool = False) -> list[Match]:
        """Forms and verified fragments from pattern hits, credentials from prefix hits."""
        base = self._prefix_base
        spaced = self._spaced_base
        prefixes = [(index - base, start) for start, _, index in hits if base <= index < spaced]
        found = self._resolve(text, [hit for hit in hits if hit[2] < base] if self._credentials else hits)
        if prefixes:
            found.extend(self._credentials_in(text, found, credentials_at(text, prefixes), view))
        return found

    def _hits(self, text: str) -> list[Match]:
        if text.isascii():
            hits = self._scan(text.encode("ascii"))
            return [(start, end, index) for index, start, end in hits]
        raw = text.encode(_ENCODING, _ERRORS)
        hits = self._scan(raw)
        if not hits:
            return []
        return _to_char_offsets(raw, hits)

    def _resolve(self, text: str, hits: list[Match]) -> list[Match]:
        """Key hits turned into matches: whole forms compared around their key, windows verified into runs.

        Forms come first: where a form and a fragment run cover the same
        characters, the form's own name is the one shown.
        """
        forms: list[Match] = []
        runs: list[Match] = []
        reached: dict[int, int] = {}  # source -> end of the furthest run found so far
        length, window = self.fragment_length, self._window
        threshold = specific_threshold(length)
        patterns = self.patterns
        hits = sorted(hits)
        for start, _, at in hits:
            for index, offset in self._key_forms[at]:
                form = patterns[index]
                begin = start - offset
                if begin >= 0 and text.startswith(form, begin):
                    forms.append((begin, begin + len(form), index))
        # A window inside a whole form found already needs no verifying: a secret printed
        # plainly would otherwise be checked against every secret sharing one of its windows.
        covered = _merged(forms)
        region = 0
        for start, end, at in hits:
            refs = self._key_refs[at]
            if not refs:
                continue
            while region < len(covered) and covered[region][1] < end:
                region += 1
            if region < len(covered) and covered[region][0] <= start:
                continue
            for sid, offset in refs:
                if reached.get(sid, -1) >= end:
                    continue  # inside a run of this source found already
                source = self._sources[sid]
                if offset == _CROWDED:
                    run_start, run_end, specific = verify_by_search(text, start, window, source)
                else:
                    run_start, run_end, specific = verify(text, start, window, source, offset)
                if run_end - run_start >= length and specific >= threshold:
                    runs.append((run_start, run_end, self._slots[source.name]))
                    reached[sid] = max(reached.get(sid, -1), run_end)
        return forms + runs

    def _credentials_in(
        self, text: str, found: list[Match], credentials: list[tuple[int, int, str]], view: bool = False
    ) -> list[Match]:
        """Credential-shaped strings; where one overlaps a registered secret, it takes that secret's name.

        A registered PEM key is found by its lines and by its shape: the
        user's own key name is the better label. In a read-back view, one
        that overlaps a registered secret is left to it: the view joins
        what it reads, and a token shape would run on into the next item
        (``['sk-test-...', 'other']`` reads ``sk-test-...other``).
        """
        out: list[Match] = []
        covered = _merged(found, named=True)
        for start, end, label in credentials:
            at = bisect_right(covered, [start, float("inf")]) - 1
            if at >= 0 and covered[at][0] <= start and end <= covered[at][1]:
                continue
            # The first registered match it overlaps names it, else its own label.
            if at < 0 or covered[at][1] <= start:
                at += 1
            overlaps = at < len(covered) and covered[at][0] < end
            if overlaps and view:
                continue
            out.append((start, end, covered[at][2] if overlaps else self._slots[label]))
        return out

    def _find_read_back(
        self, text: str, direct: list[Match], whole: bool = True, traits: tuple[bool, bool] | None = None
    ) -> list[Match]:
        """Matches in the read-back views of ``text``, mapped back onto it.

        A text with markup is read as HTML; one with escape sequences or
        line edits as a terminal shows it (where ``<tZ>`` inside a password
        is no tag); a text with both, both ways. Each view is first built
        and searched whole, which is cheap; only if it holds a match is it
        built again block by block with the position map. Unless told to
        read it ``whole``, a large text that the view changes in a few places
        is first read back only around those places. ``traits`` are
        ``text``'s line edits and markup, when the caller knows them.
        """
        # Whole forms and credentials are final; a fragment run is left in place, as the view may extend it.
        blanked, regions = _blank(text, [m for m in direct if m[2] < self._form_total or m[2] in self._credential_slots])
        if traits is None or blanked is not text:
            traits = has_line_edits(blanked), has_markup(blanked)
        edits, markup_seen = traits
        readings = []
        if markup_seen:
            readings.append(True)
        if edits or not readings:
            readings.append(False)
        out: list[Match] = []
        for markup in readings:
            if not self._view_may_match(blanked, markup, whole or edits):
                continue
            for offset, block in blocks(blanked):
                view = view_text(block, markup)
                if not view or not self._direct_in_view(view):
                    continue
                mapped = ReadBack(block, offset, markup)
                for start, end, slot in self._find_direct(mapped.text, view=True):
                    for run_start, run_end in mapped.runs(start, end):
                        out.append((_unblank(regions, run_start), _unblank(regions, run_end), slot))
        return out

    def _direct_in_view(self, view: str) -> bool:
        return bool(self._find_direct(view, view=True))

    def _view_may_match(self, blanked: str, markup: bool, whole: bool) -> bool:
        """Whether the view of ``blanked`` may hold a match; a large text is read only where the view changes it.

        ``whole`` reads the whole view: for a credential prefix in the text, or line edits, which move what follows them.
        """
        near = None
        if not whole and len(blanked) >= SPARSE_VIEW_MIN:
            most = max(16, len(blanked) // (16 * self._view_margin))
            near = changed_neighbourhoods(blanked, markup, self._view_margin, most)
        if near is None:
            return self._direct_in_view(view_text(blanked, markup))
        if not near:
            return False
        view = view_text(near, markup)
        hits = self._hits(view)
        # A credential prefix may start one that runs on past its neighbourhood: read the whole view.
        if any(index >= self._prefix_base for _, _, index in hits):
            return True
        return bool(self._split_hits(view, hits, True))

    def _scan(self, raw: bytes) -> list[tuple[int, int, int]]:
        """(key index, start, end) of every key in ``raw``, in byte offsets."""
        return self._scanner.scan(raw)

    def replace(self, text: str) -> str:
        """``text`` with every match replaced; the very same object when nothing matched.

        A large text masked lately by this matcher is not scanned again (see :mod:`.memo`).
        """
        masked = self._memo.get(text)
        if masked is None:
            masked = self._replace(text)
            self._memo.put(text, masked)
        return masked

    def _replace(self, text: str) -> str:
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
        search per candidate start. A credential shape still being written
        (see :func:`.patterns.open_credential`) is held the same way; the
        index returned for it is its label's name slot.
        """
        held = self._open_form(text, lo)
        if self.patterns:
            seen = self._open_in_view(text, lo)
            if seen is not None and (held is None or seen[0] < held[0]):
                held = seen
        if self._credentials:
            credential = open_credential(text)
            if credential is not None and credential[0] >= lo and (held is None or credential[0] < held[0]):
                held = (credential[0], self._slots[credential[1]])
        return held

    def _open_in_view(self, text: str, lo: int) -> tuple[int, int] | None:
        """Where text starts that only the read-back view may yet join to what comes next.

        Two cases. A line still open after a ``\\r``: the next write
        overwrites its start, and the reader sees both writes as one line.
        And the start of a form that shows in the view though not as
        written: ``sk-test-9f\\n`` ends in a line break, so no form continues
        it, yet read back the next write's ``K2xQ...`` joins it; such a start
        is held once at least VIEW_HOLD_MIN characters of it show (shorter
        ones would hold back the end of every line). The index returned is
        :data:`VIEW_ONLY`: on flush such text is written as it is.
        """
        start = max(lo, len(text) - _VIEW_TAIL)
        tail = text[start:]
        line = tail.rfind("\n") + 1
        if "\r" in tail[line:] and tail[line:].strip("\r"):
            return start + line, VIEW_ONLY
        if not (has_line_edits(tail) or "\n" in tail or "\t" in tail):
            return None
        view = view_text(tail, False)
        found = self._open_form(view, 0)
        if found is None or len(view) - found[0] < VIEW_HOLD_MIN:
            return None
        mapped = ReadBack(tail, start, False)
        return min(mapped.starts[found[0] :]), VIEW_ONLY

    def _open_form(self, text: str, lo: int) -> tuple[int, int] | None:
        n = len(text)
        lo = max(lo, n - self.max_length + 1, 0)
        if lo >= n:
            return None
        candidates: list[int] = []
        heads = self._starts.heads
        if heads is not None and n - lo >= _HEAD:
            tail = text[lo:]
            if tail.isascii():
                starts = [start for _, start, _ in heads.find_matches_as_indexes(tail.encode("ascii"), overlapping=True)]
            else:  # bytes, like every other search: a lone surrogate in output must not break masking
                raw = tail.encode(_ENCODING, _ERRORS)
                hits = heads.find_matches_as_indexes(raw, overlapping=True)
                starts = [start for start, _, _ in _to_char_offsets(raw, hits)] if hits else []
            candidates = sorted(lo + start for start in starts)
        candidates.extend(range(max(lo, n - _HEAD + 1), n))
        for start in candidates:
            index = self._continued_by(text[start:])
            if index is not None:
                return start, index
        return None

    def _continued_by(self, prefix: str) -> int | None:
        # Sorted order puts the patterns that start with ``prefix`` right after it.
        ordered, order, _ = self._starts
        at = bisect_left(ordered, prefix)
        if at < len(ordered) and ordered[at] == prefix:
            at += 1
        if at < len(ordered) and ordered[at].startswith(prefix):
            return order[at]
        return None


class _Starts(NamedTuple):
    """The patterns in sorted order (with their indexes), and an automaton of their first characters."""

    ordered: list[str]
    order: list[int]
    heads: ahocorasick_rs.BytesAhoCorasick | None

    @classmethod
    def of(cls, patterns: tuple[str, ...]) -> _Starts:
        order = sorted(range(len(patterns)), key=patterns.__getitem__)
        heads = sorted({p[:_HEAD].encode(_ENCODING, _ERRORS) for p in patterns if len(p) > _HEAD})
        automaton = ahocorasick_rs.BytesAhoCorasick(heads, matchkind=ahocorasick_rs.MATCHKIND_STANDARD) if heads else None
        return cls([patterns[i] for i in order], order, automaton)


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


_CHANCE_EDGE = 3
"""Longest piece past a space a fragment run may pick up by chance (the next word starts like the secret goes on)."""
_WHITESPACE = re.compile(r"\s")


def _trim_chance_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """A match found without whitespace, less a short edge piece that only begins the next word.

    Read without spaces, ``... K2m P4x`` continues a secret across the
    space, as it should; but so does ``...K2m Pork`` when the secret goes
    on with a ``P``. A piece of at most _CHANCE_EDGE characters beyond the
    last (or before the first) space of the run, inside a longer word, is
    that chance, and is left out.
    """
    gaps = [m.start() for m in _WHITESPACE.finditer(text, start, end)]
    if not gaps:
        return start, end
    last = gaps[-1] + 1
    if end - last <= _CHANCE_EDGE and end < len(text) and not text[end].isspace():
        end = gaps[-1]
        while end > start and text[end - 1].isspace():
            end -= 1
    first = gaps[0]
    if first - start <= _CHANCE_EDGE and start > 0 and not text[start - 1].isspace() and first < end:
        start = first
        while start < end and text[start].isspace():
            start += 1
    return start, end


_ANCHOR_TRIES = 64


def _anchor_offset(form: str, uses: dict[str, int]) -> int:
    """Where in ``form`` its key starts: the least shared of a few places, its end first.

    Forms of different secrets often end alike (800 connection URLs to one
    host); a key they all share would make every hit compare all of them.
    At most :data:`_ANCHOR_TRIES` places are tried: in a long periodic value
    every place is as shared as the next.
    """
    last = len(form) - ANCHOR
    if last <= 0:
        return 0
    best, best_uses = last, uses.get(form[last:], 0)
    for offset in range(0, min(last, _ANCHOR_TRIES * (ANCHOR // 2)), ANCHOR // 2):
        if best_uses == 0:
            break
        count = uses.get(form[offset : offset + ANCHOR], 0)
        if count < best_uses:
            best, best_uses = offset, count
    return best


def _merged(matches: list[Match], named: bool = False) -> list[list[int]]:
    """The union of the matches' spans as sorted, disjoint [start, end] lists (touching spans join).

    With ``named``, each list also holds the slot of the match that starts it: [start, end, slot].
    """
    merged: list[list[int]] = []
    for s, e, slot in sorted(matches):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, slot] if named else [s, e])
    return merged


_BLANK = "\0"
"""What a region already found becomes before the view is built: one character no form contains."""


def _blank(text: str, matches: list[Match]) -> tuple[str, list[tuple[int, int, int]]]:
    """``text`` with each merged match region replaced by one blank character.

    Returns the blanked text and, per region, (blanked position, start, end) in ``text``.
    """
    if not matches:
        return text, []
    merged = _merged(matches)
    out: list[str] = []
    regions: list[tuple[int, int, int]] = []
    pos = 0
    shift = 0
    for s, e in merged:
        out.append(text[pos:s])
        regions.append((s - shift, s, e))
        out.append(_BLANK)
        shift += (e - s) - 1
        pos = e
    out.append(text[pos:])
    return "".join(out), regions


def _unblank(regions: list[tuple[int, int, int]], pos: int) -> int:
    """A position in blanked text back in the original text (a blank stands for its whole region)."""
    if not regions:
        return pos
    at = bisect_right(regions, (pos, float("inf"), 0)) - 1
    if at < 0:
        return pos
    blank_pos, start, end = regions[at]
    if pos == blank_pos:
        return start
    return pos - blank_pos - 1 + end
