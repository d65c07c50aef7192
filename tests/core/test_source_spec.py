"""One line of sources, parsed the same way for the CLI and the magics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsecrets import InvalidSecretError, get_store
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
