"""%secret and %%with_secrets in an in-process IPython shell."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import pytest
from IPython.core.error import StdinNotImplementedError, UsageError

from nbsecrets import get_store
from nbsecrets.adapters import texts
from nbsecrets.adapters.ipython.magics import NO_STDIN, SecretMagicError
from nbsecrets.core.registry import registry

FAKE = "sk-test-magic-0123456789"




def run(ip, line: str) -> None:
    ip.run_line_magic("secret", line)


def test_help_and_docstring_cover_every_subcommand(ip, capsys) -> None:
    run(ip, "help")
    text = capsys.readouterr().out
    for command in ("create", "update", "list", "show", "delete", "templates", "load", "unload", "status", "mask"):
        assert f"%secret {command}" in text
    assert "%%with_secrets" in text
    assert "%secret create" in ip.find_line_magic("secret").__doc__


def test_create_with_prompt_env_var_and_inline_warning(ip, capsys, prompts, monkeypatch) -> None:
    asked, answers = prompts
    answers["OPENAI_API_KEY"] = FAKE
    monkeypatch.setenv("NBS_ORG", "sk-test-org-value")
    run(ip, "create openai OPENAI_API_KEY OPENAI_ORG=$NBS_ORG BASE_URL=http://127.0.0.1")
    captured = capsys.readouterr()
    assert asked == ["OPENAI_API_KEY"]
    assert "Created secret 'openai'" in captured.out
    assert "BASE_URL" in captured.err and "history" in captured.err
    assert FAKE not in captured.out + captured.err
    assert get_store().get("openai") == {
        "OPENAI_API_KEY": FAKE,
        "OPENAI_ORG": "sk-test-org-value",
        "BASE_URL": "http://127.0.0.1",
    }
    assert FAKE in registry


def test_dollar_is_not_expanded_from_python_variables(ip, monkeypatch) -> None:
    ip.user_ns["NBS_PYVAR"] = "sk-test-python-variable"
    monkeypatch.setenv("NBS_PYVAR", "sk-test-from-environment")
    run(ip, "create x A=$NBS_PYVAR")
    assert get_store().get("x") == {"A": "sk-test-from-environment"}


def test_create_from_template_prompts_each_key(ip, prompts) -> None:
    asked, answers = prompts
    answers.update({key: f"sk-test-{key.lower()}" for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    run(ip, "create aws-prod --template aws")
    assert asked == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert set(get_store().get("aws-prod")) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_templates_lists_services(ip, capsys) -> None:
    run(ip, "templates")
    out = capsys.readouterr().out
    for name, key in [("openai", "OPENAI_API_KEY"), ("huggingface", "HF_TOKEN"), ("postgres", "PGPASSWORD"), ("github", "GITHUB_TOKEN"), ("wandb", "WANDB_API_KEY")]:
        assert name in out and key in out


def test_create_from_files_in_order(ip, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=sk-test-dotenv\nB=sk-test-b\n")
    (tmp_path / "k.json").write_text(json.dumps({"A": "sk-test-json"}))
    run(ip, f"create files --from-dotenv {tmp_path / '.env'} --from-json {tmp_path / 'k.json'}")
    assert get_store().get("files") == {"A": "sk-test-json", "B": "sk-test-b"}


def test_no_stdin_gives_a_clear_error_and_stores_nothing(ip, monkeypatch) -> None:
    def no_stdin(prompt: str = "") -> str:
        raise StdinNotImplementedError("no stdin")

    monkeypatch.setattr(getpass, "getpass", no_stdin)
    with pytest.raises(SecretMagicError, match="cannot prompt") as info:
        run(ip, "create openai OPENAI_API_KEY")
    assert str(info.value) == NO_STDIN
    assert "nbsecrets create" in str(info.value) and "KEY=$VAR" in str(info.value)
    assert get_store().list() == []


def test_create_existing_needs_force_and_keeps_old_value(ip) -> None:
    get_store().create("dup", {"A": "sk-test-original"})
    with pytest.raises(UsageError, match="already exists"):
        run(ip, "create dup A=sk-test-new")
    assert get_store().get("dup") == {"A": "sk-test-original"}
    run(ip, "create dup A=sk-test-new --force")
    assert get_store().get("dup") == {"A": "sk-test-new"}


@pytest.mark.parametrize(
    "line, message",
    [
        ("create", "Name the secret"),
        ("create ok", "Nothing to store: give KEY"),
        ("create 'bad name' A=1", "Invalid secret name"),
        ("create ok 1A=x", "Invalid key"),
        ("create ok A=$NBS_SURELY_UNSET", "NBS_SURELY_UNSET is not set"),
        ("create ok --template nope", "Unknown template"),
        ("update ok --template aws", "only for create"),
        ("bogus", r"Unknown command 'bogus'\. See: %secret help"),
        ("show", "Name one secret"),
        ("list extra", "takes no names"),
        ("load", "Name what to load"),
        ("status extra", "takes no arguments"),
        ("unload never-loaded", "Not loaded"),
        ("create ok A='unterminated", "Cannot parse"),
    ],
)
def test_errors_are_one_line_usage_errors(ip, line: str, message: str) -> None:
    with pytest.raises(SecretMagicError, match=message) as info:
        run(ip, line)
    assert isinstance(info.value, UsageError)  # code catching UsageError keeps working
    assert "\n" not in str(info.value)
    assert info.value._render_traceback_() == [texts.error_line(str(info.value))]
    assert texts.error_line(str(info.value)).startswith("nbsecrets: error: ")


def test_list_show_update_delete(ip, capsys, monkeypatch) -> None:
    run(ip, "list")
    assert "No secrets yet" in capsys.readouterr().out
    get_store().create("db", {"PGPASSWORD": FAKE})
    run(ip, "update db PGUSER=analyst")
    run(ip, "list")
    out = capsys.readouterr().out
    assert "NAME" in out and "db" in out and "PGPASSWORD, PGUSER" in out
    run(ip, "show db")
    out = capsys.readouterr().out
    assert out == texts.secret_details(get_store().info("db")) + "\n"
    assert "PGPASSWORD" in out and "Created:" in out and FAKE not in out

    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    run(ip, "delete db")
    assert capsys.readouterr().out == "Not deleted.\n"
    assert get_store().exists("db")
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    run(ip, "delete db")
    assert capsys.readouterr().out == "Deleted secret 'db'.\n"
    assert not get_store().exists("db")
    get_store().create("db2", {"A": FAKE})
    run(ip, "delete db2 --yes")
    assert not get_store().exists("db2")
    run(ip, "delete db2 --yes --allow-missing")
    assert capsys.readouterr().out == "Deleted secret 'db2'.\nNo secret named 'db2'; nothing deleted.\n"


def test_update_missing_secret(ip) -> None:
    with pytest.raises(UsageError, match="not found"):
        run(ip, "update nope A=sk-test-x")


def test_load_status_unload(ip, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PGHOST", "preexisting-host")
    get_store().create("db", {"PGPASSWORD": FAKE, "PGHOST": "db.internal"})
    ip.user_ns["overrides"] = {"PGHOST": "override-host"}
    run(ip, "load db --dict overrides")
    out = capsys.readouterr().out
    assert os.environ["PGHOST"] == "override-host"
    assert os.environ["PGPASSWORD"] == FAKE
    assert "Loaded 2 keys" in out and FAKE not in out
    run(ip, "status")
    out = capsys.readouterr().out
    assert "PGHOST" in out and "dict:overrides" in out and "overrides db" in out
    run(ip, "unload dict:overrides")
    assert os.environ["PGHOST"] == "db.internal"
    run(ip, "unload")
    assert os.environ["PGHOST"] == "preexisting-host"
    assert "PGPASSWORD" not in os.environ
    run(ip, "status")
    assert "Nothing loaded" in capsys.readouterr().out


def test_load_with_required_missing_changes_nothing(ip, monkeypatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    get_store().create("db", {"PGPASSWORD": FAKE})
    with pytest.raises(UsageError, match="PGUSER"):
        run(ip, "load db --required PGUSER")
    assert "PGPASSWORD" not in os.environ


def test_mask_variable_and_literal(ip, capsys) -> None:
    ip.user_ns["token"] = "sk-test-mask-variable-1"
    run(ip, "mask token")
    assert "sk-test-mask-variable-1" in registry
    assert "sk-test-mask-variable-1" not in capsys.readouterr().out
    run(ip, "mask --literal sk-test-mask-literal-2")
    assert "sk-test-mask-literal-2" in registry
    ip.user_ns["number"] = 5
    with pytest.raises(UsageError, match=r"is not a string \(it is int\)"):
        run(ip, "mask number")


def test_with_secrets_cell_restores_environment_even_on_error(ip, monkeypatch) -> None:
    monkeypatch.setenv("NBS_KEEP", "outer")
    get_store().create("cellsecret", {"NBS_KEEP": FAKE, "NBS_NEW": "sk-test-new-value"})
    ip.run_cell("import os")
    before = dict(os.environ)
    ip.run_cell_magic("with_secrets", "cellsecret", "seen = (os.environ['NBS_KEEP'], os.environ['NBS_NEW'])")
    assert ip.user_ns["seen"] == (FAKE, "sk-test-new-value")
    assert dict(os.environ) == before
    with pytest.raises(UsageError, match="raised ValueError; the environment was restored"):
        ip.run_cell_magic("with_secrets", "cellsecret", "raise ValueError('inside')")
    assert dict(os.environ) == before
    with pytest.raises(UsageError, match="raised KeyboardInterrupt"):
        ip.run_cell_magic("with_secrets", "cellsecret", "raise KeyboardInterrupt")
    assert dict(os.environ) == before


def test_with_secrets_later_source_wins(ip, monkeypatch) -> None:
    ip.run_cell("import os")
    get_store().create("first", {"NBS_X": "sk-test-first"})
    ip.user_ns["late"] = {"NBS_X": "sk-test-late"}
    ip.run_cell_magic("with_secrets", "first --dict late", "value = os.environ['NBS_X']")
    assert ip.user_ns["value"] == "sk-test-late"


def test_with_secrets_bad_source_does_not_run_cell(ip) -> None:
    ip.user_ns.pop("ran", None)
    with pytest.raises(UsageError, match="not found"):
        ip.run_cell_magic("with_secrets", "missing-secret", "ran = True")
    assert "ran" not in ip.user_ns


def test_panel_takes_no_arguments(ip) -> None:
    with pytest.raises(SecretMagicError, match="%secret panel takes no arguments"):
        run(ip, "panel openai")
