""".env files as they come: values cut across lines, byte-order marks, odd encodings.

A message names the file and line numbers only, never a line's text (which may
be part of a value), and a value cut across two lines is refused rather than
stored truncated. The other side matters as much: ordinary files must load,
or people stop using the strict reader.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from cli_runs import Result

from nbsecrets import DotenvError, InvalidSecretError, Secret, get_store
from nbsecrets.core.assignments import Suppliers, collect, parse_write
from nbsecrets.core.dotenv_file import find_dotenv_file, read_dotenv_file
from nbsecrets.core.secret import dotenv_secret
from nbsecrets.core.source_spec import parse_sources

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")

# AWS's documented example secret key, cut in two the way a terminal or an editor wraps it.
FIRST_HALF = "wJalrXUtnFEMI/K7MDENG"
SECOND_HALF = "bPxRfiCYEXAMPLEKEY"
FRAGMENTS = (FIRST_HALF, SECOND_HALF, "wJalrXUtn", "bPxRfiCY", "K7MDENG", "EXAMPLEKEY")
CUT = "looks like the rest of the value on line"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(DotenvError) as raised:
        Secret.from_dotenv(path).resolve()
    message = str(raised.value)
    assert str(path) in message or path.name in message
    for fragment in FRAGMENTS:
        assert fragment not in message
    return message


# -- a value cut across lines is refused, by line number -------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "above"),
    [
        # The brief's example: padding makes the second half parse as KEY=VALUE.
        (f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n", 2, 1),
        # One '=' of padding: an empty "value".
        (f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}=\n", 2, 1),
        # No padding: a bare word, which python-dotenv takes for a key without a value and drops.
        (f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}\n", 2, 1),
        # The cut fell on a '/', so the "key" is not even a name.
        (f"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\n/{SECOND_HALF}\n", 2, 1),
        # Indented by the editor that wrapped it.
        (f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n    {SECOND_HALF}==\n", 2, 1),
        # After `export`, and with a comment after the first half.
        (f"export AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n", 2, 1),
        (f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}  # prod\n{SECOND_HALF}\n", 2, 1),
        # Windows line endings.
        (f"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\r\nAWS_SECRET_ACCESS_KEY={FIRST_HALF}\r\n{SECOND_HALF}==\r\n", 3, 2),
        # Further down a file, after blank lines and comments (line numbers count them).
        (f"# aws\n\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\n\nAWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\nREGION=eu-west-1\n", 7, 6),
        # A connection string cut inside its base64 key: the rest starts with the padding.
        (f"AZURE=DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={FIRST_HALF}\n"
         f"{SECOND_HALF}==;EndpointSuffix=core.windows.net\n", 2, 1),
        # Even an upper-case "key": a value that starts with '=' is padding, not a value.
        (f"TOKEN={FIRST_HALF}\nEXAMPLEKEY==\n", 2, 1),
    ],
    ids=["padding", "one-pad", "bare", "slash", "indented", "export", "comment", "crlf", "further-down",
         "connection-string", "upper-padding"],
)
def test_a_value_cut_across_lines_is_refused(tmp_path: Path, text: str, line: int, above: int) -> None:
    message = refusal(write(tmp_path / ".env", text))
    assert f"line {line} {CUT} {above}" in message
    assert "join" in message.lower() and "quote" in message


def test_every_cut_line_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / ".env",
        f"A={FIRST_HALF}\n{SECOND_HALF}==\nOK=1\n\nB={FIRST_HALF}\n{SECOND_HALF}\nC={FIRST_HALF}\n/{SECOND_HALF}\n",
    )
    message = refusal(path)
    assert f"line 2 {CUT} 1" in message and "lines 6, 8" in message


def test_nothing_is_returned_from_a_file_with_a_cut_value(tmp_path: Path) -> None:
    """Not the truncated value, not the second half as a key: the whole file is refused."""
    path = write(tmp_path / ".env", f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n")
    with pytest.raises(DotenvError):
        read_dotenv_file(path)


@pytest.mark.parametrize(
    "reader",
    [
        lambda path: Secret.from_dotenv(path).resolve(),
        lambda path: Secret.from_dotenv(path.parent).resolve(),  # Modal's search
        lambda path: dotenv_secret(path).resolve(),
        lambda path: [secret.resolve() for secret in parse_sources(["--dotenv", str(path)])],  # run / %secret load
        lambda path: [secret.resolve() for secret in parse_sources([f"--dotenv={path}"])],
        lambda path: collect(parse_write("create", ["svc", "--from-dotenv", str(path)]), Suppliers()),  # create
        lambda path: read_dotenv_file(find_dotenv_file(path), interpolate=True),
    ],
    ids=["from_dotenv", "from_dotenv-dir", "dotenv_secret", "sources", "sources=", "create", "interpolate"],
)
def test_every_way_in_refuses_it_without_a_fragment(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    path = write(tmp_path / ".env", f"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n")
    with pytest.raises(DotenvError) as raised:
        reader(path)
    assert f"line 3 {CUT} 2" in str(raised.value)
    for fragment in FRAGMENTS:
        assert fragment not in str(raised.value)


# -- ordinary files still load -----------------------------------------------------------------

PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\nggSjAgEAAoIBAQC7sk-test-pem\n-----END PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("API_KEY=sk-test-x\nDEBUG=\n", {"API_KEY": "sk-test-x", "DEBUG": ""}),
        ("export API_KEY=sk-test-x\nexport DEBUG=\nexport MixedCase=\n", {"API_KEY": "sk-test-x", "DEBUG": "", "MixedCase": ""}),
        ("A=sk-test-a\n# bPxRfiCY is a comment\nB=\n", {"A": "sk-test-a", "B": ""}),
        ("A=sk-test-a\n\nmixedCase=\nlowerCamel\n", {"A": "sk-test-a", "mixedCase": ""}),
        (f'PEM="{PEM}"\nNEXT=\nAFTER=sk-test-after\n', {"PEM": PEM, "NEXT": "", "AFTER": "sk-test-after"}),
        (f"PEM='{PEM}'\nnext=\n", {"PEM": PEM, "next": ""}),
        ("api_key=sk-test-lower\ndebug=\nlog_level=info\n", {"api_key": "sk-test-lower", "debug": "", "log_level": "info"}),
        ('SECRET="sk-test-quoted"\nmixedCase=\nAlso=\n', {"SECRET": "sk-test-quoted", "mixedCase": "", "Also": ""}),
        ("SECRET='sk-test-single'\nbPxRfi==\n", {"SECRET": "sk-test-single", "bPxRfi": "="}),
        ("EMPTY=\nmixedCase=\n", {"EMPTY": "", "mixedCase": ""}),
        ("A=sk-test-a\nDECLARED_ONLY\nB=sk-test-b\n", {"A": "sk-test-a", "B": "sk-test-b"}),
        ("A=sk-test-a # note\nB=\n", {"A": "sk-test-a", "B": ""}),
        # Mixed-case keys with values of their own (ASP.NET, JavaScript projects).
        ("ASPNETCORE_ENVIRONMENT=Development\nConnectionStrings__Default=Server=db;Database=app\n"
         "Logging__LogLevel__Default=Information\napiKey=sk-test-camel\nAWSRegion=us-east-1\n",
         {"ASPNETCORE_ENVIRONMENT": "Development", "ConnectionStrings__Default": "Server=db;Database=app",
          "Logging__LogLevel__Default": "Information", "apiKey": "sk-test-camel", "AWSRegion": "us-east-1"}),
        ("URL=https://example.com/?a=1&b=2\nPADDED=c2stdGVzdA==\nNEXT=sk-test-n\n",
         {"URL": "https://example.com/?a=1&b=2", "PADDED": "c2stdGVzdA==", "NEXT": "sk-test-n"}),
        ("A = sk-test-spaced\nB =\n", {"A": "sk-test-spaced", "B": ""}),
        ('SEPARATOR="="\n', {"SEPARATOR": "="}),
        ("A=sk-test-a\r\nB=\r\n", {"A": "sk-test-a", "B": ""}),
        ("", {}),
        ("# only a comment\n\n", {}),
        ("A=sk-test-no-final-newline", {"A": "sk-test-no-final-newline"}),
    ],
)
def test_ordinary_files_load(tmp_path: Path, text: str, expected: dict[str, str]) -> None:
    assert Secret.from_dotenv(write(tmp_path / ".env", text)).resolve() == expected


def test_quoting_the_value_above_settles_a_false_alarm(tmp_path: Path) -> None:
    """The message's way out for a line that really is a variable of its own."""
    path = write(tmp_path / ".env", "TOKEN=sk-test-t\nmixedCase=\n")
    assert f"line 2 {CUT} 1" in refusal(path)
    write(path, 'TOKEN="sk-test-t"\nmixedCase=\n')
    assert Secret.from_dotenv(path).resolve() == {"TOKEN": "sk-test-t", "mixedCase": ""}
    write(path, 'TOKEN=sk-test-t\nmixedCase=""\n')
    assert Secret.from_dotenv(path).resolve() == {"TOKEN": "sk-test-t", "mixedCase": ""}


upper_keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True)
lower_keys = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
plain_values = st.from_regex(r"[A-Za-z0-9_./:@+-][A-Za-z0-9_./:@+=-]{0,40}", fullmatch=True)


@st.composite
def ordinary_files(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """Files as people write them: snake-case keys, unquoted or quoted values, empty ones,
    `export`, comments and blank lines, in any order."""
    lines: list[str] = []
    env: dict[str, str] = {}
    for _ in range(draw(st.integers(0, 12))):
        key = draw(st.one_of(upper_keys, lower_keys))
        kind = draw(st.sampled_from(["plain", "empty", "quoted", "export", "comment", "blank"]))
        if kind == "comment":
            lines.append("# " + draw(plain_values))
            continue
        if kind == "blank":
            lines.append("")
            continue
        value = "" if kind == "empty" else draw(plain_values)
        written = f'"{value}"' if kind == "quoted" else value
        lines.append(f"{'export ' if kind == 'export' else ''}{key}={written}")
        env.pop(key, None)
        env[key] = value
    return "\n".join(lines) + "\n", env


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=ordinary_files())
def test_generated_ordinary_files_always_load(tmp_path: Path, case: tuple[str, dict[str, str]]) -> None:
    text, env = case
    assert Secret.from_dotenv(write(tmp_path / ".env", text)).resolve() == env


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=10, max_size=60), cut=st.integers(1, 200))
def test_a_cut_base64_value_is_never_stored_truncated_unless_its_rest_reads_as_a_name(
    tmp_path: Path, raw: bytes, cut: int
) -> None:
    """Split a random base64 secret anywhere: either the file is refused, without a fragment in
    the message, or the second half is a plain snake-case name (which nobody can tell from a
    variable) and does not start with padding."""
    value = base64.b64encode(raw).decode()
    cut = 1 + cut % (len(value) - 1)
    first, rest = value[:cut], value[cut:]
    assume(not first.endswith("="))
    path = write(tmp_path / ".env", f"SECRET={first}\n{rest}\n")
    try:
        Secret.from_dotenv(path).resolve()
    except DotenvError as exc:
        message = str(exc)
        assert any(said in message for said in (f"line 2 {CUT} 1", "cannot parse line 2", "line 2 is not KEY=VALUE"))
        for fragment in (first, rest.rstrip("=")):
            if len(fragment) >= 8:
                assert fragment not in message
    else:
        assert rest.count("=") <= 1  # `NAME=`, an empty value; `NAME==` is refused
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*", rest.rstrip("="))


# -- encodings and line numbers -----------------------------------------------------------------


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"\xef\xbb\xbfAPI_KEY=sk-test-bom\nOTHER=1\n")
    assert Secret.from_dotenv(path).resolve() == {"API_KEY": "sk-test-bom", "OTHER": "1"}


def test_utf16_is_named_and_nothing_quoted(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}{SECOND_HALF}\n".encode("utf-16"))
    message = refusal(path)
    assert "UTF-16" in message and "UTF-8" in message


def test_bytes_that_are_not_utf8_are_refused_without_a_fragment(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\xe9{SECOND_HALF}\n".encode("latin-1"))
    assert "not UTF-8" in refusal(path)


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    """python-dotenv counts the blank lines before a line into it: the number must be the line's own."""
    path = write(tmp_path / ".env", "A=sk-test-a\n\n\nmy-key=sk-test-bad\n")
    assert "line 4 is not KEY=VALUE" in refusal(path)
    path = write(tmp_path / ".env", "A=sk-test-a\n\n\n'sk-test-unclosed\n")
    assert "cannot parse line 4" in refusal(path)


def test_an_empty_path_is_not_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".env", "A=sk-test-cwd\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidSecretError, match="path of the .env file is empty"):
        find_dotenv_file("")
    with pytest.raises(InvalidSecretError, match="empty"):
        parse_sources(["--dotenv="])
    with pytest.raises(InvalidSecretError, match="--from-dotenv needs a path"):
        parse_write("create", ["svc", "--from-dotenv="])
    with pytest.raises(InvalidSecretError, match="--from-dotenv needs a path"):
        parse_write("create", ["svc", "--from-dotenv", ""])


def test_a_directory_read_as_a_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DotenvError, match="is a directory"):
        read_dotenv_file(tmp_path)


# -- through the command line ------------------------------------------------------------------




def assert_no_fragment(result: Result) -> None:
    both = result.out + result.err
    assert "Traceback" not in both and "bug" not in both
    for fragment in FRAGMENTS:
        assert fragment not in both


@pytest.mark.parametrize("rest", [f"{SECOND_HALF}==", SECOND_HALF, f"{SECOND_HALF}=", f"/{SECOND_HALF}"])
def test_cli_create_refuses_a_cut_value_and_stores_nothing(tmp_path: Path, nbs: Callable[..., Result], rest: str) -> None:
    path = write(tmp_path / "aws.env", f"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{rest}\n")
    result = nbs("create", "aws", "--from-dotenv", str(path))
    assert result.code != 0
    assert_no_fragment(result)
    assert f"line 3 {CUT} 2" in result.err
    assert not get_store().exists("aws")


def test_cli_update_refuses_a_cut_value_and_changes_nothing(tmp_path: Path, nbs: Callable[..., Result]) -> None:
    get_store().create("aws", {"AWS_SECRET_ACCESS_KEY": "sk-test-before"})
    path = write(tmp_path / ".env", f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n")
    result = nbs("update", "aws", "--from-dotenv", str(path))
    assert result.code != 0
    assert_no_fragment(result)
    assert f"line 2 {CUT} 1" in result.err
    assert get_store().read("aws").env == {"AWS_SECRET_ACCESS_KEY": "sk-test-before"}


def test_cli_run_refuses_a_cut_value_before_running_anything(tmp_path: Path, nbs: Callable[..., Result]) -> None:
    path = write(tmp_path / ".env", f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n")
    marker = tmp_path / "ran"
    result = nbs("run", "--dotenv", str(path), "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert result.code != 0
    assert_no_fragment(result)
    assert f"line 2 {CUT} 1" in result.err
    assert not marker.exists()


def test_cli_create_still_loads_an_ordinary_file(tmp_path: Path, nbs: Callable[..., Result]) -> None:
    path = write(tmp_path / ".env", f'# keys\nexport API_KEY=sk-test-ordinary\nDEBUG=\n\nPEM="{PEM}"\nlog_level=info\n')
    result = nbs("create", "app", "--from-dotenv", str(path), "--allow-empty")
    assert result.code == 0, result.err
    assert "sk-test-ordinary" not in result.out + result.err
    assert get_store().read("app").env == {"API_KEY": "sk-test-ordinary", "DEBUG": "", "PEM": PEM, "log_level": "info"}


def test_cli_empty_dotenv_path_is_refused(tmp_path: Path, nbs: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".env", "API_KEY=sk-test-cwd\n")
    monkeypatch.chdir(tmp_path)
    result = nbs("create", "svc", "--from-dotenv=")
    assert result.code != 0 and "--from-dotenv needs a path" in result.err
    assert "bug" not in result.err and "sk-test-cwd" not in result.out + result.err
    assert not get_store().exists("svc")


def test_the_real_command_refuses_a_cut_value(tmp_path: Path) -> None:
    """Once as a subprocess: what a user's terminal shows."""
    path = write(tmp_path / ".env", f"AWS_SECRET_ACCESS_KEY={FIRST_HALF}\n{SECOND_HALF}==\n")
    done = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "create", "aws", "--from-dotenv", str(path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    assert done.returncode != 0
    assert_no_fragment(Result(done.returncode, done.stdout, done.stderr))
    assert f"line 2 {CUT} 1" in done.stderr
