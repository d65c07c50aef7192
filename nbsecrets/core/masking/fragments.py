"""Pieces of a secret: which runs of its characters give it away, and how to find them.

Output rarely shows a secret whole: a pandas cell or ``%whos`` truncates it,
code prints ``S[1:]``, a loop types it out with ``\\r``. Any run of at least
``fragment_length`` consecutive characters of a secret is therefore masked,
provided the run is specific to that secret: the scheme and host of a
connection URL, dictionary-like words, digits such as a port, and runs of
one character are everyday text, and masking them would hide ordinary
output everywhere the secret's neighbours appear.

Finding every such run with one automaton pattern per run would cost a
pattern per character of every secret. Instead the automaton holds shorter
windows (``window`` characters) at a stride such that every run of
``fragment_length`` characters contains a whole window, and a window hit is
verified by extending it in both directions against the secret. Windows
that are ordinary text are left out; near the border of ordinary text every
offset is kept, so that a run with specific characters always contains a
kept window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from operator import sub

DEFAULT_FRAGMENT_LENGTH = 12

_MAX_WINDOW = 8
_MIN_DISTINCT = 3
"""A window with fewer distinct characters (``vvvvvvvv``, ``abababab``) is never specific."""

_SCHEME_HOST = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://"  # scheme (bounded: no quadratic scan)
    r"|(?<=[@/])[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,16}(?::[0-9]{1,5})?"  # host.name[:port] after // or @
    r"|(?<=[@/])localhost(?::[0-9]{1,5})?"
)
_PERIODIC = re.compile(r"(.)\1{2,}|(..)\2{2,}", re.S)
"""Runs of one character (``-----``) or of a repeated pair (``ababab``): never specific."""
_TOKEN = re.compile(r"[^\W_]+")
"""A run of characters ``str.isalnum`` holds (``\\w`` is those and ``_``)."""
_SEPARATORS = frozenset("-_./:,;=@\"'()[]{}\\")
_SPECIFIC_OTHER = re.compile(rf"[^\w\s{re.escape(''.join(sorted(_SEPARATORS)))}]+")
"""Runs of what is neither alphanumeric, nor a separator, nor whitespace (``\\w`` is ``str.isalnum`` and ``_``)."""
_FLIP = bytes.maketrans(b"\0\1", b"\1\0")
_VOWELS = "aeiouyAEIOUY"
_NO_VOWELS = str.maketrans("", "", _VOWELS)
_CONSONANT_RUN = re.compile(f"[^{_VOWELS}]{{5}}")
"""Five letters without a vowel: no word is spoken like that."""


def specific_threshold(fragment_length: int) -> int:
    """Specific characters a run needs before it is masked as a fragment."""
    return max(2, fragment_length // 4)


def window_plan(fragment_length: int) -> tuple[int, int]:
    """(window, stride): every run of ``fragment_length`` characters holds one whole aligned window."""
    window = min(_MAX_WINDOW, fragment_length)
    return window, fragment_length - window + 1


def specific_mask(value: str) -> bytes:
    """One byte per character of ``value``: 1 where the character is specific to the secret.

    Everything is specific except ordinary text: a URL scheme or host (and
    port), a word-like token (pronounceable letters in one case pattern), a
    number of up to four digits, a run of one repeated character, and the
    separators and quotes that join such things (``-_./:,;=@"'()[]{}\\``
    and whitespace). Other punctuation is specific: in a password like
    ``Xq7#v9&Lm2`` it is as random as the letters.
    """
    n = len(value)
    flags = bytearray(n)
    ordinary = bytearray(n)
    for match in _SCHEME_HOST.finditer(value):
        ordinary[match.start() : match.end()] = b"\1" * (match.end() - match.start())
    for match in _PERIODIC.finditer(value):
        ordinary[match.start() : match.end()] = b"\1" * (match.end() - match.start())
    # Each run is specific where it is not ordinary: the flags are the run's ordinary bytes flipped.
    for match in _SPECIFIC_OTHER.finditer(value):
        i, j = match.span()
        flags[i:j] = ordinary[i:j].translate(_FLIP)
    judged: dict[str, bool] = {}  # a long value repeats its tokens (``sk-test-sk-test-...``)
    for match in _TOKEN.finditer(value):
        token = match.group()
        ordinary_token = judged.get(token)
        if ordinary_token is None:
            ordinary_token = judged[token] = _ordinary_token(token)
        if not ordinary_token:
            i, j = match.span()
            flags[i:j] = ordinary[i:j].translate(_FLIP)
    return bytes(flags)


def _ordinary_token(token: str) -> bool:
    if token.isdigit():
        return len(token) <= 4
    if token.isalpha():
        return _ordinary_word(token)
    # A word with a short number after it: oauth2, v1, sha256, utf8, x86.
    letters = token.rstrip("0123456789")
    digits = len(token) - len(letters)
    return letters.isalpha() and digits <= 3 and (len(letters) == 1 or _ordinary_word(letters))


def _ordinary_word(token: str) -> bool:
    if len(token) == 1:
        return True  # a single letter: a path's /o/, a list's a) b)
    if not (token.islower() or token.isupper() or (token[0].isupper() and token[1:].islower())):
        return False
    return _pronounceable(token)


def _pronounceable(word: str) -> bool:
    vowels = len(word) - len(word.translate(_NO_VOWELS))
    if len(word) == 2:
        return vowels > 0
    if vowels * 5 < len(word):
        return False
    return _CONSONANT_RUN.search(word) is None


@dataclass(frozen=True)
class Source:
    """A text whose runs are fragments: a secret value, or the same value without whitespace."""

    text: str
    name: str
    specific: bytes
    prefix: tuple[int, ...]
    """Cumulative count of specific characters: ``prefix[j] - prefix[i]`` for ``text[i:j]``."""

    @classmethod
    def of(cls, text: str, name: str) -> Source:
        specific = specific_mask(text)
        return cls(text, name, specific, tuple(accumulate(specific, initial=0)))

    def specific_in(self, start: int, end: int) -> int:
        return self.prefix[end] - self.prefix[start]


def windows(source: Source, fragment_length: int) -> list[tuple[str, int]]:
    """(window text, offset) of the windows of ``source`` to search for."""
    window, stride = window_plan(fragment_length)
    text = source.text
    prefix = source.prefix
    if not prefix[-1]:
        return []  # nothing specific, no window kept
    # Specific characters in each window, for all offsets at once.
    counts = list(map(sub, prefix[window:], prefix[: len(prefix) - window]))
    out: list[tuple[str, int]] = []
    for q in [q for q, count in enumerate(counts) if count and (count < window or not q % stride)]:
        # Inside specific text the stride suffices; near ordinary text every offset is kept.
        piece = text[q : q + window]
        if len(set(piece)) < _MIN_DISTINCT:
            continue
        out.append((piece, q))
    return out


class SourceCache:
    """Each fragment source with its windows, kept from one build of the automaton to the next.

    Registering one more secret rebuilds the automaton for all of them;
    with this, the per-secret work (which characters are specific, which
    windows to search for) is done for the new one alone. Only what the
    last build used is kept, so a value no longer registered is let go.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str, int], tuple[Source, list[tuple[str, int]]]] = {}
        self._used: dict[tuple[str, str, int], tuple[Source, list[tuple[str, int]]]] = {}

    def get(self, text: str, name: str, fragment_length: int) -> tuple[Source, list[tuple[str, int]]]:
        """The source for ``text`` under ``name``, and its windows for ``fragment_length``."""
        key = (text, name, fragment_length)
        found = self._used.get(key) or self._kept.get(key)
        if found is None:
            source = Source.of(text, name)
            found = (source, windows(source, fragment_length))
        self._used[key] = found
        return found

    def settle(self) -> None:
        """End a build: keep what it used, drop the rest."""
        self._kept, self._used = self._used, {}


def verify(text: str, at: int, window: int, source: Source, offset: int) -> tuple[int, int, int] | None:
    """Extend a window hit at ``text[at:at+window]`` (``source.text[offset:]``) into the whole run.

    Returns (start, end, specific count) of the run in ``text``.
    """
    src = source.text
    left = 0
    while at - left > 0 and offset - left > 0 and text[at - left - 1] == src[offset - left - 1]:
        left += 1
    right = 0
    limit_text, limit_src = len(text) - at - window, len(src) - offset - window
    while right < limit_text and right < limit_src and text[at + window + right] == src[offset + window + right]:
        right += 1
    start, end = at - left, at + window + right
    return start, end, source.specific_in(offset - left, offset + window + right)


def verify_by_search(text: str, at: int, window: int, source: Source) -> tuple[int, int, int]:
    """Like :func:`verify`, for a window that occurs in ``source`` at more places than were kept.

    The run is grown by searching the source for it (binary search on its
    length, each step one substring search), so a window repeated a
    thousand times in a periodic secret costs a few searches, not a
    thousand comparisons.
    """
    src = source.text
    lo, hi = at + window, min(len(text), at + len(src))
    while lo < hi:  # the longest end with text[at:end] in src
        mid = (lo + hi + 1) // 2
        if text[at:mid] in src:
            lo = mid
        else:
            hi = mid - 1
    end = lo
    lo, hi = 0, min(at, len(src) - (end - at))
    while lo < hi:  # the longest step back with text[at - step:end] in src
        mid = (lo + hi + 1) // 2
        if text[at - mid : end] in src:
            lo = mid
        else:
            hi = mid - 1
    start = at - lo
    offset = src.find(text[start:end])
    return start, end, source.specific_in(offset, offset + end - start)
