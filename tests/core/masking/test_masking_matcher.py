"""mask(), mask_data() and the registry-bound Masker."""

from __future__ import annotations

import base64
import json
import threading

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nbsecrets.core import registry as registry_module
from nbsecrets.core.errors import InvalidSecretError
from nbsecrets.core.masking import MaskConfig, Masker, get_masker
from nbsecrets.core.masking import scanner
from nbsecrets.core.masking.matcher import Matcher, cover
from nbsecrets.core.masking.readback import view_text
from nbsecrets.core.registry import SecretRegistry

API_KEY = "sk-test-4f9a1c7e2b"
DB_PASSWORD = "sk-test-db-pw-0x77"


@pytest.fixture
def reg() -> SecretRegistry:
    return SecretRegistry()


@pytest.fixture
def masker(reg: SecretRegistry, automaton_kind: str) -> Masker:
    reg.add(API_KEY, "API_KEY")
    reg.add(DB_PASSWORD, "DB_PASSWORD")
    return Masker(reg)


# -- mask ----------------------------------------------------------------


def test_masks_value_and_keeps_surrounding_text(masker: Masker) -> None:
    text = f"key={API_KEY}; pw={DB_PASSWORD}!"
    assert masker.mask(text) == "key=[masked:API_KEY]; pw=[masked:DB_PASSWORD]!"


def test_text_without_secret_is_the_same_object(masker: Masker) -> None:
    text = "nothing to see here " * 100
    assert masker.mask(text) is text
    assert masker.mask("") == ""


def test_empty_registry_passes_everything_through(reg: SecretRegistry) -> None:
    text = "sk-test-anything"
    assert Masker(reg).mask(text) is text


def test_every_occurrence_is_masked(masker: Masker) -> None:
    text = f"{API_KEY}{API_KEY} and {API_KEY}\n{API_KEY}"
    masked = masker.mask(text)
    assert API_KEY not in masked
    assert masked.count("[masked:API_KEY]") >= 3
    assert masked.endswith("\n[masked:API_KEY]")


def test_derived_forms_are_masked(masker: Masker) -> None:
    basic = base64.b64encode(f"admin:{API_KEY}".encode()).decode()
    masked = masker.mask(f"Authorization: Basic {basic}")
    assert "[masked:API_KEY]" in masked
    assert masked.startswith("Authorization: Basic ")
    dumped = json.dumps({"k": API_KEY})
    assert masker.mask(dumped) == '{"k": "[masked:API_KEY]"}'


def test_replacement_never_contains_value_characters(reg: SecretRegistry) -> None:
    reg.add("sk-test-unnamed-value")
    masked = Masker(reg).mask("x sk-test-unnamed-value y")
    assert masked == "x [masked:secret] y"


def test_longer_secret_wins_where_it_matches(reg: SecretRegistry, automaton_kind: str) -> None:
    reg.add("sk-test-abcdef", "SHORT")
    reg.add("sk-test-abcdefghij", "LONG")
    masker = Masker(reg)
    assert masker.mask("a sk-test-abcdefghij b") == "a [masked:LONG] b"
    assert masker.mask("a sk-test-abcdefgh b") == "a [masked:SHORT]gh b"


def test_overlapping_secrets_are_both_masked_and_named(reg: SecretRegistry, automaton_kind: str) -> None:
    reg.add("sk-test-first-OVER", "FIRST")
    reg.add("OVER-second-sk-test", "SECOND")
    masker = Masker(reg)
    masked = masker.mask("<sk-test-first-OVER-second-sk-test>")
    assert masked == "<[masked:FIRST][masked:SECOND]>"


def test_adjacent_repeats_of_one_secret_collapse(masker: Masker) -> None:
    assert masker.mask(API_KEY * 3) == "[masked:API_KEY]"


def test_non_ascii_text_offsets(masker: Masker) -> None:
    text = f"héllo ☃ 🎉 {API_KEY} ü {DB_PASSWORD} ∎"
    assert masker.mask(text) == "héllo ☃ 🎉 [masked:API_KEY] ü [masked:DB_PASSWORD] ∎"


def test_lone_surrogate_in_text(masker: Masker) -> None:
    text = f"\udcff {API_KEY} \ud800"
    assert masker.mask(text) == "\udcff [masked:API_KEY] \ud800"


def test_non_ascii_secret(reg: SecretRegistry, automaton_kind: str) -> None:
    reg.add("sk-test-pässwörd-☃", "UNI")
    masker = Masker(reg)
    assert masker.mask("x sk-test-pässwörd-☃ y") == "x [masked:UNI] y"
    assert masker.mask(json.dumps("sk-test-pässwörd-☃")) == '"[masked:UNI]"'


def test_non_string_input_is_returned_as_is(masker: Masker) -> None:
    data = API_KEY.encode()
    assert masker.mask(data) is data  # type: ignore[arg-type]


def test_text_without_a_secret_is_returned_as_is(masker: Masker) -> None:
    for text in ("sk-test-nothing", ""):
        assert masker.mask(text) is text
    assert masker.mask(f"...{DB_PASSWORD}...") != f"...{DB_PASSWORD}..."


def test_short_values_are_not_masked(reg: SecretRegistry) -> None:
    reg.add("abc12", "PIN")
    masker = Masker(reg)
    assert masker.mask("pin abc12") == "pin abc12"


def test_a_registered_value_keeps_its_own_name(reg: SecretRegistry) -> None:
    # The second value is also a line of the first one.
    reg.add("sk-test-4f9a1c7e\nsk-test-8b2d6e0f", "PEM")
    reg.add("sk-test-8b2d6e0f", "LINE")
    masker = Masker(reg)
    assert masker.mask("sk-test-8b2d6e0f") == "[masked:LINE]"
    assert masker.mask("sk-test-4f9a1c7e") == "[masked:PEM]"


# -- the registry and configuration ---------------------------------------


def test_value_added_later_is_masked_on_next_call(reg: SecretRegistry) -> None:
    masker = Masker(reg)
    assert masker.mask(f"x {API_KEY}") == f"x {API_KEY}"
    reg.add(API_KEY, "API_KEY")
    assert masker.mask(f"x {API_KEY}") == "x [masked:API_KEY]"


def test_configure_replacement(masker: Masker) -> None:
    masker.configure(replacement="<{name} hidden>")
    assert masker.mask(API_KEY) == "<API_KEY hidden>"
    assert masker.config == MaskConfig(replacement="<{name} hidden>")


def test_configure_min_length(reg: SecretRegistry) -> None:
    reg.add("abcd1", "SHORT")
    masker = Masker(reg)
    assert masker.mask("abcd1") == "abcd1"
    masker.configure(min_length=4)
    assert masker.mask("abcd1") == "[masked:SHORT]"
    masker.configure(min_length=6)
    assert masker.mask("abcd1") == "abcd1"


@pytest.mark.parametrize("replacement", ["{value}", "{0}", "{}", "{name", "{name.upper}x{other}"])
def test_bad_replacement_is_rejected(replacement: str) -> None:
    with pytest.raises(InvalidSecretError):
        MaskConfig(replacement=replacement)


@pytest.mark.parametrize("min_length", [0, -1, True, 2.5])
def test_bad_min_length_is_rejected(min_length: object) -> None:
    with pytest.raises(InvalidSecretError):
        MaskConfig(min_length=min_length)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = MaskConfig()
    with pytest.raises(AttributeError):
        config.min_length = 3  # type: ignore[misc]


def test_short_keys_are_reported_by_name_once(reg: SecretRegistry) -> None:
    reg.add("pw1", "PIN")
    reg.add(API_KEY, "API_KEY")
    reg.add("xy")  # no name to report
    masker = Masker(reg)
    notice = masker.take_short_key_notice()
    assert notice is not None and "PIN" in notice and "pw1" not in notice
    assert masker.take_short_key_notice() is None
    reg.add("ab", "OTHER")
    notice = masker.take_short_key_notice()
    assert notice is not None and "OTHER" in notice and "PIN" not in notice


def test_no_short_key_notice_when_all_are_masked(masker: Masker) -> None:
    assert masker.take_short_key_notice() is None


def test_get_masker_is_process_wide() -> None:
    masker = get_masker()
    assert masker is get_masker()
    registry_module.registry.add("sk-test-process-wide-masker", "PROCESS_WIDE")
    assert masker.mask("sk-test-process-wide-masker") == "[masked:PROCESS_WIDE]"


# -- mask_data -------------------------------------------------------------


def test_mask_data_deep(masker: Masker) -> None:
    data = {
        "text/plain": f"'{API_KEY}'",
        API_KEY: [1, 2.5, None, True, (DB_PASSWORD, "ok")],
        "nested": {"deep": [{"x": f"a {API_KEY} b"}]},
    }
    assert masker.mask_data(data) == {
        "text/plain": "'[masked:API_KEY]'",
        "[masked:API_KEY]": [1, 2.5, None, True, ("[masked:DB_PASSWORD]", "ok")],
        "nested": {"deep": [{"x": "a [masked:API_KEY] b"}]},
    }
    assert data["nested"]["deep"][0]["x"] == f"a {API_KEY} b"  # input untouched


def test_mask_data_returns_same_objects_when_nothing_changed(masker: Masker) -> None:
    clean = {"a": ["b", ("c", 1)], "d": {"e": "f"}}
    assert masker.mask_data(clean) is clean
    mixed = {"clean": ["x"], "dirty": API_KEY}
    masked = masker.mask_data(mixed)
    assert masked is not mixed
    assert masked["clean"] is mixed["clean"]


def test_mask_data_other_types_as_is(masker: Masker) -> None:
    blob = b"no secret in these bytes"
    assert masker.mask_data(blob) is blob
    assert masker.mask_data(42) == 42
    assert masker.mask_data(None) is None
    assert masker.mask_data(API_KEY) == "[masked:API_KEY]"


def test_mask_data_keeps_both_entries_when_masked_keys_collide(reg: SecretRegistry) -> None:
    reg.add("sk-test-rotated-old", "TOKEN")
    reg.add("sk-test-rotated-new", "TOKEN")
    masker = Masker(reg)
    masked = masker.mask_data({"sk-test-rotated-old": 1, "sk-test-rotated-new": 2, "[masked:TOKEN]~~": 3})
    assert sorted(masked.values()) == [1, 2, 3]
    assert all("rotated" not in key for key in masked)


def test_mask_data_with_a_cycle_does_not_recurse_forever(masker: Masker) -> None:
    cyclic: list = [API_KEY]
    cyclic.append(cyclic)
    masked = masker.mask_data(cyclic)
    assert masked[0] == "[masked:API_KEY]"


# -- threads ---------------------------------------------------------------


def test_concurrent_masking_while_values_are_added(reg: SecretRegistry) -> None:
    reg.add(API_KEY, "API_KEY")
    masker = Masker(reg)
    failures: list[str] = []
    stop = threading.Event()
    text = f"line {API_KEY} end\n" * 50

    def mask_loop() -> None:
        while not stop.is_set():
            out = masker.mask(text)
            if API_KEY in out or out.count("[masked:API_KEY]") != 50:
                failures.append(out[:80])
                return

    threads = [threading.Thread(target=mask_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    added = [f"sk-test-added-{i:04d}" for i in range(200)]
    for i, value in enumerate(added):
        reg.add(value, f"ADDED_{i}")
        # A call that starts after add() returned must see the value.
        assert masker.mask(value) == f"[masked:ADDED_{i}]"
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []


# -- the matcher on its own ------------------------------------------------


def test_cover_names_the_region_by_a_greedy_cover() -> None:
    # (start, end, pattern): 0 and 1 start together, 2 overlaps 1, 3 touches 2, 4 is apart.
    matches = [(0, 5, 0), (0, 8, 1), (6, 12, 2), (12, 14, 3), (20, 25, 4)]
    assert cover(matches) == (
        [(0, 14, [(1, 8), (2, 12), (3, 14)]), (20, 25, [(4, 25)])],
        None,
    )


def test_cover_from_a_frontier_names_only_what_follows_it() -> None:
    matches = [(0, 8, 0), (6, 12, 1), (7, 15, 2)]
    assert cover(matches, frontier=8) == ([(0, 15, [(2, 15)])], None)


def test_cover_stops_where_an_unseen_match_could_compete() -> None:
    # Past position 10 (the hold) a match not seen yet could reach further than 1.
    matches = [(0, 8, 0), (6, 12, 1), (20, 25, 2)]
    assert cover(matches, hold=10) == ([(0, 12, [(0, 8), (1, 12)])], None)
    assert cover(matches, hold=7) == ([(0, 8, [(0, 8)])], 6)
    assert cover(matches, frontier=8, hold=8) == ([(0, 8, [])], 6)


def test_matcher_open_prefix() -> None:
    matcher = Matcher([("sk-test-abcdef", "A"), ("sk-test-abcdefghij", "B")])
    assert matcher.open_prefix("text sk-te") == (5, 0)
    assert matcher.open_prefix("text sk-test-abcdef")[0] == 5  # complete, but B continues it
    assert matcher.open_prefix("text sk-test-abcdefghij") is None
    assert matcher.open_prefix("text sk-test-abX") is None
    assert matcher.open_prefix("nothing") is None
    assert matcher.open_prefix("s") == (0, 0)


# -- property: the same as a naive reference --------------------------------

NAIVE_SECRETS = ["sk-test-aaaa", "sk-test-aaaabbbb", "bbbb-sk-test-c", "test-cccc-dd"]


def _occurrences(text: str, pattern: str) -> int:
    """Occurrences of ``pattern`` in ``text``, overlapping ones included."""
    count, at = 0, text.find(pattern)
    while at != -1:
        count, at = count + 1, text.find(pattern, at + 1)
    return count


def _naive_mask(text: str, patterns: list[str], replacement: str) -> str:
    """Union of every occurrence of every pattern, each maximal covered run replaced once."""
    covered = [False] * (len(text) + 1)
    for pattern in patterns:
        at = text.find(pattern)
        while at != -1:
            for i in range(at, at + len(pattern)):
                covered[i] = True
            at = text.find(pattern, at + 1)
    out, i = [], 0
    while i < len(text):
        if covered[i]:
            while i < len(text) and covered[i]:
                i += 1
            out.append(replacement)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NAIVE_SECRETS),
            st.text(alphabet="sk-testabcd ", max_size=8),
            st.text(max_size=5),
        ),
        max_size=12,
    )
)
def test_mask_equals_naive_union_of_occurrences(parts: list[str]) -> None:
    reg = SecretRegistry()
    for value in NAIVE_SECRETS:
        reg.add(value, "K")
    # Exact forms only: fragments are verified runs and credential shapes are regexes, not literal patterns.
    masker = Masker(reg, MaskConfig(fragment_length=10_000, patterns=False))
    text = "".join(parts)
    patterns = masker.matcher.patterns
    # The model is the text as written: a secret the read-back view joins across a space or a
    # quote (``sk-test-aaaa bbbb``) is masked too, and is a case for the read-back tests.
    views = ("".join(text.split()), view_text(text, True), view_text(text, False))
    assume(all(_occurrences(view, p) <= _occurrences(text, p) for view in views for p in patterns))
    expected = _naive_mask(text, list(patterns), "[masked:K]")
    masked = masker.mask(text)
    assert masked == expected
    if expected == text:
        assert masked is text


@pytest.mark.parametrize("alphabet", ["abz é\n", "abz \n\t"], ids=["unicode", "ascii-spaced"])
def test_parallel_search_of_a_large_text_finds_every_match_once(monkeypatch, automaton_kind: str, alphabet: str) -> None:
    """Pieces searched at once must agree with one whole search, matches across cuts included.

    Spaced ASCII text has its view made and searched a chunk at a time (the search on another core).
    """
    import random

    secrets = ["sk-test-cut-aaaaaaaa", "sk-test-cut-aaaa", "é-sk-test-unicode-é", "zzzzzzzzzz", "pw-test-Qx7Lm2Rk9Vb4"]
    matcher = Matcher(
        [(s, f"K{i}") for i, s in enumerate(secrets)], fragments=[(secrets[-1], "FRAGMENT")], credentials=True
    )
    rng = random.Random(7)
    for trial in range(40):
        parts = []
        for _ in range(rng.randrange(5, 40)):
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))))
            secret = rng.choice([s for s in secrets if s.isascii() or not alphabet.isascii()])
            cut = rng.randrange(len(secret))
            parts.append(secret if rng.random() < 0.7 else secret[:cut] + "\n  " + secret[cut:])
            parts.append(rng.choice(["", " ghp_" + "A1b2C3d4" * 5]))
        text = "".join(parts)
        monkeypatch.setattr(scanner, "PARALLEL_MIN_BYTES", 10**9)
        whole = sorted(matcher.find_all(text))
        monkeypatch.setattr(scanner, "PARALLEL_MIN_BYTES", rng.randrange(8, 64))
        monkeypatch.setattr(scanner, "CORES", rng.randrange(2, 6))
        assert sorted(matcher.find_all(text)) == whole, trial
        assert whole
