"""One line of sources, parsed the same way for the CLI and the magics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsecrets import InvalidSecretError, SecretNotFoundError, get_store
from nbsecrets.core.environment import merge, resolve_all
from nbsecrets.core.source_spec import parse_sources


def test_order_is_kept_across_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    get_store().create("stored", {"A": "sk-test-stored", "B": "sk-test-stored-b"})
    (tmp_path / ".env").write_text("A=sk-test-dotenv\nC=sk-test-c\n")
    monkeypatch.setenv("NBS_LOCAL", "sk-test-local")
    namespace = {"cfg": {"C": "sk-test-dict"}}
    secrets = parse_sources(["stored", f"--dotenv={tmp_path}", "--dict", "cfg", "--env", "NBS_LOCAL"], namespace)
    assert [s.kind for s in secrets] == ["name", "dotenv", "dict", "local_environ"]
    final, report = merge(resolve_all(secrets), lambda key: None)
    assert final == {"A": "sk-test-dotenv", "B": "sk-test-stored-b", "C": "sk-test-dict", "NBS_LOCAL": "sk-test-local"}
    assert {e.key: e.source for e in report}["C"] == "dict:cfg"


def test_dotenv_takes_a_following_path_only_when_it_looks_like_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("A=sk-test-a\n")
    monkeypatch.chdir(tmp_path)
    secrets = parse_sources(["--dotenv", "stored-name"])
    assert [s.kind for s in secrets] == ["dotenv", "name"]
    secrets = parse_sources(["--dotenv", "./.env"])
    assert [s.kind for s in secrets] == ["dotenv"]


def test_required_applies_to_the_source_before() -> None:
    secrets = parse_sources(["a", "b", "--required", "X,Y"])
    assert secrets[0].required_keys == ()
    assert secrets[1].required_keys == ("X", "Y")


@pytest.mark.parametrize(
    "tokens, message",
    [
        (["--required", "A"], "must follow"),
        (["--env"], "needs a value"),
        (["--bogus"], "Unknown source option"),
        (["--dict", "cfg"], "only available in IPython"),
        (["bad name"], "Invalid secret name"),
    ],
)
def test_errors(tokens: list[str], message: str) -> None:
    with pytest.raises(InvalidSecretError, match=message):
        parse_sources(tokens)


def test_dict_errors_name_the_variable() -> None:
    with pytest.raises(InvalidSecretError, match="no variable named 'nope'"):
        parse_sources(["--dict", "nope"], {})
    with pytest.raises(InvalidSecretError, match="expected a dict"):
        parse_sources(["--dict", "x"], {"x": [1]})


# -- STORE:NAME and the default store ------------------------------------------------------


def test_store_prefixes_and_the_default_store_for_bare_names() -> None:
    """`local:NAME` is NAME; `team:NAME` is team's; `store=` is where bare names are looked up."""
    assert [s.label for s in parse_sources(["local:db", "team:db", "db"])] == ["db", "team:db", "db"]
    assert [s.label for s in parse_sources(["local:db", "team:db", "db"], store="team")] == ["db", "team:db", "team:db"]
    assert [s.label for s in parse_sources(["db"], store="local")] == ["db"]


def test_a_source_in_a_store_that_is_not_configured_fails_when_resolved() -> None:
    get_store().create("db", {"A": "sk-test-local-db"})
    (source,) = parse_sources(["team:db"])
    with pytest.raises(SecretNotFoundError, match="No store named 'team'"):
        resolve_all([source])
    assert resolve_all(parse_sources(["local:db"]))[0][1] == {"A": "sk-test-local-db"}


@pytest.mark.parametrize("token", [":", "x:", ":x", "team:", "bad store:x"])
def test_a_malformed_store_reference_is_an_error(token: str) -> None:
    with pytest.raises(InvalidSecretError):
        parse_sources([token])


@pytest.mark.parametrize(
    "tokens",
    [
        ["OPENAI_API_KEY=sk-test-inline-source-value"],
        ["db", "OPENAI_API_KEY=sk-test-inline-source-value"],
        ["--env=OPENAI_API_KEY=sk-test-inline-source-value"],
        ["--env", "OPENAI_API_KEY=sk-test-inline-source-value"],
        ["db", "--required=OPENAI_API_KEY=sk-test-inline-source-value"],
        ["_private=sk-test-inline-source-value"],
    ],
)
def test_key_value_tokens_are_refused_without_their_value(tokens: list[str]) -> None:
    """A value typed where a source goes would otherwise be quoted back as a bad name, into the output."""
    with pytest.raises(InvalidSecretError) as raised:
        parse_sources(tokens)
    message = str(raised.value)
    assert "KEY=VALUE" in message and "=..." in message
    assert "sk-test" not in message and "inline-source-value" not in message


def test_a_path_with_an_equals_sign_is_not_a_key_value_token(tmp_path: Path) -> None:
    folder = tmp_path / "a=b"
    folder.mkdir()
    (folder / ".env").write_text("A=sk-test-path-with-equals\n")
    (source,) = parse_sources([f"--dotenv={folder}"])
    assert source.resolve() == {"A": "sk-test-path-with-equals"}
