"""Secret.from_dotenv: strict where python-dotenv is lenient, never showing a value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets import DotenvError, Secret, SecretNotFoundError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_file_path_directory_and_search_upwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".env", "TOKEN=sk-test-dotenv-1\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert Secret.from_dotenv(tmp_path / ".env").resolve() == {"TOKEN": "sk-test-dotenv-1"}
    assert Secret.from_dotenv(tmp_path).resolve() == {"TOKEN": "sk-test-dotenv-1"}
    monkeypatch.chdir(nested)
    assert Secret.from_dotenv().resolve() == {"TOKEN": "sk-test-dotenv-1"}


def test_custom_filename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "prod.env", "A=sk-test-prod\n")
    monkeypatch.chdir(tmp_path)
    assert Secret.from_dotenv(filename="prod.env").resolve() == {"A": "sk-test-prod"}


def test_missing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretNotFoundError, match="not found"):
        Secret.from_dotenv(tmp_path / "nope.env")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    if any((parent / ".env").is_file() for parent in empty.parents):
        pytest.skip("a .env exists above the temporary directory")
    with pytest.raises(SecretNotFoundError, match="No .env file found"):
        Secret.from_dotenv()


def test_malformed_lines_name_file_and_lines_not_values(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", "GOOD=sk-test-good\n'sk-test-leaky value\nALSO_GOOD=1\nBAD KEY=sk-test-x\n")
    with pytest.raises(DotenvError) as info:
        Secret.from_dotenv(path).resolve()
    message = str(info.value)
    assert str(path) in message
    assert "2" in message and "4" in message
    assert "sk-test" not in message


def test_invalid_key_names_line(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", "OK=1\nmy-key=sk-test-x\n")
    with pytest.raises(DotenvError) as info:
        Secret.from_dotenv(path).resolve()
    assert "line 2" in str(info.value) and "my-key" in str(info.value)
    assert "sk-test" not in str(info.value)


def test_interpolation_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBS_HOST", "db.internal")
    path = write(tmp_path / ".env", "PASSWORD='pa$${X}word'\nURL=http://${NBS_HOST}/x\n")
    raw = Secret.from_dotenv(path).resolve()
    assert raw == {"PASSWORD": "pa$${X}word", "URL": "http://${NBS_HOST}/x"}
    interpolated = Secret.from_dotenv(path, interpolate=True).resolve()
    assert interpolated["URL"] == "http://db.internal/x"


def test_pem_export_comments_duplicates_and_bare_keys(tmp_path: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nsk-test-pem-line-1\nsk-test-pem-line-2\n-----END PRIVATE KEY-----"
    path = write(
        tmp_path / ".env",
        f'# a comment\nexport A=sk-test-a\nPEM="{pem}"\nA=sk-test-a-later\nDECLARED_ONLY\nEMPTY=\n',
    )
    env = Secret.from_dotenv(path).resolve()
    assert env == {"A": "sk-test-a-later", "PEM": pem, "EMPTY": ""}


def test_file_is_read_at_resolve_time(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", "A=sk-test-first\n")
    secret = Secret.from_dotenv(path)
    write(path, "A=sk-test-second\n")
    assert secret.resolve() == {"A": "sk-test-second"}


def test_required_keys(tmp_path: Path) -> None:
    from nbsecrets import MissingKeysError

    path = write(tmp_path / ".env", "A=sk-test-a\n")
    with pytest.raises(MissingKeysError, match="B"):
        Secret.from_dotenv(path, required_keys=["A", "B"]).resolve()


def test_repr_has_path_and_keys_not_values(tmp_path: Path) -> None:
    secret = Secret.from_dotenv(write(tmp_path / ".env", "TOKEN=sk-test-repr\n"))
    secret.resolve()
    assert "TOKEN" in repr(secret) and "sk-test-repr" not in repr(secret)


# Single-quoted .env values are taken literally; python-dotenv's quoting cannot
# express a backslash before the closing quote, so values here hold neither.
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\\'"), max_size=60
)


@settings(max_examples=150, deadline=None)
@given(env=st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), values, max_size=6))
def test_any_value_round_trips_through_a_quoted_env_file(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> None:
    """Values written the way a careful user writes them (single-quoted) come back unchanged:
    spaces, '#', '$', '=', quotes, newlines and any unicode."""
    path = tmp_path_factory.mktemp("env") / ".env"
    lines = [f"{key}='{value}'" for key, value in env.items()]
    write(path, "\n".join(lines) + "\n")
    assert Secret.from_dotenv(path).resolve() == env


def test_unreadable_bytes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=\xff\xfe\n")
    with pytest.raises(DotenvError, match="UTF-8"):
        Secret.from_dotenv(path).resolve()
    assert os.path.exists(path)
