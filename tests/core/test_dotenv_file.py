"""Secret.from_dotenv: strict where python-dotenv is lenient, never showing a value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets import DotenvError, Secret, SecretNotFoundError
from nbsecrets.core.dotenv_file import find_dotenv_file, is_dotenv_name


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
    with pytest.raises(SecretNotFoundError, match="nope.env does not exist"):
        Secret.from_dotenv(tmp_path / "nope.env")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    if any((parent / ".env").is_file() for parent in empty.parents):
        pytest.skip("a .env exists above the temporary directory")
    with pytest.raises(SecretNotFoundError, match="No .env file found"):
        Secret.from_dotenv()


def no_dotenv_above(directory: Path, filename: str = ".env") -> None:
    if any((parent / filename).is_file() for parent in directory.parents):
        pytest.skip(f"a {filename} exists above the temporary directory")


def test_a_modules_file_starts_the_search_in_its_directory(tmp_path: Path) -> None:
    """Modal's `Secret.from_dotenv(__file__)`: the project's .env above the module is found."""
    write(tmp_path / ".env", "TOKEN=sk-test-project\n")
    module = tmp_path / "src" / "pkg" / "jobs" / "train.py"
    module.parent.mkdir(parents=True)
    write(module, "print('train')\n")
    secret = Secret.from_dotenv(module)
    assert secret.resolve() == {"TOKEN": "sk-test-project"}
    assert secret.describe() == f".env file {(tmp_path / '.env').resolve()}"
    write(module.parent.parent / ".env", "TOKEN=sk-test-nearer\n")
    assert Secret.from_dotenv(str(module)).resolve() == {"TOKEN": "sk-test-nearer"}


def test_a_directory_searches_upwards(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TOKEN=sk-test-above\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert Secret.from_dotenv(nested).resolve() == {"TOKEN": "sk-test-above"}
    write(nested / ".env", "TOKEN=sk-test-here\n")
    assert Secret.from_dotenv(nested).resolve() == {"TOKEN": "sk-test-here"}


@pytest.mark.parametrize("name", ["prod.env", ".env.local", ".env-dev", ".env_staging"])
def test_a_file_named_like_a_dotenv_is_read_directly(tmp_path: Path, name: str) -> None:
    """Not the .env beside or above it: naming `prod.env` means that file."""
    write(tmp_path / ".env", "WHICH=sk-test-plain-env\n")
    config = tmp_path / "config"
    config.mkdir()
    write(config / ".env", "WHICH=sk-test-beside\n")
    path = write(config / name, "WHICH=sk-test-named\n")
    assert Secret.from_dotenv(path).resolve() == {"WHICH": "sk-test-named"}
    assert Secret.from_dotenv(str(path), filename=".env.other").resolve() == {"WHICH": "sk-test-named"}


def test_which_names_count_as_dotenv_files() -> None:
    for name in (".env", "prod.env", ".env.local", ".env.production", ".env-dev", ".env_ci"):
        assert is_dotenv_name(name)
    for name in (".envrc", "env", "settings.py", "prod.env.bak", "dotenv", "notes.txt"):
        assert not is_dotenv_name(name)
    assert is_dotenv_name("vars.cfg", filename="vars.cfg")


def test_a_file_that_is_not_a_dotenv_with_none_above_names_the_start(tmp_path: Path) -> None:
    start = tmp_path / "project" / "src"
    start.mkdir(parents=True)
    module = write(start / "train.py", "KEY='sk-test-not-read'\n")
    no_dotenv_above(start)
    with pytest.raises(SecretNotFoundError) as info:
        Secret.from_dotenv(module)
    message = str(info.value)
    assert f"No .env file found in {start.resolve()} or any directory above it" in message
    assert "Create .env there" in message
    assert "sk-test" not in message


def test_a_path_that_does_not_exist_is_an_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".env", "A=sk-test-unused\n")
    monkeypatch.chdir(tmp_path)
    cases = [(tmp_path / "nope.env", tmp_path / "nope.env"), ("no-such-dir/", Path.cwd() / "no-such-dir"), ("gone.py", Path.cwd() / "gone.py")]
    for missing, shown in cases:
        with pytest.raises(SecretNotFoundError) as info:
            Secret.from_dotenv(missing)
        message = str(info.value)
        assert f"{shown} does not exist" in message
        assert "sk-test" not in message


def test_filename_with_a_starting_path(tmp_path: Path) -> None:
    write(tmp_path / ".env.dev", "STAGE=sk-test-dev\n")
    module = tmp_path / "app" / "main.py"
    module.parent.mkdir()
    write(module, "")
    write(module.parent / ".env", "STAGE=sk-test-default\n")  # nearer, but not the file asked for
    assert Secret.from_dotenv(module, filename=".env.dev").resolve() == {"STAGE": "sk-test-dev"}
    assert Secret.from_dotenv(module.parent, filename=".env.dev").resolve() == {"STAGE": "sk-test-dev"}
    assert Secret.from_dotenv(module).resolve() == {"STAGE": "sk-test-default"}
    no_dotenv_above(tmp_path, ".env.test")
    with pytest.raises(SecretNotFoundError, match=r"No \.env\.test file found in .*app"):
        Secret.from_dotenv(module, filename=".env.test")


def test_command_line_files_are_read_as_named(tmp_path: Path) -> None:
    """`--from-dotenv FILE` imports the file it is given, whatever its name, and a directory must hold
    the file: only `Secret.from_dotenv` (Modal's rule) searches upwards from a path."""
    write(tmp_path / ".env", "A=sk-test-above\n")
    (tmp_path / "sub").mkdir()
    named = write(tmp_path / "sub" / "vars.txt", "A=sk-test-named\n")
    assert find_dotenv_file(named) == named.resolve()
    assert find_dotenv_file(named, modal=True) == (tmp_path / ".env").resolve()
    with pytest.raises(SecretNotFoundError, match="No .env file in .*sub; pass the file itself"):
        find_dotenv_file(tmp_path / "sub")
    assert find_dotenv_file(tmp_path / "sub", modal=True) == (tmp_path / ".env").resolve()
    assert find_dotenv_file(tmp_path) == (tmp_path / ".env").resolve()
    with pytest.raises(SecretNotFoundError, match="does not exist"):
        find_dotenv_file(tmp_path / "sub" / "missing.txt")


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
    assert "line 2 is not KEY=VALUE" in str(info.value)
    # The bad "key" is not quoted: a line without '=' (the second half of a wrapped value) would be a value.
    assert "my-key" not in str(info.value) and "sk-test" not in str(info.value)


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
