"""Properties of Masker.mask over random secrets printed in random ways."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nbsecrets.core.masking import MaskConfig, Masker, secret_forms
from nbsecrets.core.masking.fragments import Source, specific_threshold, window_plan
from nbsecrets.core.masking.readback import view_text
from nbsecrets.core.registry import SecretRegistry

LENGTH = 12  # the default fragment_length
BEGIN = "QQBEGINQQ| "
END = " |QQENDQQ"

# No quotes, backslashes, markup characters, whitespace, or '|' (the markers' edge).
BODY = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_+/=.!#%@~^*$"

secrets = st.builds(lambda body: "sk-test-" + body, st.text(BODY, min_size=10, max_size=32))

WORDS = ["INFO", "loading", "model", "epoch", "done", "the", "value", "rows", "42", "3.14", "ok", "Error:", "path/to/file.csv"]
PUNCT = [" ", ", ", ": ", ".", "\n", "\n    ", "\t", "(", ")", "[", "]", "-", "=", "'", '"']
MARKUP = ["\x1b[32m", "\x1b[0m", "<b>", "</b>", "<td class='x'>", "&amp;", "&lt;", "&#39;", "\r\n"]
ordinary_texts = st.lists(st.sampled_from(WORDS + PUNCT + MARKUP), max_size=40).map("".join)
plain_context = st.lists(st.sampled_from(WORDS + [" ", ", ", ": ", "."]), max_size=8).map("".join)


def make_masker(values: list[str], **config) -> Masker:
    reg = SecretRegistry()
    for i, value in enumerate(values):
        reg.add(value, f"K{i}")
    return Masker(reg, MaskConfig(**config))


def specific_runs(secret: str, length: int = LENGTH) -> list[str]:
    """The runs of ``length`` characters of ``secret`` that are masked as fragments."""
    source = Source.of(secret, "K")
    threshold = specific_threshold(length)
    return [
        secret[i : i + length]
        for i in range(len(secret) - length + 1)
        if source.specific_in(i, i + length) >= threshold
    ]


def searchable(secret: str) -> bool:
    """Excludes the two fragment gaps pinned as xfail in test_masking_fragments."""
    window, _ = window_plan(LENGTH)
    pieces = [secret[i : i + window] for i in range(len(secret) - window + 1)]
    return len(set(pieces)) == len(pieces) and all(len(set(p)) >= 3 for p in pieces)


def leaks(text: str, secret: str) -> list[str]:
    """Runs of the secret still readable in ``text``, read raw, as HTML or as plain text."""
    readings = (text, view_text(text), view_text(text, False))
    return [run for run in specific_runs(secret) if any(run in reading for reading in readings)]


# -- how a secret is printed --------------------------------------------------------


def _cuts(draw, secret: str, count: int) -> list[int]:
    return sorted(draw(st.lists(st.integers(1, len(secret) - 1), min_size=1, max_size=count, unique=True)))


def _split(secret: str, cuts: list[int]) -> list[str]:
    bounds = [0, *cuts, len(secret)]
    return [secret[a:b] for a, b in zip(bounds, bounds[1:])]


KINDS = ["form", "ansi", "overwrite", "typed", "backspace", "tags", "entities", "wrapped", "pprint", "form-wrapped"]


@st.composite
def printed(draw, secret: str, kinds: list[str] = KINDS) -> str:
    kind = draw(st.sampled_from(kinds))
    if kind == "form":
        return draw(st.sampled_from(secret_forms(secret)))
    if kind == "ansi":
        code = draw(st.sampled_from(["\x1b[31m", "\x1b[1;32m", "\x1b[0m", "\x1b]8;;http://x.test\x07"]))
        return code.join(_split(secret, _cuts(draw, secret, 3)))
    if kind == "overwrite":
        junk = draw(st.text("xyz. ", max_size=len(secret)))
        return "\n" + junk + "\r" + secret + "\n"
    if kind == "typed":
        # A loop that types the secret out, one more character each time.
        step = draw(st.integers(3, 9))
        return "\n" + "".join(secret[:k] + "\r" for k in range(step, len(secret), step)) + secret + "\n"
    if kind == "backspace":
        k = draw(st.integers(1, len(secret) - 1))
        typo = draw(st.sampled_from("ZQ"))
        return secret[:k] + typo + "\b" + secret[k:]
    if kind == "tags":
        tag = draw(st.sampled_from(["<b>", "</span>", "<span style='color:red'>", "<wbr>"]))
        return tag.join(_split(secret, _cuts(draw, secret, 3)))
    if kind == "entities":
        positions = set(draw(st.lists(st.integers(0, len(secret) - 1), min_size=1, max_size=6)))
        style = draw(st.sampled_from(["&#{};", "&#x{:x};", "&#X{:X};"]))
        return "".join(style.format(ord(ch)) if i in positions else ch for i, ch in enumerate(secret))
    if kind == "wrapped":
        k = draw(st.integers(4, 20))
        indent = draw(st.sampled_from(["", "  ", "    ", "\t"]))
        return ("\n" + indent).join(secret[i : i + k] for i in range(0, len(secret), k))
    if kind == "pprint":
        pieces = _split(secret, _cuts(draw, secret, 3))
        return "(" + "\n ".join(repr(p) for p in pieces) + ")"
    form = draw(st.sampled_from(secret_forms(secret)))
    k = draw(st.integers(8, 40))
    return "\n".join(form[i : i + k] for i in range(0, len(form), k))


# -- properties -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(secrets, min_size=1, max_size=3), ordinary_texts)
def test_text_without_a_secret_is_returned_as_is(values: list[str], text: str) -> None:
    masker = make_masker(values)
    assert masker.mask(text) is text


@settings(max_examples=300, deadline=None)
@given(st.lists(secrets, min_size=1, max_size=3, unique=True), st.data())
def test_a_printed_secret_is_masked_and_its_surroundings_kept(values: list[str], data: st.DataObject) -> None:
    secret = data.draw(st.sampled_from(values))
    assume(searchable(secret))
    shown = data.draw(printed(secret))
    before = data.draw(plain_context) + BEGIN
    after = END + data.draw(plain_context)
    masker = make_masker(values)
    out = masker.mask(before + shown + after)
    assert out.startswith(before) and out.endswith(after), out
    for form in secret_forms(secret):
        assert form not in out
    assert not leaks(out, secret), out
    assert masker.mask(out) == out  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.lists(secrets, min_size=1, max_size=3, unique=True), st.data())
def test_mask_is_idempotent(values: list[str], data: st.DataObject) -> None:
    secret = data.draw(st.sampled_from(values))
    text = data.draw(ordinary_texts) + data.draw(printed(secret)) + data.draw(ordinary_texts)
    masker = make_masker(values)
    once = masker.mask(text)
    assert masker.mask(once) == once


def run_stream(masker: Masker, chunks: list[str]) -> str:
    stream = masker.stream()
    return "".join(stream.feed(chunk) for chunk in chunks) + stream.flush()


@settings(max_examples=200, deadline=None)
@given(st.lists(secrets, min_size=1, max_size=2, unique=True), st.data())
def test_stream_never_emits_a_run_of_a_secret(values: list[str], data: st.DataObject) -> None:
    secret = data.draw(st.sampled_from(values))
    assume(searchable(secret))
    kind = data.draw(st.sampled_from(KINDS))
    shown = data.draw(printed(secret, [kind]))
    before = data.draw(plain_context) + BEGIN
    text = before + shown + END + data.draw(plain_context)
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=8))
    if kind != "form":
        # A cut inside markup that only the read-back view joins leaks: see the xfail below.
        cuts = [c for c in cuts if not len(before) < c < len(before) + len(shown)]
    bounds = [0, *sorted(cuts), len(text)]
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    out = run_stream(make_masker(values), chunks)
    assert not leaks(out, secret), (chunks, out)
    assert END.strip() in out


@pytest.mark.parametrize(
    "chunks",
    [
        ["sk-test-9f\n", "K2xQ7mZ3pL\n"],
        ["sk-test-9f\n", "  K2xQ7mZ3pL\n"],
        ["sk-test-9f\x1b[1m", "K2xQ7mZ3pL\n"],
        ["sk-test-9fZ\b", "K2xQ7mZ3pL\n"],
    ],
)
def test_stream_masks_a_secret_split_after_markup(chunks: list[str]) -> None:
    masker = make_masker(["sk-test-9fK2xQ7mZ3pL"], patterns=False)
    assert masker.mask("".join(chunks)) == "[masked:K0]\n"
    out = run_stream(masker, chunks)
    assert not leaks(out, "sk-test-9fK2xQ7mZ3pL"), out


def test_overwritten_text_stays_hidden_after_masking() -> None:
    # The replacement is shorter than the secret that overwrote the line: what the
    # secret covered must not come back into view.
    shown_secret = "sk-test-AAAA1111bbbb2222cccc"
    hidden = "sk-test-Zq9Xw8Ve7Ut6"
    masker = make_masker([shown_secret, hidden], patterns=False)
    text = hidden[:10] + "\x1b[1m" + hidden[10:] + "y" * 8 + "\r" + shown_secret + "\n"
    out = masker.mask(text)
    assert not leaks(out, hidden), out
    assert not leaks(out, shown_secret), out


@pytest.mark.parametrize(
    "value",
    ["sk-test-'quoted'\"both\"-9fK2", "sk-test-<tag>&amp;-9fK2xQ", "sk-test-back\\slash-9fK2", "sk-test-ünï-çødé-9fK2"],
)
def test_forms_of_secrets_with_special_characters(value: str) -> None:
    masker = make_masker([value])
    for form in secret_forms(value):
        text = BEGIN + form + END
        out = masker.mask(text)
        assert out.startswith(BEGIN) and out.endswith(END), (form, out)
        assert form not in out
