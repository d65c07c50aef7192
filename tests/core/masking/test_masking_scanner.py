"""The key scanner: every occurrence of every key, whichever automaton it builds, whole or in pieces."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets.core.masking import scanner
from nbsecrets.core.masking.scanner import HEAD, KeyScanner

AUTOMATON_SETTINGS = [{}, {"DFA_MAX_BYTES": 0}, {"DFA_MAX_BYTES": 0, "HEAD_DFA_MAX": 0}]
"""Whole keys in a DFA, heads in a DFA, heads in an NFA (as the ``automaton_kind`` fixture sets them)."""


def naive(keys: list[bytes], raw: bytes) -> list[tuple[int, int, int]]:
    return sorted(
        (index, start, start + len(key))
        for index, key in enumerate(keys)
        for start in range(len(raw) - len(key) + 1)
        if raw.startswith(key, start)
    )


def test_no_keys_finds_nothing() -> None:
    empty = KeyScanner([])
    assert not empty
    assert empty.scan(b"anything at all") == []


def test_every_occurrence_overlapping_and_nested(automaton_kind: str) -> None:
    keys = [b"abcabc", b"bca", b"ab", b"abcabcabc", b"zz"]
    raw = b"xxabcabcabcabcyy zzz"
    found = KeyScanner(keys).scan(raw)
    assert sorted(found) == naive(keys, raw)


def test_keys_sharing_a_head_and_keys_shorter_than_it(automaton_kind: str) -> None:
    # Heads of HEAD bytes: these share "sk-t"; "sk-" and "s" are shorter than a head.
    keys = [b"sk-test-aaaa", b"sk-test-bbbbbbbb", b"sk-tell", b"sk-", b"s", b"sk-test-aaaa"]
    raw = b"sk-test-aaaa sk-test-bbbbbbbb sk-tell sk-test-cccc"
    assert len(keys[3]) < HEAD
    assert sorted(KeyScanner(keys).scan(raw)) == naive(keys, raw)


def test_a_head_found_without_its_key_reports_nothing(automaton_kind: str) -> None:
    keys = [b"sk-test-" + bytes([65 + i]) * 8 for i in range(20)]
    raw = b"sk-test-" * 1000  # every head, never a whole key
    assert KeyScanner(keys).scan(raw) == []


def test_non_ascii_bytes(automaton_kind: str) -> None:
    keys = ["é-sk-test".encode(), "日本語の鍵".encode(), "\u00e9t\u00e9".encode()]
    raw = "x é-sk-test y 日本語の鍵 été".encode()
    assert sorted(KeyScanner(keys).scan(raw)) == naive(keys, raw)


KEY_LISTS = st.lists(st.binary(min_size=1, max_size=12).filter(lambda b: b"\xff" not in b), min_size=1, max_size=30)
RAW_TEXTS = st.binary(max_size=300).filter(lambda b: b"\xff" not in b)  # as UTF-8 text never holds


def planted(keys: list[bytes], raw: bytes, rng: random.Random) -> bytes:
    """``raw`` with a few of the keys put in, so that there is something to find."""
    pieces = [raw]
    for _ in range(rng.randrange(0, 5)):
        pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(keys))
    return b"".join(pieces)


def each_automaton(patch: pytest.MonkeyPatch):
    """Set the scanner up for each kind of automaton in turn (as the ``automaton_kind`` fixture does)."""
    for settings_ in AUTOMATON_SETTINGS:
        for name, value in settings_.items():
            patch.setattr(scanner, name, value)
        yield settings_
        patch.undo()


@settings(max_examples=60, deadline=None)
@given(keys=KEY_LISTS, raw=RAW_TEXTS, seed=st.integers(0, 2**16))
def test_agrees_with_a_naive_search(keys: list[bytes], raw: bytes, seed: int) -> None:
    rng = random.Random(seed)
    raw = planted(keys, raw, rng)
    expected = naive(keys, raw)
    with pytest.MonkeyPatch.context() as patch:
        for settings_ in each_automaton(patch):
            built = KeyScanner(keys)
            assert sorted(built.scan(raw)) == expected, settings_
            patch.setattr(scanner, "PARALLEL_MIN_BYTES", rng.randrange(4, 40))
            patch.setattr(scanner, "CORES", rng.randrange(2, 5))
            assert sorted(built.scan(raw)) == expected, ("in pieces", settings_)


def test_large_text_in_pieces_finds_each_occurrence_once(automaton_kind: str, monkeypatch) -> None:
    """Keys cut by the border of two pieces are found, and none twice."""
    keys = [b"border-key-%02d" % i for i in range(40)]
    rng = random.Random(3)
    parts = []
    for _ in range(2000):
        parts.append(bytes(rng.choice(b"abc -") for _ in range(rng.randrange(0, 40))))
        parts.append(rng.choice(keys))
    raw = b"".join(parts)
    expected = naive(keys, raw)
    monkeypatch.setattr(scanner, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(scanner, "CORES", 4)
    found = KeyScanner(keys).scan(raw)
    assert len(found) == len(set(found))
    assert sorted(found) == expected


def chunked(raw: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(cut % (len(raw) + 1) for cut in cuts), len(raw)]
    return [raw[a:b] for a, b in zip(edges, edges[1:])]


@settings(max_examples=80, deadline=None)
@given(
    keys=KEY_LISTS,
    raw=RAW_TEXTS,
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    cores=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**16),
)
def test_chunks_searched_as_they_come_agree_with_a_naive_search(
    keys: list[bytes], raw: bytes, cuts: list[int], cores: int, seed: int
) -> None:
    """Chunks of any size (empty ones, ones shorter than a key) give every occurrence once."""
    raw = planted(keys, raw, random.Random(seed))
    expected = naive(keys, raw)
    with pytest.MonkeyPatch.context() as patch:
        for settings_ in each_automaton(patch):
            patch.setattr(scanner, "CORES", cores)
            found = KeyScanner(keys).scan_chunks(iter(chunked(raw, cuts)))
            assert len(found) == len(set(found))
            assert sorted(found) == expected, settings_


def test_chunks_are_taken_as_they_are_made(automaton_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks are a generator that is run to its end once, with every chunk searched."""
    monkeypatch.setattr(scanner, "CORES", 2)
    keys = [b"chunk-key-%02d" % i for i in range(30)]
    made = []

    def chunks():
        for i in range(50):
            chunk = b"filler " * 20 + keys[i % 30] + b" tail-" + keys[(i + 1) % 30][:5]
            made.append(chunk)
            yield chunk

    found = KeyScanner(keys).scan_chunks(chunks())
    assert len(made) == 50
    assert sorted(found) == naive(keys, b"".join(made))
    assert KeyScanner([]).scan_chunks(chunks()) == [] and len(made) == 100


def test_a_key_cut_anywhere_by_chunks_is_found(automaton_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every place two or three chunks can cut a text, keys of the longest length included."""
    monkeypatch.setattr(scanner, "CORES", 2)
    keys = [b"longest-key-of-all", b"mid-key", b"k9"]
    raw = b"..longest-key-of-all.mid-key..k9.longest-key-of-all"
    expected = naive(keys, raw)
    built = KeyScanner(keys)
    for first in range(len(raw) + 1):
        assert sorted(built.scan_chunks(iter(chunked(raw, [first])))) == expected, first
        for second in range(first, min(len(raw), first + 20) + 1):
            assert sorted(built.scan_chunks(iter(chunked(raw, [first, second])))) == expected, (first, second)


def _failing_on_later_pieces(original):
    def search(self, raw, lo, hi):
        if lo > 0 or hi < len(raw):  # every piece but a whole text
            raise MemoryError("a piece failed")
        return original(self, raw, lo, hi)

    return search


def test_a_piece_that_fails_fails_the_whole_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed piece must never read as a piece with nothing in it: what it holds would go out unmasked."""
    keys = [b"piece-key-%02d" % i for i in range(10)]
    raw = b"".join(b"filler text " * 30 + key for key in keys * 20)
    built = KeyScanner(keys)
    monkeypatch.setattr(scanner, "CORES", 2)
    monkeypatch.setattr(scanner, "PARALLEL_MIN_BYTES", 256)
    monkeypatch.setattr(KeyScanner, "_search", _failing_on_later_pieces(KeyScanner._search))
    with pytest.raises(MemoryError):
        built.scan(raw)
    with pytest.raises(MemoryError):
        built.scan_chunks(iter(chunked(raw, [1000, 2000, 3000])))


def test_chunks_that_fail_to_be_made_stop_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(scanner, "CORES", 2)
    built = KeyScanner([b"chunk-key"])

    def chunks():
        yield b"some text with a chunk-key in it " * 10
        yield b"more text " * 10
        raise ValueError("the view could not be made")

    with pytest.raises(ValueError):
        built.scan_chunks(chunks())
    for thread in threading.enumerate():
        if thread.name == "nbsecrets-scan":
            thread.join(timeout=10)
            assert not thread.is_alive()
