"""The rules for names, keys and values, checked against independent definitions,
and a store round trip for any environment the rules accept.

The oracles below spell the rules out with character sets rather than the
regular expressions in rules.py, so a pattern that is too loose (a `$` that
lets a trailing newline through, a Unicode class that admits 'é') shows up.
"""

from __future__ import annotations

import string
import tempfile
import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from store_support import fresh_store

from nbsecrets.core.errors import InvalidSecretError
from nbsecrets.core.rules import (
    MAX_VALUE_BYTES,
    check_env,
    check_key,
    check_name,
    check_value,
)
from nbsecrets.core.store.local import LocalStore

NAME_CHARS = set(string.ascii_letters + string.digits + "._-")
KEY_FIRST = set(string.ascii_letters + "_")
KEY_REST = set(string.ascii_letters + string.digits + "_")


def is_valid_name(name: str) -> bool:
    return 1 <= len(name) <= 64 and set(name) <= NAME_CHARS


def is_valid_key(key: str) -> bool:
    return len(key) >= 1 and key[0] in KEY_FIRST and set(key[1:]) <= KEY_REST


def environ_can_hold(value: str) -> bool:
    """os.environ carries undecodable bytes as lone low surrogates (U+DC80-U+DCFF) and nothing else of the kind."""
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def is_valid_value(value: str) -> bool:
    """No NUL, and at most MAX_VALUE_BYTES in UTF-8, counting each undecodable-byte surrogate as its one byte."""
    if "\x00" in value or not environ_can_hold(value):
        return False
    size = sum(1 if 0xDC80 <= ord(c) <= 0xDCFF else len(c.encode("utf-8")) for c in value)
    return size <= MAX_VALUE_BYTES


valid_names = st.text(alphabet=sorted(NAME_CHARS), min_size=1, max_size=64)
valid_keys = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(sorted(KEY_FIRST)),
    st.text(alphabet=sorted(KEY_REST), max_size=40),
)
# any text without NUL: unicode, newlines, and the lone surrogates os.environ uses for undecodable bytes
valid_values = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=300).filter(environ_can_hold)
# near-misses: the valid alphabets plus characters a loose pattern would let through
tricky = st.text(
    alphabet=st.sampled_from(sorted(NAME_CHARS | KEY_REST) + list(" \n\t/\\:$é٣ＡK\u212a\x00ß")),
    max_size=70,
)


@given(valid_names)
def test_every_valid_name_is_accepted_unchanged(name):
    assert check_name(name) == name


@given(st.one_of(tricky, st.text(max_size=70)))
@example("a\n")
@example("n" * 64)
@example("n" * 65)
@example("")
@example("é")
@example("\u212a")  # KELVIN SIGN, which case-insensitive ASCII matching can confuse with 'K'
def test_names_are_accepted_exactly_when_the_rule_says(name):
    if is_valid_name(name):
        assert check_name(name) == name
    else:
        with pytest.raises(InvalidSecretError):
            check_name(name)


@given(valid_keys)
def test_every_valid_key_is_accepted_unchanged(key):
    assert check_key(key) == key


@given(st.one_of(tricky, st.text(max_size=40)))
@example("1ABC")
@example("_")
@example("A\n")
@example("ÄPI_KEY")
@example("KEY-NAME")
def test_keys_are_accepted_exactly_when_the_rule_says(key):
    if is_valid_key(key):
        assert check_key(key) == key
    else:
        with pytest.raises(InvalidSecretError):
            check_key(key)


@given(st.one_of(st.integers(), st.none(), st.binary(max_size=5), st.lists(st.text(), max_size=2)))
def test_non_strings_are_never_names_keys_or_values(thing):
    for check in (check_name, check_key, lambda v: check_value("KEY", v)):
        with pytest.raises(InvalidSecretError):
            check(thing)


@given(st.text(max_size=200))
@example("x" * MAX_VALUE_BYTES)
@example("x" * (MAX_VALUE_BYTES + 1))
@example("é" * MAX_VALUE_BYTES)
@example("é" * (MAX_VALUE_BYTES // 2))
@example("é" * (MAX_VALUE_BYTES // 2) + "x")
@example("€" * (MAX_VALUE_BYTES // 3) + "xx")
@example("€" * (MAX_VALUE_BYTES // 3) + "xxx")
@example("\udcff" * MAX_VALUE_BYTES)
@example("\udcff" * (MAX_VALUE_BYTES + 1))
@example("sk-test\x00")
@example("sk-test-\udcff")
@example("sk-test-\ud800")
def test_values_are_accepted_exactly_when_the_rule_says(value):
    if is_valid_value(value):
        assert check_value("API_KEY", value) == value
    else:
        with pytest.raises(InvalidSecretError) as raised:
            check_value("API_KEY", value)
        assert "API_KEY" in str(raised.value)


@given(st.text(alphabet=st.characters(exclude_characters="\x00"), min_size=8, max_size=60))
def test_a_rejected_value_is_never_repeated_in_the_error(secret):
    """Error messages end up in notebooks and logs: they name the key, never the value."""
    value = "sk-test-" + secret + "\x00"
    with pytest.raises(InvalidSecretError) as raised:
        check_env({"API_KEY": value})
    assert value not in str(raised.value)
    assert ("sk-test-" + secret) not in str(raised.value)


@given(st.dictionaries(valid_keys, st.one_of(valid_values, st.none()), max_size=6))
def test_check_env_returns_a_plain_copy(env):
    if any(v is None for v in env.values()):
        with pytest.raises(InvalidSecretError):
            check_env(env)
        assert check_env(env, drop_none=True) == {k: v for k, v in env.items() if v is not None}
    else:
        checked = check_env(env)
        assert checked == env and type(checked) is dict and checked is not env


# -- the store keeps exactly what it was given ------------------------------------


valid_envs = st.dictionaries(valid_keys, valid_values, min_size=1, max_size=6)


@pytest.fixture(scope="module")
def round_trip_home():
    with tempfile.TemporaryDirectory(prefix="nbsecrets-roundtrip-") as home:
        yield home


@settings(max_examples=60, deadline=None)
@given(name=valid_names, env=valid_envs)
@example(name="pem", env={"KEY": "-----BEGIN-----\nline\r\nend\n", "U": "päss wörd ✓ 🔑 \\ \" '"})
@example(name="n" * 64, env={"A": "x" * MAX_VALUE_BYTES, "_": ""})
@example(name="raw-environ", env={"FROM_ENVIRON": "\udcff\udc80 bytes that were not UTF-8"})
@example(name="json-ish", env={"J": '{"format": "nbsecrets-table", "count": 9}\n["x"]'})
def test_any_valid_env_survives_the_store_unchanged(round_trip_home, name, env):
    """Whatever the rules accept comes back equal, read from disk by a store with nothing cached."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the key-file warning is tested in test_keys
        LocalStore(round_trip_home).create(name, env, overwrite=True)
    reader = LocalStore(round_trip_home)
    assert reader.get(name) == env
    assert set(reader.info(name).keys) == set(env)


def test_round_trip_also_holds_from_a_cold_start(tmp_path):
    """The same through a new process's view: key looked up again, nothing in memory."""
    env = {"MULTI": "a\nb\r\nc", "EMOJI": "🔑", "RAW": "\udcfe"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LocalStore(tmp_path / "home").create("cold", env)
    assert fresh_store(tmp_path / "home").get("cold") == env
