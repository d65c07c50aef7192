"""The read-back view: what a reader sees of a text, and where each shown character came from."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets.core.masking import readback
from nbsecrets.core.masking.readback import (
    ReadBack,
    Unspaced,
    blocks,
    has_line_edits,
    has_literal_joins,
    has_markup,
    has_spacing,
    view_text,
)


def needs_view(text: str) -> bool:
    """What ``Matcher.find_all`` asks before reading a view at all: any whitespace inside, or a transforming character."""
    return has_spacing(text) or has_line_edits(text) or has_markup(text)


def only_spacing(text: str) -> bool:
    """What it asks before reading the view as the text without whitespace (``Unspaced``)."""
    return not (has_line_edits(text) or has_markup(text) or has_literal_joins(text))


def shown(text: str) -> str:
    return ReadBack(text).text


def spans(text: str) -> list[tuple[int, int]]:
    rb = ReadBack(text)
    return list(zip(rb.starts, rb.ends))


# -- each transform --------------------------------------------------------


@pytest.mark.parametrize(
    "text, view",
    [
        ("ab\x1b[31mcd\x1b[0mef", "abcdef"),  # CSI colours
        ("ab\x1b[2Kcd\x1b[1;5Hef", "abcdef"),  # CSI erase / cursor
        ("x\x1b]8;;http://example.test/\x07link\x1b]8;;\x07y", "xlinky"),  # OSC 8 hyperlink, BEL end
        ("x\x1b]0;title\x1b\\y", "xy"),  # OSC title, ST end
        ("a\x1bMb\x1bDc", "abc"),  # two-character escapes (reverse index, index)
    ],
)
def test_ansi_sequences_are_dropped(text: str, view: str) -> None:
    assert shown(text) == view
    assert view_text(text) == view


def test_carriage_return_overwrites_the_line() -> None:
    assert shown("abcdef\rXY") == "XYcdef"
    assert shown("abc\rXYZW") == "XYZW"
    assert shown("abc\r\r\rX") == "Xbc"
    # Only the current line is overwritten.
    assert shown("one\ntwo\rT") == "oneTwo"


def test_crlf_is_a_line_break_not_an_overwrite() -> None:
    assert shown("abc\r\ndef") == "abcdef"
    assert shown("abc\r\r\ndef") == "abcdef"
    assert spans("ab\r\ncd") == [(0, 1), (1, 2), (4, 5), (5, 6)]


def test_backspace_deletes_the_character_before() -> None:
    assert shown("abc\b\bX") == "aX"
    assert shown("ab\bc\b\b\bX") == "X"
    # At the start of a line there is nothing to delete.
    assert shown("\b\bab") == "ab"
    assert shown("ab\n\bcd") == "abcd"


def test_tags_are_dropped() -> None:
    assert shown("<b>ab</b><span class='x'>cd</span>") == "abcd"
    assert shown('<a href="http://x.test/">ef</a>') == "ef"
    # A lone angle bracket is text.
    assert shown("a < b") == "a<b"


@pytest.mark.parametrize(
    "text, view",
    [
        ("&amp;&lt;&gt;&quot;", '&<>"'),  # named
        ("&#115;&#107;", "sk"),  # decimal
        ("&#x73;&#X6B;", "sk"),  # hex
        ("&lt", "<"),  # without the semicolon, as browsers accept
        ("&zzunknown;", "&zzunknown;"),
    ],
)
def test_entities_are_decoded(text: str, view: str) -> None:
    assert shown(text) == view
    assert view_text(text) == view


def test_an_entity_maps_to_its_whole_original_span() -> None:
    rb = ReadBack("x&#115;y")
    assert rb.text == "xsy"
    assert (rb.starts[1], rb.ends[1]) == (1, 7)


def test_pprint_adjacent_literals_are_joined() -> None:
    assert shown("('sk-test-ab'\n 'cdef')") == "('sk-test-abcdef')"
    assert shown('x = ("abc"\n     "def")') == 'x=("abcdef")'
    assert shown("'abc' \r\n  'def'") == "'abcdef'"
    # Different quotes are not one literal.
    assert shown("'abc'\n\"def\"") == "'abc'\"def\""


def test_whitespace_is_dropped() -> None:
    assert shown("  ab\n    cd\tef \f\v gh\n") == "abcdefgh"


def test_combined_transforms() -> None:
    text = "<td>\x1b[1msk-te&#115;t</td>\n  <td>-a\tb</td>\r\n"
    assert shown(text) == "sk-test-ab"
    assert view_text(text) == "sk-test-ab"


# -- needs_view / only_spacing ---------------------------------------------------


def test_needs_view() -> None:
    assert not needs_view("one-word")
    assert not needs_view("one-word\n")  # a trailing newline only
    assert needs_view("plain text line")  # " ".join(S) reads back as S
    assert needs_view("two\nlines")
    for trigger in ("\r", "\b", "\x1b", "<", "&", "\t"):
        assert needs_view(f"a{trigger}b"), repr(trigger)


def test_only_spacing() -> None:
    assert only_spacing("a\n  b\tc")
    assert only_spacing("'a'\n\"b\"")
    assert not only_spacing("'a'\n 'b'")
    for markup in ("\r", "\b", "\x1b", "<", "&"):
        assert not only_spacing(f"a{markup}b"), repr(markup)


# -- runs: mapping view spans back ----------------------------------------


def _find(rb: ReadBack, needle: str) -> tuple[int, int]:
    at = rb.text.index(needle)
    return at, at + len(needle)


def test_runs_join_across_ansi_and_whitespace() -> None:
    text = "key: sk-te\x1b[31mst-ab\x1b[0m\n    cdef end"
    rb = ReadBack(text)
    start, end = _find(rb, "sk-test-abcdef")
    runs = rb.runs(start, end)
    assert runs == [(text.index("sk"), text.index("cdef") + 4)]


def test_runs_do_not_join_across_tags() -> None:
    text = "<td>sk-test</td><td>-abcdef</td>"
    rb = ReadBack(text)
    runs = rb.runs(*_find(rb, "sk-test-abcdef"))
    assert [text[s:e] for s, e in runs] == ["sk-test", "-abcdef"]


def test_runs_join_across_pprint_quotes() -> None:
    text = "('sk-test-ab'\n 'cdef')"
    rb = ReadBack(text)
    runs = rb.runs(*_find(rb, "sk-test-abcdef"))
    assert [text[s:e] for s, e in runs] == ["sk-test-ab'\n 'cdef"]


def test_runs_after_carriage_return_are_out_of_order() -> None:
    text = "AAAAAAAAAAcdef\rsk-test-ab"
    rb = ReadBack(text)
    assert rb.text == "sk-test-abcdef"
    runs = rb.runs(0, len(rb.text))
    assert [text[s:e] for s, e in runs] == ["sk-test-ab", "cdef"]


def test_runs_of_an_entity_cover_the_entity() -> None:
    text = "sk-te&#115;t-x"
    rb = ReadBack(text)
    assert rb.runs(*_find(rb, "test")) == [(3, 12)]
    # Part of an entity's decoded text maps to the whole entity.
    rb = ReadBack("&NotEqualTilde;")
    assert len(rb.text) == 2
    assert rb.runs(1, 2) == [(0, 15)]


def test_readback_with_offset() -> None:
    rb = ReadBack("a\x1b[1mb", offset=100)
    assert rb.text == "ab"
    assert rb.runs(0, 2) == [(100, 106)]


PIECES = [
    "a", "b", "s", "k", "Z", "9", "-", "'", '"', " ", "  ", "\n", "\t", "\r", "\r\n", "\b",
    "\x1b[31m", "\x1b[0m", "\x1b]8;;http://x.test\x07", "\x1b]0;t\x1b\\", "\x1b(", "\x1b",
    "<b>", "</b>", "<br/>", "<", ">", "&", "&amp;", "&#65;", "&#x42;", "&lt;", "&gt", "&nbsp;",
    "'\n  '", '"\n "', "&#39;", "&#x27;", "&quot;", "&#10;", "\xa0", "\u2028", "\x85", "\f", "\v",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_runs_cover_exactly_the_characters_shown(text: str, data: st.DataObject) -> None:
    rb = ReadBack(text)
    assert len(rb.text) == len(rb.starts) == len(rb.ends)
    if not rb.text:
        return
    a = data.draw(st.integers(0, len(rb.text) - 1))
    b = data.draw(st.integers(a + 1, len(rb.text)))
    runs = rb.runs(a, b)
    inside = {(rb.starts[i], rb.ends[i]) for i in range(a, b)}
    # Every shown character of the span lies in a run.
    for s, e in inside:
        assert any(rs <= s and e <= re_ for rs, re_ in runs)
    # Runs are non-empty; after a carriage return they may overlap ('aa\ra\r\na'), which cover() merges.
    assert all(s < e for s, e in runs)
    # No character shown outside the span is in a run. (An entity that a carriage return puts
    # together from two writes, '&#39;a\r&gt', spans both writes: left out here.)
    if "\r" in text and "&" in text:
        return
    for j in range(len(rb.text)):
        span = (rb.starts[j], rb.ends[j])
        if span in inside:
            continue
        for rs, re_ in runs:
            assert span[1] <= rs or span[0] >= re_
    # What a run covers beyond the shown characters holds no tag.
    for rs, re_ in runs:
        hidden = [text[k] for k in range(rs, re_) if not any(s <= k < e for s, e in inside)]
        assert "<" not in hidden and ">" not in hidden


@settings(max_examples=300, deadline=None)
@given(texts, st.booleans())
def test_view_text_is_the_readback_text(text: str, markup: bool) -> None:
    assert view_text(text, markup) == ReadBack(text, markup=markup).text
    if markup:
        assert view_text(text) == ReadBack(text).text


def test_plain_reading_keeps_tags_and_entities() -> None:
    text = "pw Xq<tZ>7&amp;v9\n  Lm2"
    assert ReadBack(text, markup=False).text == view_text(text, False) == "pwXq<tZ>7&amp;v9Lm2"
    assert ReadBack(text).text == "pwXq7&v9Lm2"
    plain = "ab\x1b[1mc\rX"
    assert ReadBack(plain, markup=False).text == ReadBack(plain).text == "Xbc"


@pytest.mark.parametrize("text", ["&#39;ab&#39;\n &#39;cd&#39;", "'ab'&#10;'cd'", "&quot;ab&quot;\n&quot;cd&quot;"])
def test_view_text_is_the_readback_text_with_entity_quotes(text: str) -> None:
    # Quotes and line breaks that entities decode to join pprint literals in both.
    assert view_text(text) == ReadBack(text).text == "'abcd'".replace("'", '"' if 'quot' in text else "'")


# -- Unspaced --------------------------------------------------------------------


spacing_texts = st.lists(
    st.sampled_from(["a", "b", "Z", "9", "'", '"', "-", " ", "\n", "\t", "\f", "\v", "\xa0", "\x85", "\u2028", "\u3000", "\x1c", "  \n  "]),
    max_size=60,
).map("".join)


def _assert_unspaced_matches_readback(text: str) -> None:
    rb = ReadBack(text)
    un = Unspaced(text)
    assert un.text == rb.text
    n = len(rb.text)
    for i in range(n):
        assert un.origin(i) == rb.starts[i]
        for j in range(i + 1, n + 1):
            assert un.span(i, j) == (rb.starts[i], rb.ends[j - 1])


@settings(max_examples=300, deadline=None)
@given(spacing_texts)
def test_unspaced_agrees_with_readback_on_spacing_texts(text: str) -> None:
    if not only_spacing(text):
        return
    _assert_unspaced_matches_readback(text)


@settings(max_examples=100, deadline=None)
@given(spacing_texts)
def test_unspaced_agrees_with_readback_across_blocks(text: str) -> None:
    if not only_spacing(text):
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readback, "BLOCK", 7)
        _assert_unspaced_matches_readback(text)


@settings(max_examples=150, deadline=None)
@given(spacing_texts)
def test_unspaced_agrees_with_readback_across_map_pieces(text: str) -> None:
    """The way back is found piece by piece (for ASCII, by counting): pieces of a few characters."""
    ascii_text = text.replace("\xa0", " ").replace("\x85", "\n").replace("\u2028", "\t").replace("\u3000", " ")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readback, "MAP_BLOCK", 5)
        mp.setattr(readback, "_SUB_BLOCK", 2)
        for each in (text, ascii_text):
            if only_spacing(each):
                _assert_unspaced_matches_readback(each)


@settings(max_examples=150, deadline=None)
@given(spacing_texts, st.integers(1, 60))
def test_unspaced_made_in_chunks_maps_back_like_the_whole(text: str, size: int) -> None:
    """Made a chunk at a time (as a search on another core takes it), the view and its way back are the same."""
    ascii_text = text.replace("\xa0", " ").replace("\x85", "\n").replace("\u2028", "\t").replace("\u3000", " ")
    if not only_spacing(ascii_text):
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readback, "MAP_BLOCK", 5)
        mp.setattr(readback, "MAP_GROUP", 15)
        mp.setattr(readback, "_SUB_BLOCK", 2)
        rb = ReadBack(ascii_text)
        un = Unspaced(ascii_text)
        assert b"".join(un.chunks(size)).decode() == rb.text
        assert un.text == rb.text
        for i in range(len(rb.text)):
            assert un.origin(i) == rb.starts[i]


def test_unspaced_across_real_blocks() -> None:
    text = (" " * (readback.BLOCK - 3)) + "sk-test-abc\n   def" + "\n" * readback.BLOCK + "zz"
    un = Unspaced(text)
    assert un.text == "sk-test-abcdefzz"
    assert un.span(0, 14) == (readback.BLOCK - 3, text.index("def") + 3)
    assert un.span(14, 16) == (len(text) - 2, len(text))


# -- blocks ----------------------------------------------------------------------


def _assert_blocks_cover(text: str) -> None:
    got = list(blocks(text))
    assert got[0][0] == 0
    for offset, piece in got:
        assert text[offset : offset + len(piece)] == piece
        assert len(piece) <= readback.BLOCK + readback.OVERLAP
    assert got[-1][0] + len(got[-1][1]) == len(text)
    for (o1, p1), (o2, _) in zip(got, got[1:]):
        assert o1 < o2
        # Consecutive blocks overlap by at least OVERLAP characters.
        assert o1 + len(p1) - o2 >= readback.OVERLAP


def test_short_text_is_one_block() -> None:
    assert list(blocks("abc")) == [(0, "abc")]
    assert list(blocks("")) == [(0, "")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "bb", "\n", "xyz\n", "      "]), max_size=80).map("".join))
def test_blocks_cover_the_text_with_overlaps(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readback, "BLOCK", 16)
        mp.setattr(readback, "OVERLAP", 4)
        _assert_blocks_cover(text)


def test_blocks_of_a_large_text() -> None:
    line = "x" * 99 + "\n"
    _assert_blocks_cover(line * 3000)
    _assert_blocks_cover("y" * (3 * readback.BLOCK + 17))  # no line break to cut at


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).map(lambda b: bytes(c & 0x7F for c in b)), st.sampled_from([b"", b" ", b"\t", b"\n", b"\x0b\x1f"]))
def test_whitespace_is_deleted_alike_whichever_way(data: bytes, extra: bytes) -> None:
    """Lines without spaces are cut at their breaks, others translated: the same bytes either way."""
    data += extra
    assert readback.unspaced_bytes(data) == data.translate(None, readback._ASCII_SPACE)
