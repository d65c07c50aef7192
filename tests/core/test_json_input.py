"""`--from-json PATH` with files as they come: deep, huge, with a byte-order mark, not UTF-8, not an object.

Each problem is one clear error naming the file and what is wrong, never a value
(nor a key that is not a variable name: it may be a value pasted in the wrong
place), and never "this is a bug".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from cli_runs import Result

from nbsecrets import InvalidSecretError, SecretNotFoundError, get_store
from nbsecrets.core.assignments import Suppliers, collect, parse_write, read_json_file

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")

FIRST_HALF = "wJalrXUtnFEMI/K7MDENG"
SECOND_HALF = "bPxRfiCYEXAMPLEKEY"
SECRET = FIRST_HALF + SECOND_HALF  # AWS's documented example secret key
FRAGMENTS = ("wJalrXUtn", "bPxRfiCY", "K7MDENG", "sk-test")


def refused(path: Path | str, error: type[Exception] = InvalidSecretError) -> str:
    with pytest.raises(error) as raised:
        read_json_file(path)
    message = str(raised.value)
    for fragment in FRAGMENTS:
        assert fragment not in message
    assert "bug" not in message
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_deeply_nested_json_is_refused_plainly(tmp_path: Path) -> None:
    inside = write(tmp_path / "inside.json", '{"AWS_SECRET_ACCESS_KEY": "' + SECRET + '", "B": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "inside.json nests too deeply" in refused(inside)
    top = write(tmp_path / "top.json", "[" * 100_000 + "]" * 100_000)
    assert "top.json nests too deeply" in refused(top)


def test_huge_numbers_are_refused_as_numbers_not_a_crash(tmp_path: Path) -> None:
    digits = "7" * 5000  # past int's digit limit
    path = write(tmp_path / "big.json", '{"PIN": ' + digits + "}")
    message = refused(path)
    assert "PIN must be a string, not a number" in message and "777" not in message
    write(path, '{"PIN": 1e999999, "OTHER": -0.5e-999999}')
    assert "PIN must be a string, not a number" in refused(path)
    write(path, '{"PIN": NaN}')
    assert "PIN must be a string, not a number" in refused(path)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"API_KEY": "sk-test-bom"}).encode())
    assert read_json_file(path) == {"API_KEY": "sk-test-bom"}


def test_bytes_that_are_not_utf8_are_named(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes('{"API_KEY": "sk-test-caf\u00e9"}'.encode("latin-1"))
    message = refused(path)
    assert "latin.json is not UTF-8 text" in message and "save it as UTF-8" in message
    path.write_bytes(json.dumps({"API_KEY": "sk-test-16"}).encode("utf-16"))
    assert "UTF-16" in refused(path)


@pytest.mark.parametrize(
    ("document", "found"),
    [(["sk-test-list"], "a list"), ("sk-test-string", "a string"), (12345, "a number"), (True, "true or false"),
     (None, "null")],
)
def test_a_top_level_value_that_is_not_an_object_is_named(tmp_path: Path, document: object, found: str) -> None:
    path = write(tmp_path / "v.json", json.dumps(document))
    message = refused(path)
    assert f"v.json must hold a JSON object of KEY: value pairs, not {found}." in message
    assert "12345" not in message


def test_non_string_values(tmp_path: Path) -> None:
    """null leaves its key out (as None does in Secret.from_dict); any other non-string is refused by key."""
    path = write(tmp_path / "v.json", json.dumps({"A": "sk-test-a", "UNSET": None}))
    assert read_json_file(path) == {"A": "sk-test-a"}
    for value, kind in [(5432, "a number"), (1.5, "a number"), (False, "true or false"),
                        (["sk-test-in-list"], "a list"), ({"inner": "sk-test-in-object"}, "an object")]:
        write(path, json.dumps({"A": "sk-test-a", "B": value}))
        assert f"The value of B must be a string, not {kind}: put it in double quotes" in refused(path)


@pytest.mark.parametrize("key", [f"/{SECOND_HALF}", f"AWS_SECRET_ACCESS_KEY={SECRET}", "", "sk-test key with spaces"])
def test_a_key_that_is_not_a_name_is_not_quoted(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "v.json", json.dumps({"GOOD": "x", key: "sk-test-v"}))
    message = refused(path)
    assert "key 2 of the object is not a variable name" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"API_KEY": "sk-test-unterminated', "Unterminated string"),
        ('{"API_KEY": "sk-test-a" "B": "sk-test-b"}', "Expecting ',' delimiter"),
        ('{"API_KEY": "sk-test-\n-ctrl"}', "Invalid control character"),
        ("{'API_KEY': 'sk-test-single'}", "Expecting property name"),
        ('{"API_KEY": "sk-test-a"} {"B": "sk-test-b"}', "Extra data"),
        ("", "Expecting value"),
    ],
)
def test_a_syntax_error_names_the_place_but_quotes_no_text(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "bad.json", text)
    message = refused(path)
    assert "bad.json is not valid JSON (line " in message and problem in message
    assert " at at " not in message and " at." not in message


def test_a_nul_or_a_surrogate_in_a_value_is_named_by_key(tmp_path: Path) -> None:
    path = write(tmp_path / "v.json", '{"A": "sk-test-\\u0000"}')
    assert "v.json: The value of A contains a NUL" in refused(path)
    write(path, '{"A": "sk-test-\\ud800"}')
    assert "surrogate" in refused(path)


def test_missing_directory_and_empty_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "JSON file not found" in refused(tmp_path / "missing.json", SecretNotFoundError)
    assert "is a directory: pass the JSON file itself" in refused(tmp_path)
    assert "empty" in refused("")
    monkeypatch.chdir(tmp_path)
    for words in (["svc", "--from-json="], ["svc", "--from-json", ""], ["svc", "--from-dotenv="], ["svc", "A", "--from-json", " "]):
        with pytest.raises(InvalidSecretError, match=r"--from-(json|dotenv) needs a path, and the one given is empty"):
            parse_write("create", words)


def test_a_good_file_still_works_with_everything_else(tmp_path: Path) -> None:
    path = write(tmp_path / "v.json", json.dumps({"API_KEY": "sk-test-good", "unicode": "sk-test-\u00e9\u4e2d", "UNSET": None}))
    request = parse_write("create", ["svc", "--from-json", str(path), "EXTRA=sk-test-inline"])
    assert collect(request, Suppliers()) == {"API_KEY": "sk-test-good", "unicode": "sk-test-\u00e9\u4e2d", "EXTRA": "sk-test-inline"}


# -- through the command line ------------------------------------------------------------------




HOSTILE = {
    "deep": '{"AWS_SECRET_ACCESS_KEY": "' + SECRET + '", "B": ' + "[" * 50_000 + "]" * 50_000 + "}",
    "huge-number": '{"AWS_SECRET_ACCESS_KEY": "' + SECRET + '", "PIN": ' + "9" * 10_000 + "}",
    "not-an-object": json.dumps([SECRET]),
    "bad-key": json.dumps({"AWS_SECRET_ACCESS_KEY": FIRST_HALF, SECOND_HALF + "/x": "y"}),
    "syntax": '{"AWS_SECRET_ACCESS_KEY": "' + SECRET + '" "B": 1}',
    "unterminated": '{"AWS_SECRET_ACCESS_KEY": "' + SECRET,
    "number-value": json.dumps({"AWS_SECRET_ACCESS_KEY": SECRET, "PORT": 5432}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_cli_create_refuses_a_hostile_file_cleanly(tmp_path: Path, nbs: Callable[..., Result], case: str) -> None:
    path = write(tmp_path / "keys.json", HOSTILE[case])
    result = nbs("create", "aws", "--from-json", str(path))
    assert result.code != 0
    assert "keys.json" in result.err and "nbsecrets: error: " in result.err
    assert "Traceback" not in result.both and "bug" not in result.both
    for fragment in FRAGMENTS:
        assert fragment not in result.both
    assert not get_store().exists("aws")


def test_cli_create_refuses_latin1_bytes(tmp_path: Path, nbs: Callable[..., Result]) -> None:
    path = tmp_path / "keys.json"
    path.write_bytes(('{"AWS_SECRET_ACCESS_KEY": "' + SECRET + '\u00e9"}').encode("latin-1"))
    result = nbs("create", "aws", "--from-json", str(path))
    assert result.code != 0 and "is not UTF-8 text" in result.err
    for fragment in FRAGMENTS:
        assert fragment not in result.both
    assert not get_store().exists("aws")


def test_cli_create_reads_a_file_with_a_byte_order_mark(tmp_path: Path, nbs: Callable[..., Result]) -> None:
    path = tmp_path / "keys.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"AWS_SECRET_ACCESS_KEY": SECRET}).encode())
    result = nbs("create", "aws", "--from-json", str(path))
    assert result.code == 0, result.err
    for fragment in FRAGMENTS:
        assert fragment not in result.both
    assert get_store().read("aws").env == {"AWS_SECRET_ACCESS_KEY": SECRET}


@pytest.mark.parametrize("words", [["--from-json="], ["--from-json", ""], ["--from-dotenv="], ["--from-dotenv", ""]])
def test_cli_empty_path_is_named_not_a_directory_error(
    tmp_path: Path, nbs: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, words: list[str]
) -> None:
    write(tmp_path / ".env", "API_KEY=sk-test-cwd\n")
    monkeypatch.chdir(tmp_path)
    result = nbs("create", "svc", *words)
    assert result.code != 0
    assert "needs a path, and the one given is empty" in result.err
    assert "IsADirectoryError" not in result.both and "Cannot read ." not in result.both and "bug" not in result.both
    assert "sk-test-cwd" not in result.both
    assert not get_store().exists("svc")
