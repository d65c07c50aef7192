"""`nbsecrets create/update --setting/--secret/--template`, `templates`, and how list/show mark settings."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Callable

import pytest
from cli_runs import Result, errors

from nbsecrets import get_store
from nbsecrets.adapters.texts import secret_details, templates_table
from nbsecrets.core.assignments import TEMPLATES
from nbsecrets.core.registry import registry

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")


def host() -> str:
    return f"pg-{uuid.uuid4().hex[:10]}.test.invalid"


def secret_value() -> str:
    return f"sk-test-{uuid.uuid4().hex[:16]}"




@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], list[str]]:
    """Answers for hidden prompts by key, and the keys asked for, in order."""
    given: dict[str, str] = {}
    asked: list[str] = []

    def fake(prompt: str = "Password: ", stream: object = None) -> str:
        key = prompt.removesuffix(": ")
        asked.append(key)
        return given[key]

    monkeypatch.setattr(getpass, "getpass", fake)
    return given, asked


def test_templates_lists_each_templates_settings(nbs: Callable[..., Result]) -> None:
    result = nbs("templates")
    assert result.code == 0
    assert result.out == templates_table() + "\n"  # the text %secret templates prints too
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0].split() == ["TEMPLATE", "KEYS", "SETTINGS"]
    postgres = next(line for line in lines if line.startswith("postgres "))
    assert postgres.rstrip().endswith("PGHOST, PGPORT, PGUSER, PGDATABASE")
    openai = next(line for line in lines if line.startswith("openai "))
    assert openai.rstrip().endswith("-")
    assert len(lines) == 1 + len(TEMPLATES)


def test_create_from_a_template_prompts_each_key_and_marks_its_settings(nbs, answers) -> None:
    given, asked = answers
    values = {"PGHOST": host(), "PGPORT": "5432", "PGUSER": "app_user", "PGPASSWORD": secret_value(), "PGDATABASE": "appdb"}
    given.update(values)
    result = nbs("create", "db", "--template", "postgres")
    assert result.code == 0, result.err
    assert asked == list(TEMPLATES["postgres"].keys)
    assert "settings (not masked): PGHOST, PGPORT, PGUSER, PGDATABASE" in result.out
    assert get_store().info("db").settings == ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")
    assert values["PGHOST"] not in registry and values["PGPASSWORD"] in registry
    assert values["PGPASSWORD"] not in result.out + result.err


def test_setting_is_repeatable_comma_separated_and_allowed_before_the_name(nbs) -> None:
    url, port, token = f"https://{host()}", "8443", secret_value()
    result = nbs("create", "--setting", "URL", "svc", f"URL={url}", f"PORT={port}", f"TOKEN={token}",
                 "--setting=PORT")
    assert result.code == 0, result.err
    assert get_store().info("svc").settings == ("URL", "PORT")
    result = nbs("create", "two", f"A={host()}", f"B={host()}", f"C={secret_value()}", "--setting", "A,B")
    assert get_store().info("two").settings == ("A", "B")


def test_secret_keeps_a_template_key_masked(nbs, answers) -> None:
    given, _ = answers
    given.update({key: secret_value() for key in TEMPLATES["postgres"].keys})
    result = nbs("create", "db", "--template", "postgres", "--secret", "PGUSER")
    assert result.code == 0, result.err
    assert get_store().info("db").settings == ("PGHOST", "PGPORT", "PGDATABASE")


def test_a_setting_that_is_not_a_key_fails_before_prompting_and_stores_nothing(nbs, answers) -> None:
    given, asked = answers
    given["TOKEN"] = secret_value()
    result = nbs("create", "svc", "TOKEN", "--setting", "NOPE")
    assert result.code == 1
    assert errors(result) == ["nbsecrets: error: --setting NOPE: not a key of secret 'svc'."]
    assert asked == [] and not get_store().exists("svc")


def test_a_value_in_the_setting_option_is_not_echoed(nbs) -> None:
    value = secret_value()
    result = nbs("create", "svc", f"A={secret_value()}", "--setting", f"A={value}")
    assert result.code == 1
    assert value not in result.out + result.err
    assert "Invalid key (it holds '=')" in errors(result)[0]


def test_setting_needs_an_argument(nbs, answers) -> None:
    _, asked = answers
    for argv in (["create", "svc", "A", "--setting"], ["create", "svc", "A", "--setting", "--secret", "A"]):
        result = nbs(*argv)
        assert result.code == 1  # the core parses create's words: one InvalidSecretError line
        assert errors(result) == ["nbsecrets: error: --setting needs KEY[,KEY...]."]
    assert asked == [] and not get_store().exists("svc")


def test_update_moves_keys_between_settings_and_secrets(nbs) -> None:
    server, password = host(), secret_value()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": password})
    result = nbs("update", "db", "--setting", "PGHOST")
    assert result.code == 0, result.err
    assert result.out.strip() == ("Updated secret 'db'; keys now: PGHOST, PGPASSWORD; "
                                  "settings (not masked): PGHOST.")
    assert get_store().info("db").settings == ("PGHOST",)
    assert nbs("update", "db", "--secret", "PGHOST").code == 0
    assert get_store().info("db").settings == ()
    result = nbs("update", "db", "--setting", "PGUSER")
    assert errors(result) == ["nbsecrets: error: --setting PGUSER: not a key of secret 'db'."]
    result = nbs("update", "db", "PGUSER=app_user", "--setting", "PGUSER")
    assert result.code == 0 and get_store().info("db").settings == ("PGUSER",)
    assert "Updated secret 'db': set PGUSER;" in result.out
    assert errors(nbs("update", "db", "--template", "postgres")) == ["nbsecrets: error: --template is only for create."]
    for output in (result.out, result.err):
        assert password not in output


def test_list_and_show_mark_settings_in_text_and_json(nbs) -> None:
    server, password = host(), secret_value()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    get_store().create("plain", {"API_KEY": secret_value()})
    listed = nbs("list")
    lines = listed.out.splitlines()
    assert lines[0].split() == ["NAME", "KEYS", "SETTINGS", "UPDATED"]
    assert lines[1].split()[:4] == ["db", "PGHOST,", "PGPASSWORD", "PGHOST"]
    assert lines[2].split()[:3] == ["plain", "API_KEY", "-"]
    shown = nbs("show", "db")
    assert shown.out == secret_details(get_store().info("db")) + "\n"
    assert "Keys:     PGHOST, PGPASSWORD" in shown.out and "Settings: PGHOST  (not masked)" in shown.out
    assert "Secrets:  PGPASSWORD" in shown.out.splitlines()
    assert "Settings: -" in nbs("show", "plain").out
    as_json = json.loads(nbs("show", "db", "--json").out)
    assert as_json["keys"] == ["PGHOST", "PGPASSWORD"] and as_json["settings"] == ["PGHOST"]
    assert as_json["store"] == "local"
    assert [entry["settings"] for entry in json.loads(nbs("list", "--json").out)] == [["PGHOST"], []]
    for result in (listed, shown):
        assert server not in result.out and password not in result.out


def test_help_describes_the_options(nbs) -> None:
    create = nbs("create", "--help").out
    assert "--setting KEY[,KEY...]" in create and "--secret KEY[,KEY...]" in create and "--template T" in create
    update = nbs("update", "--help").out
    assert "--setting KEY[,KEY...]" in update and "--template" not in update.split("example:")[0]
    assert "templates" in nbs("--help").out


# -- inline values: a setting's value in the shell history is no harm, a secret's is ---------------


def history_warnings(result: Result) -> list[str]:
    return [line for line in result.err.splitlines() if "shell history" in line]


def test_a_setting_typed_inline_does_not_warn_about_the_shell_history(nbs) -> None:
    result = nbs("create", "svc", f"URL=https://{host()}", "PORT=8443", "--setting", "URL,PORT")
    assert result.code == 0, result.err
    assert history_warnings(result) == []
    assert get_store().info("svc").settings == ("URL", "PORT")


def test_a_secret_typed_inline_beside_a_setting_warns_naming_only_the_secret(nbs) -> None:
    token = secret_value()
    result = nbs("create", "svc", f"URL=https://{host()}", f"TOKEN={token}", "--setting", "URL")
    assert result.code == 0, result.err
    assert history_warnings(result) == [
        "nbsecrets: warning: the value of TOKEN was typed inline, so it is now in your shell history; "
        "next time write TOKEN alone to be prompted for it, or TOKEN=- to read it from stdin."
    ]
    assert token not in result.out + result.err


def test_a_template_with_inline_values_warns_only_for_its_secrets(nbs) -> None:
    password = secret_value()
    result = nbs("create", "db", "--template", "postgres", f"PGHOST={host()}", "PGPORT=5432", "PGUSER=app_user",
                 "PGDATABASE=appdb", f"PGPASSWORD={password}")
    assert result.code == 0, result.err
    [warning] = history_warnings(result)
    assert warning.startswith("nbsecrets: warning: the value of PGPASSWORD was typed inline")
    for setting in TEMPLATES["postgres"].settings:
        assert setting not in warning
    assert password not in result.out + result.err


def test_secret_on_a_template_setting_typed_inline_warns_for_it(nbs, answers) -> None:
    given, _ = answers
    given["PGPASSWORD"] = secret_value()
    result = nbs("create", "db", "--template", "postgres", f"PGHOST={host()}", "PGPORT=5432", "PGUSER=app_user",
                 "PGDATABASE=appdb", "--secret", "PGUSER")
    assert result.code == 0, result.err
    [warning] = history_warnings(result)
    assert "the value of PGUSER was typed inline" in warning
    assert get_store().info("db").settings == ("PGHOST", "PGPORT", "PGDATABASE")


def test_update_warns_for_a_secret_typed_inline_and_for_a_key_moved_to_the_secrets(nbs) -> None:
    get_store().create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    result = nbs("update", "db", f"PGPASSWORD={secret_value()}")
    assert result.code == 0, result.err
    assert len(history_warnings(result)) == 1 and "the value of PGPASSWORD" in history_warnings(result)[0]
    result = nbs("update", "db", f"PGHOST={host()}", "--secret", "PGHOST")
    assert result.code == 0, result.err
    assert len(history_warnings(result)) == 1 and "the value of PGHOST" in history_warnings(result)[0]
    assert get_store().info("db").settings == ()


def test_update_naming_a_setting_inline_with_setting_does_not_warn(nbs) -> None:
    get_store().create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    result = nbs("update", "db", f"PGHOST={host()}", "--setting", "PGHOST")
    assert result.code == 0, result.err
    assert history_warnings(result) == []


def test_update_of_an_existing_setting_typed_inline_does_not_warn(nbs) -> None:
    get_store().create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    result = nbs("update", "db", f"PGHOST={host()}")
    assert result.code == 0, result.err
    assert get_store().info("db").settings == ("PGHOST",)  # it stays a setting
    assert history_warnings(result) == []
