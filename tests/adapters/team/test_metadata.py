"""What the team store keeps beside a secret's data, and how it reads it back: no server needed.

The description must survive the server's limits (512 bytes a value, 64
entries), never be trusted for a version it does not name, keep other
tools' entries, and let any value, even one JSON cannot carry, come back
exactly.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nbsecrets.adapters.team import metadata
from nbsecrets.core.errors import InvalidSecretError

T1, T2, T3, T4 = (f"2026-12-07T03:33:3{n}.711325243Z" for n in range(1, 5))


def test_each_version_has_its_own_description_naming_when_it_was_made() -> None:
    described = metadata.entries(3, T3, ["B", "A"], ["A"])
    assert described == {"nbsecrets.v3.created": T3, "nbsecrets.v3.keys.0": "B,A", "nbsecrets.v3.settings.0": "A"}
    assert metadata.decode(described, 3, T3, None) == metadata.Described(("B", "A"), ("A",))


def test_a_description_of_a_version_made_at_another_time_is_not_trusted() -> None:
    """After a delete and a new create the versions count from 1 again: a late description of the
    old version 1 must not unmask the new version 1's values."""
    described = metadata.entries(1, T1, ["HOST"], ["HOST"])
    assert metadata.decode(described, 1, T2, None) is None


def test_a_patch_removes_older_descriptions_and_keeps_newer_and_other_tools_entries() -> None:
    """A writer slow to describe version 3 must not erase version 4's description, which a faster one wrote."""
    current = {
        "owner": "data-team",
        **metadata.entries(2, T2, ["A"], ["A"]),
        **metadata.entries(4, T4, ["A", "B"], []),
        "nbsecrets.version": "1",  # a layout this code does not know: replaced
    }
    change = metadata.patch(3, T3, ["A"], [], current)
    assert change == {
        "nbsecrets.v2.created": None,
        "nbsecrets.v2.keys.0": None,
        "nbsecrets.v2.settings.0": None,
        "nbsecrets.version": None,
        "nbsecrets.v3.created": T3,
        "nbsecrets.v3.keys.0": "A",
    }
    merged = {name: value for name, value in {**current, **change}.items() if value is not None}
    assert merged["owner"] == "data-team"
    assert metadata.decode(merged, 4, T4, None) == metadata.Described(("A", "B"), ())
    assert metadata.decode(merged, 2, T2, None) is None


def test_a_description_of_another_version_is_not_trusted() -> None:
    described = metadata.entries(3, T3, ["A"], ["A"])
    assert metadata.decode(described, 4, T3, None) is None
    assert metadata.decode(None, 1, T1, None) is None
    assert metadata.decode({"owner": "x"}, 1, T1, ["A"]) is None


def test_the_data_read_decides_which_keys_exist() -> None:
    """Keys the data lacks are dropped; keys it has that the description missed come last."""
    described = metadata.entries(2, T2, ["C", "A", "B"], ["B"])
    assert metadata.decode(described, 2, T2, ["A", "B", "D"]) == metadata.Described(("A", "B", "D"), ("B",))


def test_long_key_lists_are_split_within_the_servers_value_limit() -> None:
    keys = [f"KEY_{index:03d}_{'X' * 40}" for index in range(100)]
    described = metadata.entries(1, T1, keys, keys[::2])
    assert all(len(value.encode()) <= metadata.VALUE_LIMIT for value in described.values())
    assert sum(".keys." in name for name in described) > 1
    assert metadata.decode(described, 1, T1, None) == metadata.Described(tuple(keys), tuple(keys[::2]))
    metadata.check_room(keys, keys[::2], {"owner": "data-team"}, 2)


def test_more_keys_than_the_servers_entries_hold_are_refused_before_writing() -> None:
    keys = [f"K{index:05d}_{'Y' * 100}" for index in range(400)]
    with pytest.raises(InvalidSecretError, match="Too many keys.*nothing was written"):
        metadata.check_room(keys, (), None, 1)


def test_other_tools_entries_count_against_the_room() -> None:
    keys = [f"K{index:03d}_{'Z' * 100}" for index in range(100)]  # about 25 entries
    metadata.check_room(keys, (), {f"tool.{n}": "x" for n in range(30)}, 1)
    with pytest.raises(InvalidSecretError, match="the 45 other tools keep"):
        metadata.check_room(keys, (), {f"tool.{n}": "x" for n in range(45)}, 1)


def test_a_key_longer_than_a_metadata_value_is_refused_before_writing() -> None:
    with pytest.raises(InvalidSecretError, match="more than 512 bytes"):
        metadata.check_room(["K" * 600], (), None, 1)


@pytest.mark.parametrize(
    "value",
    ["sk-test-plain", "", "ünïcödé-sk-test", "sk-test-\udcff-surrogate", "nbsecrets-bytes:sk-test-looks-marked", "nbsecrets-bytes:"],
)
def test_every_value_comes_back_exactly(value: str) -> None:
    data = metadata.to_data({"V": value})
    assert isinstance(data["V"], str)
    data["V"].encode("utf-8")  # what the server is sent is always UTF-8 text
    assert metadata.from_data(data) == {"V": value}


def test_text_values_are_stored_as_they_are_for_other_clients() -> None:
    assert metadata.to_data({"V": "sk-test-plain"}) == {"V": "sk-test-plain"}
    assert metadata.to_data({"V": "sk-test-\udcff"})["V"].startswith(metadata.BYTES_MARK)


def test_a_foreign_value_that_only_looks_marked_is_taken_as_text() -> None:
    assert metadata.from_data({"V": "nbsecrets-bytes:not base64!"}) == {"V": "nbsecrets-bytes:not base64!"}


def test_json_another_client_wrote_is_its_json_text() -> None:
    data = {"N": 5, "T": True, "Z": None, "O": {"a": [1, "x"]}}
    assert metadata.from_data(data) == {"N": "5", "T": "true", "Z": "null", "O": '{"a":[1,"x"]}'}


def test_server_times_are_utc_with_nanoseconds_cut_to_microseconds() -> None:
    assert metadata.timestamp("2026-12-07T03:33:39.711325243Z") == datetime(2026, 12, 7, 3, 33, 39, 711325, timezone.utc)
    assert metadata.timestamp("2026-12-07T03:33:39Z") == datetime(2026, 12, 7, 3, 33, 39, tzinfo=timezone.utc)
    assert metadata.timestamp("2026-12-07T03:33:39.5Z").microsecond == 500000
    assert metadata.timestamp("").tzinfo is timezone.utc
