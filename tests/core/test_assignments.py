"""Value arguments for create/update, shared by the CLI and the magics: tested once here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsecrets import AlreadyExistsError, InvalidSecretError, SecretNotFoundError, get_store
from nbsecrets.core.assignments import (
    TEMPLATES,
    create_from_arguments,
    gather_env,
    read_json_file,
    template_keys,
    update_from_arguments,
)


class Asker:
    def __init__(self, **answers: str) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, key: str) -> str:
        self.asked.append(key)
        return self.answers[key]


def test_forms_apply_in_order_and_later_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=sk-test-dotenv\nB=sk-test-dotenv-b\n")
    (tmp_path / "v.json").write_text(json.dumps({"B": "sk-test-json", "DROPPED": None}))
    ask = Asker(C="sk-test-asked")
    inline: list[list[str]] = []
    env = gather_env(
        [f"--from-dotenv={tmp_path / '.env'}", "A=sk-test-inline", "--from-json", str(tmp_path / "v.json"), "C",
         "D=-", "E=$NBS_VAR"],
        ask=ask,
        read_stdin=lambda key: "sk-test-stdin\n",
        environ={"NBS_VAR": "sk-test-environ"},
        on_inline=inline.append,
    )
    assert env == {
        "A": "sk-test-inline",
        "B": "sk-test-json",
        "C": "sk-test-asked",
        "D": "sk-test-stdin",
        "E": "sk-test-environ",
    }
    assert list(env) == ["A", "B", "C", "D", "E"]
    assert inline == [["A"]]


@pytest.mark.parametrize(
    "tokens, message",
    [
        (["GOOD", "1BAD"], "Invalid key"),
        (["GOOD", "--from-json", "/nonexistent/x.json"], "not found"),
        (["GOOD", "X=-", "Y=-"], "Only one KEY=-"),
        (["GOOD", "X=$NBS_UNSET_VAR"], "NBS_UNSET_VAR is not set"),
        (["GOOD", "--bogus"], "Unknown option"),
        (["GOOD", "--from-dotenv"], "needs a path"),
    ],
)
def test_every_check_happens_before_the_first_prompt(tokens: list[str], message: str) -> None:
    ask = Asker(GOOD="sk-test-never-typed")
    with pytest.raises((InvalidSecretError, SecretNotFoundError), match=message):
        gather_env(tokens, ask=ask, read_stdin=lambda key: "x", environ={})
    assert ask.asked == []


def test_forms_without_a_supplier_are_refused_or_literal() -> None:
    with pytest.raises(InvalidSecretError, match="no way to prompt"):
        gather_env(["KEY"])
    # Without stdin or environ suppliers, '-' and '$X' are plain values.
    assert gather_env(["A=-", "B=$X"]) == {"A": "-", "B": "$X"}


def test_one_trailing_newline_is_dropped_from_stdin_inner_ones_kept() -> None:
    pem = "-----BEGIN KEY-----\nsk-test-pem\n-----END KEY-----"
    assert gather_env(["PEM=-"], read_stdin=lambda key: pem + "\r\n") == {"PEM": pem}
    assert gather_env(["PEM=-"], read_stdin=lambda key: pem + "\n\n") == {"PEM": pem + "\n"}


def test_prompted_values_follow_the_rules() -> None:
    with pytest.raises(InvalidSecretError, match="NUL"):
        gather_env(["KEY"], ask=lambda key: "sk-test-\x00")


def test_json_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(InvalidSecretError, match="not valid JSON"):
        read_json_file(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InvalidSecretError, match="JSON object"):
        read_json_file(bad)
    bad.write_text(json.dumps({"A": 1}))
    with pytest.raises(InvalidSecretError, match="A must be a string"):
        read_json_file(bad)


def test_templates() -> None:
    assert template_keys("Postgres") == ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
    assert {"openai", "anthropic", "huggingface", "aws", "postgres", "mongodb", "wandb", "github"} <= set(TEMPLATES)
    with pytest.raises(InvalidSecretError, match="Unknown template"):
        template_keys("nope")


def test_create_refuses_an_existing_secret_before_prompting() -> None:
    store = get_store()
    store.create("dup", {"A": "sk-test-original"})
    ask = Asker(A="sk-test-new")
    with pytest.raises(AlreadyExistsError, match="--force"):
        create_from_arguments(store, "dup", ["A"], ask=ask)
    assert ask.asked == [] and store.get("dup") == {"A": "sk-test-original"}
    info = create_from_arguments(store, "dup", ["A"], overwrite=True, ask=ask)
    assert info.keys == ("A",) and store.get("dup") == {"A": "sk-test-new"}


def test_update_reports_a_missing_secret_before_prompting_and_merges() -> None:
    store = get_store()
    ask = Asker(B="sk-test-b")
    with pytest.raises(SecretNotFoundError):
        update_from_arguments(store, "missing", ["B"], ask=ask)
    assert ask.asked == []
    store.create("s", {"A": "sk-test-a"})
    info, changed = update_from_arguments(store, "s", ["B"], ask=ask)
    assert changed == ["B"] and info.keys == ("A", "B")
    with pytest.raises(InvalidSecretError, match="Nothing to update"):
        store.update("s", {})
