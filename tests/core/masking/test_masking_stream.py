"""Streaming: a secret split across messages is masked, nothing else is held or changed."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_feed import feed_all as run

from nbsecrets.core.masking import MaskConfig, Masker
from nbsecrets.core.registry import SecretRegistry

API_KEY = "sk-test-9d8c7b6a5f"
SHORT = "sk-test-abcdef"  # a prefix of LONG
LONG = "sk-test-abcdefghij"
FIRST = "sk-test-first-OVER"  # overlaps SECOND
SECOND = "OVER-second-sk-test"


@pytest.fixture
def masker(automaton_kind: str) -> Masker:
    reg = SecretRegistry()
    for value, name in ((API_KEY, "API_KEY"), (SHORT, "SHORT"), (LONG, "LONG"), (FIRST, "FIRST"), (SECOND, "SECOND")):
        reg.add(value, name)
    # Registered values only: credential shapes in streams are tested on their own.
    return Masker(reg, MaskConfig(patterns=False))



TEXTS = [
    f"token={API_KEY}\n",
    f"<{SHORT}> and <{LONG}>\n",
    f"[{FIRST}-second-sk-test]\n",
    f"basic {base64.b64encode(('user:' + API_KEY).encode()).decode()}\n",
    f"{json.dumps({'k': 'sk-test-9d8c7b6a5f'})}\n",
    f"{API_KEY}{API_KEY}\n",
    "sk-test-9d8c7b6a5 is not the key\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_split_in_two_at_every_position(masker: Masker, text: str) -> None:
    expected = masker.mask(text)
    for cut in range(len(text) + 1):
        assert run(masker.stream(), [text[:cut], text[cut:]]) == expected, cut


@pytest.mark.parametrize("text", TEXTS)
def test_single_character_feeds(masker: Masker, text: str) -> None:
    assert run(masker.stream(), list(text)) == masker.mask(text)


@pytest.mark.parametrize("text", TEXTS)
def test_flush_at_every_position_never_prints_a_secret(masker: Masker, text: str) -> None:
    for cut in range(len(text) + 1):
        out = run(masker.stream(), [text[:cut], text[cut:]], flush_between=True)
        assert API_KEY not in out and SHORT not in out
        assert masker.mask(out) == out, (cut, out)


def test_flush_after_every_character_leaks_at_most_three_characters(masker: Masker) -> None:
    out = run(masker.stream(), list(f"key {API_KEY} end\n"), flush_between=True)
    assert out.startswith("key sk-")
    assert out.endswith(" end\n")
    assert "sk-t" not in out
    assert "[masked:API_KEY]" in out


def test_held_prefix_is_masked_on_flush_and_continuation_stays_masked(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed("key=sk-test-9d8") == "key="
    assert stream.pending
    assert stream.flush() == "[masked:API_KEY]"
    assert not stream.pending
    assert stream.feed("c7b6a5f done\n") == " done\n"


def test_short_held_prefix_is_released_as_is_and_rest_masked(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed("key=sk-") == "key="
    assert stream.flush() == "sk-"
    assert stream.feed("test-9d8c7b6a5f!") == "[masked:API_KEY]!"


def test_flushed_prefix_that_turns_out_false_lets_later_text_through(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed("sk-test-9d8") == ""
    assert stream.flush() == "[masked:API_KEY]"
    assert stream.feed("XYZ more\n") == "XYZ more\n"
    assert stream.feed("next line\n") == "next line\n"


def test_false_prefix_is_released_unchanged_by_the_next_feed(masker: Masker) -> None:
    stream = masker.stream()
    # Eleven characters: one short of a fragment, so nothing to mask once it is decided.
    assert stream.feed("value: sk-test-9d8") == "value: "
    assert stream.feed("X and more\n") == "sk-test-9d8X and more\n"
    assert not stream.pending


def test_only_a_possible_prefix_is_held(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed("plain line\n") == "plain line\n"
    assert stream.feed("ends with s") == "ends with "
    assert stream.pending
    assert stream.feed("o on\n") == "so on\n"


def test_prefix_secret_waits_for_the_longer_one(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed(f"<{SHORT}") == "<"
    assert stream.feed("ghij>") == "[masked:LONG]>"
    stream = masker.stream()
    assert stream.feed(f"<{SHORT}") == "<"
    assert stream.feed("gh>") == "[masked:SHORT]gh>"


def test_complete_secret_that_could_grow_is_masked_on_flush(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.feed(SHORT) == ""
    assert stream.flush().startswith("[masked:")
    out = stream.feed("ghij tail")
    assert out.endswith(" tail") and "ghij" not in out


def test_overlapping_secrets_split_across_feeds(masker: Masker) -> None:
    text = "[sk-test-first-OVER-second-sk-test]"
    for cut in range(len(text) + 1):
        assert run(masker.stream(), [text[:cut], text[cut:]]) == "[[masked:FIRST][masked:SECOND]]"


def test_naming_waits_while_an_unseen_match_could_still_win() -> None:
    # NEXT overlaps the end of one KEY and the start of the following one;
    # on the whole text the second KEY wins, and the stream must agree.
    reg = SecretRegistry()
    reg.add("sk-test-one-END", "KEY")
    reg.add("ENDsk-test-o", "NEXT")
    masker = Masker(reg, MaskConfig(patterns=False))
    text = "sk-test-one-ENDsk-test-one-END\n"
    assert masker.mask(text) == "[masked:KEY]\n"
    stream = masker.stream()
    assert stream.feed("sk-test-one-END") == "[masked:KEY]"
    assert stream.feed("sk-test-o") == ""
    assert stream.feed("ne-END\n") == "\n"


def test_base64_form_split_across_feeds(masker: Masker) -> None:
    encoded = base64.b64encode(("user:" + API_KEY).encode()).decode()
    text = f"Authorization: Basic {encoded}\n"
    for cut in range(len(text) + 1):
        out = run(masker.stream(), [text[:cut], text[cut:]])
        assert out == masker.mask(text)
        assert "[masked:API_KEY]" in out


def test_json_escaped_form_split_across_feeds() -> None:
    reg = SecretRegistry()
    value = 'sk-test-"quoted"\nline'
    reg.add(value, "QUOTED")
    masker = Masker(reg)
    text = json.dumps({"v": value}) + "\n"
    for cut in range(len(text) + 1):
        assert run(masker.stream(), [text[:cut], text[cut:]]) == '{"v": "[masked:QUOTED]"}\n'


def test_flush_with_nothing_pending(masker: Masker) -> None:
    stream = masker.stream()
    assert stream.flush() == ""
    assert stream.feed("abc\n") == "abc\n"
    assert stream.flush() == ""
    assert not stream.pending


def test_no_secrets_at_all_returns_text_as_is() -> None:
    stream = Masker(SecretRegistry()).stream()
    text = "sk-test-anything\n"
    assert stream.feed(text) is text
    assert not stream.pending


def test_secret_registered_mid_stream_is_masked_afterwards() -> None:
    reg = SecretRegistry()
    stream = Masker(reg).stream()
    assert stream.feed(f"{API_KEY}\n") == f"{API_KEY}\n"
    reg.add(API_KEY, "API_KEY")
    assert stream.feed(f"again {API_KEY}\n") == "again [masked:API_KEY]\n"


def test_non_ascii_around_a_split_secret(masker: Masker) -> None:
    text = f"é☃ {API_KEY} 🎉\n"
    for cut in range(len(text) + 1):
        assert run(masker.stream(), [text[:cut], text[cut:]]) == "é☃ [masked:API_KEY] 🎉\n"


def test_large_feed(masker: Masker) -> None:
    text = ("x" * 999 + "\n") * 1000 + API_KEY + "\n"
    assert run(masker.stream(), [text[:500_000], text[500_000:]]) == masker.mask(text)


# -- properties ------------------------------------------------------------

SECRETS = [API_KEY, SHORT, LONG, FIRST, SECOND]
# Pieces that look like secrets without being one: false prefixes of every length.
FRAGMENTS = [s[:n] for s in SECRETS for n in range(1, len(s))]
noise = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=6)


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    return [text[a:b] for a, b in zip([0] + points, points + [len(text)])]


@settings(max_examples=400)
@given(
    parts=st.lists(st.one_of(st.sampled_from(FRAGMENTS), noise), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=10),
)
def test_without_secrets_output_is_exactly_the_input(parts: list[str], cuts: list[int]) -> None:
    reg = SecretRegistry()
    for value in SECRETS:
        reg.add(value, "K")
    masker = Masker(reg)
    text = "".join(parts) + "\n"  # output ends with a newline; a trailing prefix is tested apart
    if masker.mask(text) != text:
        return
    assert run(masker.stream(), split(text, cuts)) == text


@settings(max_examples=400)
@given(
    parts=st.lists(st.one_of(st.sampled_from(SECRETS), st.sampled_from(FRAGMENTS), noise), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=150), max_size=12),
)
def test_stream_equals_mask_of_the_whole(parts: list[str], cuts: list[int]) -> None:
    reg = SecretRegistry()
    for value, name in zip(SECRETS, ["API_KEY", "SHORT", "LONG", "FIRST", "SECOND"]):
        reg.add(value, name)
    masker = Masker(reg, MaskConfig(patterns=False))
    text = "".join(parts) + "\n"
    assert run(masker.stream(), split(text, cuts)) == masker.mask(text)


LOWER_SECRETS = ["sk-test-9d8c7b6a5f", "sk-test-abcdef", "sk-test-abcdefghij", "ab12-cd34-ef56"]


@settings(max_examples=400)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(LOWER_SECRETS), st.text(alphabet="ABC XYZ.!", max_size=5)), max_size=10
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=12),
    flushes=st.lists(st.booleans(), max_size=14),
)
def test_with_flushes_anywhere_at_most_three_characters_of_a_secret_show(
    parts: list[str], cuts: list[int], flushes: list[bool]
) -> None:
    # Secrets use lowercase, digits and '-', noise and replacements never do:
    # any such run in the output is a piece of a secret that was printed.
    reg = SecretRegistry()
    for value, name in zip(LOWER_SECRETS, ["KA", "KB", "KC", "KD"]):
        reg.add(value, name)
    masker = Masker(reg, MaskConfig(patterns=False))
    masker.configure(replacement="<{name}>")
    stream = masker.stream()
    out = []
    for i, chunk in enumerate(split("".join(parts), cuts)):
        out.append(stream.feed(chunk))
        if i < len(flushes) and flushes[i]:
            out.append(stream.flush())
    out.append(stream.flush())
    printed = "".join(out)
    assert all(len(run) <= 3 for run in re.findall(r"[a-z0-9-]+", printed))


def test_trailing_long_false_prefix_is_masked_by_the_last_flush(masker: Masker) -> None:
    # Documented trade-off: a stream that ends inside what could still be a
    # secret cannot know it is not one.
    stream = masker.stream()
    assert stream.feed("almost sk-test-9d") == "almost "
    assert stream.flush() == "[masked:API_KEY]"


@pytest.mark.parametrize(
    "chunks",
    [["s", "sk-tes", "sk-test-abcde", "0000\n"], ["ss", "k-tessk-test-abcde0000\n"], ["x", "sk-test-abcde0000\n"],
     ["xyz", "sk-proj-", "abcdefghijklmnop\n"]],
)
def test_a_chunk_is_masked_as_the_whole_text_is(chunks: list[str]) -> None:
    """Whether a credential may start where a chunk begins depends on the character before it
    (not inside a word): the stream keeps what precedes each chunk, so cutting changes nothing."""
    reg = SecretRegistry()
    reg.add("sk-test-unrelated-0123456789", "OTHER")  # something registered: the stream is active
    masker = Masker(reg)
    whole = "".join(chunks)
    assert run(masker.stream(), chunks) == masker.mask(whole)
