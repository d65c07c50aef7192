"""What a reader sees of a text, and where each character they see came from.

A frontend does not show the text it was sent: JupyterLab and terminals
drop ANSI escape sequences and apply ``\\r`` and ``\\b``, a browser drops
tags and decodes character entities, and a reader (or a program joining
lines) skips the line breaks and indentation that rich, pprint, textwrap and
base64 insert. A secret can hide behind any of these and still be read back
whole, so the masker also searches this read-back view, and maps each match
to the original characters it came from, so that the mask lands on the text
that was sent and everything around it stays as it was.

Whitespace is dropped altogether in the view (and so are the quotes that
pprint puts around each piece of a split string): the patterns searched in
the view are whitespace-free too. Building the view as a plain string is a
few C-level passes; the position map is built only for a block that
actually holds a match.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate

from .forms import PYGMENTS_TEX

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[ -/]*[0-~]"  # other escapes: ESC 7, ESC M, ESC ( B
)
_TAG = re.compile(r"<[^<>]*>")
# Pygments' LaTeX (the text/latex part of display(Code(...))): \PY{style}{text} and \PYZxx{} escapes.
# One pass: an escape becomes its character, a command's opening and any closing brace go.
_PYGMENTS = re.compile(r"\\PYZ([a-z]{2})\{\}|\\PY\{[^{}]*\}\{|\}")
_PYGMENTS_CHARS = {code: char for char, code in PYGMENTS_TEX.items()}
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
# pprint and black split a long string into adjacent literals, one per line; list(S) prints
# a secret as one-character items: both read back as one string.
_LITERAL_JOIN = re.compile(r"""(['"])[ \t]*\r?\n\s*\1|(['"]),[ \t]*\2""")
_SPACE = re.compile(r"\s+")

_NON_SPACE = re.compile(r"\S+")
_ASCII_SPACE = bytes(code for code in range(128) if chr(code).isspace())  # what str.split() and \\s drop

BLOCK = 64 * 1024
"""Characters of original text per view block; a match is mapped inside its block only."""

MAP_BLOCK = 4 * 1024
"""Characters of text per piece of the way back from a whitespace-free view: a match maps within its piece."""
MAP_GROUP = 16 * MAP_BLOCK
"""Characters of ASCII text whose view is made in one pass (and whose pieces are counted on demand)."""
_SUB_BLOCK = 128
"""Characters of an ASCII piece whose non-space characters are counted at once on the way back."""

OVERLAP = 8 * 1024
"""How far consecutive blocks overlap: a secret spread wider than this by markup is not seen."""


def has_spacing(text: str) -> bool:
    """Whitespace inside the text (a trailing line break alone does not count)."""
    return " " in text or "\t" in text or text.find("\n", 0, len(text) - 1) >= 0


def has_literal_joins(text: str) -> bool:
    """Adjacent string literals (pprint's split lines, ``list(S)``), which the view joins."""
    return ("'" in text or '"' in text) and _LITERAL_JOIN.search(text) is not None


class Unspaced:
    """A text with its whitespace removed, and the way back to the text.

    For output in which only whitespace separates what a reader joins (a
    wrapped line, base64 in 76 columns, an indented continuation) this is
    the whole read-back view, and one search of it finds what a search of
    the text would, and more. The way back is found per piece of
    :data:`MAP_BLOCK` characters, and only for a piece a match falls in.
    """

    def __init__(self, text: str) -> None:
        self._source = text
        self._raw: bytes | None = None
        self._text: str | None = None
        self._data: bytes | None = None
        self._chunks: list[bytes] = []
        # The view is made a group of pieces at a time: where each group starts in the text and in
        # the view, and per group (once a match falls in it) where each of its pieces starts.
        self._group_cuts: list[int] = []
        self._group_starts: list[int] = []
        self._piece_starts: dict[int, list[int]] = {}
        self._maps: dict[int, tuple[list[int], list[int]]] = {}
        self._sub_counts: dict[int, list[int]] = {}
        if text.isascii():
            self._raw = text.encode("ascii")  # deleting bytes is seven times faster than splitting
            return
        pieces = ["".join(text[cut : cut + MAP_BLOCK].split()) for cut in range(0, len(text), MAP_BLOCK)]
        self._text = "".join(pieces)
        self._group_cuts.append(0)  # one group: the pieces are counted already
        self._group_starts.append(0)
        self._piece_starts[0] = list(accumulate(map(len, pieces), initial=0))

    @property
    def ascii(self) -> bool:
        """Whether the view is built as bytes, :meth:`chunks` at a time."""
        return self._raw is not None

    def chunks(self, size: int) -> Iterator[bytes]:
        """The view of an ASCII text, made from about ``size`` bytes of the text at a time.

        A search can then run over one chunk (without the GIL) while the
        next is made: see :meth:`.scanner.KeyScanner.scan_chunks`. Each
        :data:`MAP_GROUP` of text is one C-level pass; where its pieces
        start in the view is counted only for a group a match falls in.
        """
        raw = self._raw
        assert raw is not None and not self._group_cuts, "chunks() is for an ASCII text, once"
        size = max(MAP_GROUP, size - size % MAP_GROUP)
        made = 0
        for lo in range(0, len(raw), size):
            groups = []
            for cut in range(lo, min(lo + size, len(raw)), MAP_GROUP):
                group = unspaced_bytes(raw[cut : cut + MAP_GROUP])
                self._group_cuts.append(cut)
                self._group_starts.append(made)
                made += len(group)
                groups.append(group)
            chunk = groups[0] if len(groups) == 1 else b"".join(groups)
            self._chunks.append(chunk)
            yield chunk

    @property
    def data(self) -> bytes | None:
        """The view as ASCII bytes, when the text is ASCII (joined only when asked for)."""
        if self._raw is None:
            return None
        if self._data is None:
            if not self._group_cuts and len(self._raw) <= MAP_GROUP:  # one group: most output
                self._group_cuts.append(0)
                self._group_starts.append(0)
                self._data = unspaced_bytes(self._raw)
                return self._data
            if not self._group_cuts:
                for _ in self.chunks(len(self._raw)):
                    pass
            self._data = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
            self._chunks = []
        return self._data

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode("ascii")  # type: ignore[union-attr]
        return self._text

    def origin(self, pos: int) -> int:
        """Where view character ``pos`` stands in the text."""
        group = bisect_right(self._group_starts, pos) - 1
        starts = self._pieces_of(group)
        local = pos - self._group_starts[group]
        piece = bisect_right(starts, local) - 1
        cut = self._group_cuts[group] + piece * MAP_BLOCK
        local -= starts[piece]
        if self._raw is not None:
            return cut + self._ascii_offset(cut, local)
        view_starts, text_starts = self._map(cut)
        token = bisect_right(view_starts, local) - 1
        return cut + text_starts[token] + (local - view_starts[token])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The text span behind ``view[start:end]`` (the whitespace inside it included)."""
        return self.origin(start), self.origin(end - 1) + 1

    def _pieces_of(self, group: int) -> list[int]:
        """Where each piece of an ASCII group starts in the group's view, and where the last ends."""
        starts = self._piece_starts.get(group)
        if starts is None:
            raw = self._raw
            lo = self._group_cuts[group]
            hi = min(lo + MAP_GROUP, len(raw))  # type: ignore[arg-type]
            starts = self._piece_starts[group] = _counts(raw, lo, hi, MAP_BLOCK)  # type: ignore[arg-type]
        return starts

    def _ascii_offset(self, cut: int, local: int) -> int:
        """Where, from ``cut``, the piece's ``local``-th non-space character stands.

        Found by counting, not by a map of the piece (a Python step per
        word): the non-space characters of each :data:`_SUB_BLOCK` of the
        piece are counted once (by deleting whitespace, in C), then prefix
        lengths inside the one sub-block that holds the character are
        searched by bisection. Matches cluster: a span's two ends, a prefix
        next to them, all in the same pieces.
        """
        raw = self._raw
        counts = self._sub_counts.get(cut)
        if counts is None:
            end = min(cut + MAP_BLOCK, len(raw))  # type: ignore[arg-type]
            counts = self._sub_counts[cut] = _counts(raw, cut, end, _SUB_BLOCK)  # type: ignore[arg-type]
        sub = bisect_right(counts, local) - 1
        local -= counts[sub]
        base = cut + sub * _SUB_BLOCK
        lo, hi = local, min(_SUB_BLOCK, len(raw) - base) - 1  # type: ignore[arg-type]
        while lo < hi:  # the least t with local + 1 non-space characters in raw[base : base + t + 1]
            mid = (lo + hi) // 2
            if len(raw[base : base + mid + 1].translate(None, _ASCII_SPACE)) > local:  # type: ignore[index]
                hi = mid
            else:
                lo = mid + 1
        return sub * _SUB_BLOCK + lo

    def _map(self, cut: int) -> tuple[list[int], list[int]]:
        """Where each word of the piece at ``cut`` starts, in the view and in the text (from ``cut``)."""
        found = self._maps.get(cut)
        if found is None:
            view_starts: list[int] = []
            text_starts: list[int] = []
            length = 0
            for match in _NON_SPACE.finditer(self._source, cut, cut + MAP_BLOCK):
                view_starts.append(length)
                text_starts.append(match.start() - cut)
                length += match.end() - match.start()
            found = self._maps[cut] = (view_starts, text_starts)
        return found


def _counts(raw: bytes, lo: int, hi: int, step: int) -> list[int]:
    """Non-space bytes of ``raw[lo:hi]`` before each ``step``-long piece of it, then in all of it."""
    sizes = (len(raw[at : min(at + step, hi)].translate(None, _ASCII_SPACE)) for at in range(lo, hi, step))
    return list(accumulate(sizes, initial=0))


_ASCII_SPACE_CODES = [bytes((code,)) for code in _ASCII_SPACE]


def unspaced_bytes(data: bytes) -> bytes:
    """``data`` without its ASCII whitespace.

    Deleting through a table goes byte by byte; output whose only
    whitespace is line breaks (prints of one token or word a line) is cut
    at each of them three times faster.
    """
    if b" " in data or b"\t" in data:
        return data.translate(None, _ASCII_SPACE)
    for code in _ASCII_SPACE_CODES:
        if code in data:
            data = data.replace(code, b"")
    return data


def has_line_edits(text: str) -> bool:
    """Whether a terminal or JupyterLab would show the text other than as written (escapes, ``\\r``, ``\\b``)."""
    return "\x1b" in text or "\r" in text or "\b" in text


def has_markup(text: str) -> bool:
    """Whether the text may be HTML (or Pygments' LaTeX), to be read both as markup and as plain text."""
    return "<" in text or "&" in text or ("\\" in text and "\\PY" in text)


def _decode_pygments(match: re.Match[str]) -> str:
    code = match.group(1)
    return _PYGMENTS_CHARS.get(code, match.group()) if code else ""


def view_text(text: str, markup: bool = True) -> str:
    """The read-back view as a plain string (the fast path: no position map)."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text or "\b" in text:
        text = _apply_line_edits(text)
    if markup and "<" in text:
        text = _TAG.sub("", text)
    if markup and "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    if markup and "\\PY" in text:
        text = _PYGMENTS.sub(_decode_pygments, text)
    if "'" in text or '"' in text:
        text = _LITERAL_JOIN.sub("", text)
    return "".join(text.split())


_ASCII_SPACES = tuple("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")
_SPACES = _ASCII_SPACES + tuple("\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Every character ``str.isspace()`` holds (what ``str.split()`` and the view drop)."""
_QUOTES = ("'", '"')
_MARKUP_MARKS = ("<", "&", "\\", "}")
SEPARATOR = "\0"
"""What joins neighbourhoods in :func:`changed_neighbourhoods`: no form, window or credential holds it."""


def changed_neighbourhoods(text: str, markup: bool, margin: int, most: int) -> str | None:
    """The parts of ``text`` whose view may differ from them, each with ``margin`` characters either side.

    Outside these parts the view shows the text character for character,
    so a match in the view that is not one in the text lies inside one of
    them, provided ``margin`` is at least the longest match plus the
    longest entity or markup command. Parts closer than two margins are
    one part; the parts are joined by :data:`SEPARATOR`, which no match
    crosses. A large display with a few tags is then read back in a few
    hundred characters instead of megabytes.

    None when this is no cheaper than reading the whole text: more than
    ``most`` changed places. The text must hold no line edits (see
    :func:`has_line_edits`): they move what follows them on the line.
    """
    marks = (_ASCII_SPACES if text.isascii() else _SPACES) + _QUOTES + (_MARKUP_MARKS if markup else ())
    spots: list[tuple[int, int]] = []
    for mark in marks:
        at = text.find(mark)
        while at >= 0:
            end = at + 1
            if mark == "<":
                # A tag is dropped whole: one place, however long.
                close, reopen = text.find(">", at), text.find("<", at + 1)
                if close >= 0 and (reopen < 0 or close < reopen):
                    end = close + 1
            spots.append((at, end))
            if len(spots) > most:
                return None
            at = text.find(mark, at + 1)
    if not spots:
        return ""
    spots.sort()
    parts: list[str] = []
    start, end = spots[0]
    for spot_start, spot_end in spots[1:]:
        if spot_start - end > 2 * margin:
            parts.append(text[max(0, start - margin) : end + margin])
            start = spot_start
        end = max(end, spot_end)
    parts.append(text[max(0, start - margin) : end + margin])
    return SEPARATOR.join(parts)


class ReadBack:
    """The view of a text with, for each view character, the span of original text it shows.

    With ``markup`` the text is read as HTML (tags dropped, entities
    decoded); without, as a stream or plain text is shown, where ``<tZ>``
    inside a password is just characters.

    ``starts[i]``/``ends[i]`` is the original span behind view character
    ``i``: one character usually, several for an entity such as ``&#115;``.
    After ``\\r`` the spans are no longer in order (a later character is
    shown in an earlier column).
    """

    __slots__ = ("text", "starts", "ends", "_source", "_offset", "_shown")

    def __init__(self, source: str, offset: int = 0, markup: bool = True) -> None:
        self._source = source
        self._offset = offset
        chars = list(source)
        starts = list(range(offset, offset + len(source)))
        ends = list(range(offset + 1, offset + len(source) + 1))
        if "\x1b" in source:
            chars, starts, ends = _drop(_ANSI, chars, starts, ends)
        if "\r" in source or "\b" in source:
            chars, starts, ends = _line_edits(chars, starts, ends)
        if markup and "<" in source:
            chars, starts, ends = _drop(_TAG, chars, starts, ends)
        if markup and "&" in source:
            chars, starts, ends = _decode(_ENTITY, lambda m: html.unescape(m.group()), chars, starts, ends)
        if markup and "\\PY" in source:
            chars, starts, ends = _decode(_PYGMENTS, _decode_pygments, chars, starts, ends)
        shown = "".join(chars)  # entities may have brought the quotes or line breaks
        if "'" in shown or '"' in shown:
            chars, starts, ends = _drop(_LITERAL_JOIN, chars, starts, ends)
        chars, starts, ends = _drop(_SPACE, chars, starts, ends)
        self.text = "".join(chars)
        self.starts = starts
        self.ends = ends
        # Which characters of the source the view shows: a run may only swallow what it does not.
        shown = bytearray(len(source))
        for start, end in zip(starts, ends):
            shown[start - offset : end - offset] = b"\1" * (end - start)
        self._shown = shown

    def _joinable(self, lo: int, hi: int) -> bool:
        """Whether the source between two shown characters is only dropped text, and no markup."""
        gap = self._source[lo:hi]
        return "<" not in gap and ">" not in gap and self._shown.find(1, lo, hi) == -1

    def runs(self, start: int, end: int) -> list[tuple[int, int]]:
        """The original spans behind ``view[start:end]``, as few contiguous runs as possible.

        Neighbouring characters are joined into one run when the original
        text between them is only what the view dropped and holds no markup
        (escape sequences, line breaks, indentation, literal quotes): the
        mask then replaces it too, and a secret broken by colour codes
        becomes one mask. Across a tag each piece gets its own run, so the
        markup around it stays well formed.
        """
        runs: list[tuple[int, int]] = []
        for i in range(start, end):
            s, e = self.starts[i], self.ends[i]
            if runs:
                ps, pe = runs[-1]
                if ps <= s and e <= pe:
                    continue
                if s >= pe and self._joinable(pe - self._offset, s - self._offset):
                    runs[-1] = (ps, e)
                    continue
            runs.append((s, e))
        return runs




def blocks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) blocks of at most BLOCK + OVERLAP characters, cut after a line break where possible."""
    n = len(text)
    if n <= BLOCK + OVERLAP:
        yield 0, text
        return
    start = 0
    while start < n:
        end = min(n, start + BLOCK + OVERLAP)
        yield start, text[start:end]
        if end == n:
            return
        nxt = start + BLOCK
        cut = text.rfind("\n", start + BLOCK // 2, nxt)
        start = cut + 1 if cut >= 0 else nxt


# -- transforms over (chars, starts, ends) -------------------------------------------


def _drop(pattern: re.Pattern[str], chars: list[str], starts: list[int], ends: list[int]):
    text = "".join(chars)
    keep_chars: list[str] = []
    keep_starts: list[int] = []
    keep_ends: list[int] = []
    pos = 0
    for match in pattern.finditer(text):
        a, b = match.span()
        keep_chars.extend(chars[pos:a])
        keep_starts.extend(starts[pos:a])
        keep_ends.extend(ends[pos:a])
        pos = b
    keep_chars.extend(chars[pos:])
    keep_starts.extend(starts[pos:])
    keep_ends.extend(ends[pos:])
    return keep_chars, keep_starts, keep_ends


def _decode(pattern: re.Pattern[str], decode, chars: list[str], starts: list[int], ends: list[int]):
    """Each match of ``pattern`` replaced by ``decode(match)``, every character of which shows the whole match."""
    text = "".join(chars)
    out_chars: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    pos = 0
    for match in pattern.finditer(text):
        a, b = match.span()
        decoded = decode(match)
        out_chars.extend(chars[pos:a])
        out_starts.extend(starts[pos:a])
        out_ends.extend(ends[pos:a])
        span_start, span_end = min(starts[a:b]), max(ends[a:b])
        for ch in decoded:
            out_chars.append(ch)
            out_starts.append(span_start)
            out_ends.append(span_end)
        pos = b
    out_chars.extend(chars[pos:])
    out_starts.extend(starts[pos:])
    out_ends.extend(ends[pos:])
    return out_chars, out_starts, out_ends


def _apply_line_edits(text: str) -> str:
    chars, _, _ = _line_edits(list(text), [0] * len(text), [0] * len(text))
    return "".join(chars)


def _line_edits(chars: list[str], starts: list[int], ends: list[int]):
    """Apply ``\\r`` and ``\\b`` line by line, as JupyterLab does before it shows and saves a stream.

    ``\\r\\n`` is a line break; a lone ``\\r`` returns to the start of the
    line and what follows overwrites it; ``\\b`` deletes the character before
    it on the same line.
    """
    out_chars: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    line: list[int] = []  # indexes into chars of the characters shown on the current line
    col = 0
    n = len(chars)
    i = 0

    def end_line() -> None:
        for j in line:
            out_chars.append(chars[j])
            out_starts.append(starts[j])
            out_ends.append(ends[j])

    while i < n:
        ch = chars[i]
        if ch == "\n":
            end_line()
            out_chars.append("\n")
            out_starts.append(starts[i])
            out_ends.append(ends[i])
            line, col = [], 0
        elif ch == "\r":
            j = i
            while j < n and chars[j] == "\r":
                j += 1
            if j < n and chars[j] == "\n":
                i = j
                continue  # \r\n: a plain line break
            col = 0
            i = j
            continue
        elif ch == "\b":
            if col > 0:
                del line[col - 1]
                col -= 1
        else:
            if col < len(line):
                line[col] = i
            else:
                line.append(i)
            col += 1
        i += 1
    end_line()
    return out_chars, out_starts, out_ends
