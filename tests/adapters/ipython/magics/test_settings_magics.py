"""`%secret create/update --setting/--secret`, and settings in templates, show, list, load and status."""

from __future__ import annotations

import os
import uuid

import pytest
from IPython.core.error import UsageError

from nbsecrets import get_store
from nbsecrets.adapters import texts
from nbsecrets.adapters.texts import templates_table
from nbsecrets.core.assignments import TEMPLATES
from nbsecrets.core.masking import get_masker
from nbsecrets.core.registry import registry


def host() -> str:
    return f"pg-{uuid.uuid4().hex[:10]}.test.invalid"


def secret_value() -> str:
    return f"sk-test-{uuid.uuid4().hex[:16]}"




@pytest.fixture(autouse=True)
def clean_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in TEMPLATES["postgres"].keys:
        monkeypatch.delenv(key, raising=False)


def run(ip, line: str) -> None:
    ip.run_line_magic("secret", line)


def test_templates_show_the_settings_in_the_clis_words(ip, capsys) -> None:
    run(ip, "templates")
    out = capsys.readouterr().out
    assert out.rstrip("\n") == templates_table()
    assert "SETTINGS" in out.splitlines()[0]


def test_create_from_the_postgres_template_leaves_its_settings_unmasked(ip, capsys, prompts) -> None:
    asked, answers = prompts
    server, password = host(), secret_value()
    answers.update({"PGHOST": server, "PGPORT": "5432", "PGUSER": host(), "PGPASSWORD": password, "PGDATABASE": host()})
    run(ip, "create db --template postgres")
    out = capsys.readouterr().out
    assert asked == list(TEMPLATES["postgres"].keys)
    assert out == (
        "Created secret 'db' with keys: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; "
        "settings (not masked): PGHOST, PGPORT, PGUSER, PGDATABASE.\n"
    )
    assert get_store().info("db").settings == ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")
    assert password in registry and server not in registry
    assert get_masker().mask(f"{server} {password}") == f"{server} [masked:PGPASSWORD]"


def test_create_with_setting_and_show_and_list(ip, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NBS_URL", f"https://{host()}")
    monkeypatch.setenv("NBS_TOKEN", secret_value())
    run(ip, "create svc URL=$NBS_URL TOKEN=$NBS_TOKEN --setting URL")
    assert get_store().info("svc").settings == ("URL",)
    capsys.readouterr()
    run(ip, "show svc")
    out = capsys.readouterr().out
    assert out == texts.secret_details(get_store().info("svc")) + "\n"
    fields = {line.split(":", 1)[0]: line.split(":", 1)[1].split() for line in out.splitlines()}
    assert fields["Keys"] == ["URL,", "TOKEN"]
    assert fields["Secrets"][0] == "TOKEN"
    assert fields["Settings"][0] == "URL"
    run(ip, "list")
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["NAME", "KEYS", "SETTINGS", "UPDATED"]
    assert listing[1].split()[:4] == ["svc", "URL,", "TOKEN", "URL"]


def test_a_bad_setting_is_one_usage_error_naming_the_key_before_any_prompt(ip, prompts) -> None:
    asked, answers = prompts
    answers["TOKEN"] = secret_value()
    with pytest.raises(UsageError, match=r"--setting NOPE: not a key of secret 'svc'\.") as raised:
        run(ip, "create svc TOKEN --setting NOPE")
    assert asked == [] and "\n" not in str(raised.value)
    value = secret_value()
    with pytest.raises(UsageError) as raised:
        run(ip, f"create svc TOKEN --setting TOKEN={value}")
    assert value not in str(raised.value)
    assert not get_store().exists("svc")


def test_update_turns_keys_into_settings_and_back(ip, capsys) -> None:
    server = host()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": secret_value()})
    run(ip, "update db --setting PGHOST")
    assert capsys.readouterr().out == "Updated secret 'db'; keys now: PGHOST, PGPASSWORD; settings (not masked): PGHOST.\n"
    assert get_store().info("db").settings == ("PGHOST",)
    run(ip, "update db --secret PGHOST")
    assert get_store().info("db").settings == ()
    with pytest.raises(UsageError, match="--secret PGUSER: not a key of secret 'db'"):
        run(ip, "update db --secret PGUSER")


def test_load_puts_settings_in_the_environment_and_status_marks_them(ip, capsys) -> None:
    server, password = host(), secret_value()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    run(ip, "load db")
    assert os.environ["PGHOST"] == server and os.environ["PGPASSWORD"] == password
    loaded = capsys.readouterr().out
    assert "from db (setting)" in loaded
    run(ip, "status")
    status = capsys.readouterr().out.splitlines()
    assert status[0].startswith("PGHOST") and status[0].endswith("from db (setting)")
    assert status[1].startswith("PGPASSWORD") and status[1].endswith("from db")
    assert server not in registry and password in registry
    run(ip, "unload")
    assert "PGHOST" not in os.environ


def test_with_secrets_cell_leaves_settings_unmasked(ip, capsys) -> None:
    server, password = host(), secret_value()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    ip.run_cell_magic("with_secrets", "db", "import os; seen = (os.environ['PGHOST'], os.environ['PGPASSWORD'])")
    assert ip.user_ns["seen"] == (server, password)
    masker = get_masker()
    assert masker.mask(server) == server and masker.mask(password) != password


def test_a_setting_shared_with_another_secret_stays_masked(ip) -> None:
    shared = host()
    get_store().create("db", {"PGHOST": shared}, settings=["PGHOST"])
    get_store().create("other", {"PRIVATE_HOST": shared})
    run(ip, "load db")
    assert get_masker().mask(shared) != shared
