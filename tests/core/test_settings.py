"""Settings: keys loaded like any other whose values are not masked.

The masking registry is process-wide and append-only, so every value here is
unique to its test: a value another test registered would stay masked and
prove nothing. Settings look like host names (`*.test.invalid`), which no
credential pattern matches; secrets start with `sk-test-`.
"""

from __future__ import annotations

import os
import uuid

import pytest
from prompts import Asker

from nbsecrets import InvalidSecretError, Secret, SecretNotFoundError, get_store, load, unload, with_secrets
from nbsecrets.core.assignments import (
    TEMPLATES,
    Suppliers,
    collect,
    create_secret,
    parse_write,
    template,
    update_secret,
)
from nbsecrets.core.environment import session
from nbsecrets.core.masking import get_masker
from nbsecrets.core.registry import registry


def host() -> str:
    return f"pg-{uuid.uuid4().hex[:10]}.test.invalid"


def secret_value() -> str:
    return f"sk-test-{uuid.uuid4().hex[:16]}"


def masked(value: str) -> bool:
    return value not in get_masker().mask(f"<{value}>")




@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch):
    for key in ("PGHOST", "PGPASSWORD", "PGUSER", "NBS_SHARED"):
        monkeypatch.delenv(key, raising=False)
    unload()
    yield
    unload()


# -- templates ---------------------------------------------------------------------


def test_postgres_marks_everything_but_the_password_as_settings() -> None:
    postgres = TEMPLATES["postgres"]
    assert postgres.keys == ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
    assert set(postgres.settings) == {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE"}
    assert postgres.secrets == ("PGPASSWORD",)
    assert template("Postgres").settings == postgres.settings


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_keeps_its_credentials_secret(name: str) -> None:
    template = TEMPLATES[name]
    assert set(template.settings) <= set(template.keys)
    assert template.secrets, "a template with nothing to mask is not a secret"
    for key in template.secrets:
        assert key in template.keys
    credential_words = ("KEY", "TOKEN", "PASSWORD", "SECRET", "URI")
    for key in template.settings:
        assert not any(word in key for word in credential_words), key


def test_credential_only_templates_have_no_settings() -> None:
    for name in ("openai", "anthropic", "huggingface", "aws", "mongodb", "wandb", "github"):
        assert TEMPLATES[name].settings == ()


# -- parsing --setting / --secret / --template ---------------------------------------


def test_setting_and_secret_options_are_taken_out_in_every_form() -> None:
    """`--setting A,B`, `--setting=C` and `--secret D` are options, not keys: only A..D are value forms."""
    request = parse_write("create", ["svc", "A", "--setting", "A,B", "B=x", "--setting=C", "C", "--secret", "D", "D"])
    assert [(form.how, form.key) for form in request.forms] == [("ask", "A"), ("inline", "B"), ("ask", "C"), ("ask", "D")]
    assert request.settings == ("A", "B", "C")
    assert request.secrets == ("D",)


def test_a_template_expands_in_place_and_skips_keys_the_command_names() -> None:
    """`--template postgres PGHOST=localhost` must not prompt for PGHOST only to overwrite the answer."""
    request = parse_write("create", ["db", "X", "--template", "postgres", "PGHOST=localhost", "--setting", "X"])
    assert [(form.how, form.key) for form in request.forms] == [
        ("ask", "X"), ("ask", "PGPORT"), ("ask", "PGUSER"), ("ask", "PGPASSWORD"), ("ask", "PGDATABASE"),
        ("inline", "PGHOST"),
    ]
    assert set(request.settings) == {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "X"}


def test_secret_overrides_a_templates_setting_but_contradicting_yourself_is_an_error() -> None:
    request = parse_write("create", ["db", "--template=postgres", "--secret", "PGUSER"])
    assert "PGUSER" not in request.settings and request.secrets == ("PGUSER",)
    with pytest.raises(InvalidSecretError, match="PGUSER: named with both --setting and --secret"):
        parse_write("create", ["db", "PGUSER", "--setting", "PGUSER", "--secret", "PGUSER"])


def test_an_option_argument_is_not_a_key_and_a_path_is_not_an_option(tmp_path) -> None:
    # The key named by --setting is not "given a value" and must still be prompted by the template.
    request = parse_write("create", ["db", "--template", "postgres", "--setting", "PGHOST"])
    assert ("ask", "PGHOST") in [(form.how, form.key) for form in request.forms]
    # A path that looks like an option stays a path.
    request = parse_write("create", ["db", "--from-json", "--setting"])
    assert [(form.how, form.text) for form in request.forms] == [("json", "--setting")]
    assert request.settings == ()


@pytest.mark.parametrize(
    "words, message",
    [
        (["db", "A", "--setting"], "--setting needs KEY"),
        (["db", "A", "--secret"], "--secret needs KEY"),
        (["db", "A", "--setting", ","], "--setting needs KEY"),
        (["db", "A", "--setting", "--force"], "--setting needs KEY"),
        (["db", "--template"], "--template needs a name"),
        (["db", "--template", "nope"], "Unknown template"),
        (["db", "A", "--setting", "1A"], r"Invalid key \(it starts with a digit\)"),
    ],
)
def test_option_mistakes(words: list[str], message: str) -> None:
    with pytest.raises(InvalidSecretError, match=message):
        parse_write("create", words)


def test_a_value_typed_into_setting_is_not_quoted_back() -> None:
    value = secret_value()
    with pytest.raises(InvalidSecretError) as raised:
        parse_write("create", ["db", "A", "--setting", f"A={value}"])
    assert value not in str(raised.value) and "Invalid key (it holds '=')" in str(raised.value)


def test_template_is_only_for_create() -> None:
    with pytest.raises(InvalidSecretError, match="only for create"):
        parse_write("update", ["db", "--template", "postgres"])


def test_inline_values_of_settings_are_not_warned_about() -> None:
    """A host typed on the command line is no harm in a shell history; a password is."""
    inline: list[list[str]] = []
    request = parse_write("create", ["db", "PGHOST=db.test.invalid", "PGPASSWORD=" + secret_value(), "--setting", "PGHOST"])
    collect(request, Suppliers(on_inline=inline.append))
    assert inline == [["PGPASSWORD"]]
    inline.clear()
    collect(parse_write("create", ["db", "--template", "postgres", "PGHOST=h", "PGPORT=5432", "PGUSER=u",
                                   "PGDATABASE=d", "PGPASSWORD=p"]), Suppliers(on_inline=inline.append))
    assert inline == [["PGPASSWORD"]]


def test_update_does_not_warn_about_an_inline_value_of_a_key_that_is_already_a_setting() -> None:
    """`update db PGHOST=new-host` keeps PGHOST a setting: its value in a history is no harm."""
    store = get_store()
    store.create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    inline: list[list[str]] = []
    outcome = update_secret(parse_write("update", ["db", f"PGHOST={host()}"]), Suppliers(on_inline=inline.append))
    assert outcome.info.settings == ("PGHOST",)
    assert inline == []
    # collect() is told the secret's settings by update_secret; called directly it takes them as `settings=`.
    request = parse_write("update", ["db", f"PGHOST={host()}", f"TOKEN={secret_value()}"])
    collect(request, Suppliers(on_inline=inline.append), settings=["PGHOST"])
    assert inline == [["TOKEN"]]


def test_update_warns_about_an_inline_value_that_becomes_or_stays_a_secret() -> None:
    store = get_store()
    store.create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    inline: list[list[str]] = []
    update_secret(parse_write("update", ["db", f"PGPASSWORD={secret_value()}"]), Suppliers(on_inline=inline.append))
    update_secret(parse_write("update", ["db", f"PGHOST={host()}", "--secret", "PGHOST"]),
                  Suppliers(on_inline=inline.append))
    assert inline == [["PGPASSWORD"], ["PGHOST"]]


# -- create / update from the words --------------------------------------------------


def test_create_marks_template_and_named_settings() -> None:
    answers = {key: f"sk-test-{key.lower()}-{uuid.uuid4().hex[:6]}" for key in TEMPLATES["postgres"].keys}
    ask = Asker(**answers, EXTRA=host())
    request = parse_write("create", ["db", "--template", "postgres", "EXTRA", "--setting", "EXTRA"])
    info = create_secret(request, Suppliers(ask=ask)).info
    assert ask.asked == [*TEMPLATES["postgres"].keys, "EXTRA"]
    assert info.settings == ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "EXTRA")
    assert get_store().info("db").settings == info.settings


def test_a_setting_that_is_not_a_key_fails_before_any_prompt() -> None:
    ask = Asker(A=secret_value())
    with pytest.raises(InvalidSecretError, match=r"--setting NOPE: not a key of secret 'new'"):
        create_secret(parse_write("create", ["new", "A", "--setting", "NOPE"]), Suppliers(ask=ask))
    with pytest.raises(InvalidSecretError, match=r"--secret NOPE: not a key"):
        create_secret(parse_write("create", ["new", "A", "--secret", "NOPE"]), Suppliers(ask=ask))
    assert ask.asked == [] and not get_store().exists("new")


def test_a_setting_may_name_a_key_from_a_file(tmp_path) -> None:
    (tmp_path / ".env").write_text(f"URL=https://{host()}\nTOKEN={secret_value()}\n")
    request = parse_write("create", ["svc", "--from-dotenv", str(tmp_path / ".env"), "--setting", "URL"])
    assert create_secret(request, Suppliers()).info.settings == ("URL",)


def test_update_moves_keys_without_retyping_and_checks_names_before_prompting() -> None:
    store = get_store()
    store.create("db", {"PGHOST": host(), "PGUSER": host(), "PGPASSWORD": secret_value()})
    ask = Asker(NEW=secret_value())
    outcome = update_secret(parse_write("update", ["db", "--setting", "PGHOST,PGUSER"]), Suppliers(ask=ask))
    assert outcome.changed == () and outcome.info.settings == ("PGHOST", "PGUSER")
    outcome = update_secret(parse_write("update", ["db", "--secret", "PGUSER", "NEW"]), Suppliers(ask=ask))
    assert outcome.changed == ("NEW",) and outcome.info.settings == ("PGHOST",)
    with pytest.raises(InvalidSecretError, match="--setting MISSING: not a key of secret 'db'"):
        update_secret(parse_write("update", ["db", "NEW", "--setting", "MISSING"]), Suppliers(ask=ask))
    assert ask.asked == ["NEW"]
    # A key given in the same update may be named.
    outcome = update_secret(parse_write("update", ["db", "PORT=5432", "--setting", "PORT"]), Suppliers())
    assert outcome.info.settings == ("PGHOST", "PORT")


def test_update_of_a_missing_secret_is_reported_before_the_settings() -> None:
    with pytest.raises(SecretNotFoundError):
        update_secret(parse_write("update", ["missing", "--setting", "A"]), Suppliers())


# -- Secret and loading --------------------------------------------------------------


def test_from_dict_settings_are_loaded_but_not_registered() -> None:
    server, password = host(), secret_value()
    source = Secret.from_dict({"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    assert source.settings == ("PGHOST",)
    with with_secrets(source) as report:
        assert os.environ["PGHOST"] == server and os.environ["PGPASSWORD"] == password
        assert report.settings == ["PGHOST"]
        assert "from dict (setting)" in str(report)
    assert server not in registry and password in registry
    assert not masked(server) and masked(password)


def test_from_dict_settings_must_be_keys_and_a_list() -> None:
    value = secret_value()
    with pytest.raises(InvalidSecretError, match="settings NOPE: not a key of the dict") as raised:
        Secret.from_dict({"A": value}, settings=["NOPE"])
    assert value not in str(raised.value)
    with pytest.raises(InvalidSecretError, match="not a single string"):
        Secret.from_dict({"A": value}, settings="A")
    with pytest.raises(InvalidSecretError, match="Invalid key"):
        Secret.from_dict({"A": value}, settings=["1A"])


def test_a_dropped_none_value_may_be_named_as_a_setting() -> None:
    source = Secret.from_dict({"PGHOST": None, "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    assert source.keys == ("PGPASSWORD",) and source.settings == ()


def test_relabelled_and_required_keys_keep_the_settings() -> None:
    source = Secret.from_dict({"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    assert source.relabelled("db").settings == ("PGHOST",)
    assert source.with_required_keys(["PGHOST"]).settings == ("PGHOST",)
    assert "settings=[PGHOST]" in repr(source)


def test_load_and_status_mark_settings_and_unload_restores_them() -> None:
    server, password = host(), secret_value()
    report = load(Secret.from_dict({"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"]).relabelled("db"))
    assert {entry.key: entry.setting for entry in report} == {"PGHOST": True, "PGPASSWORD": False}
    status = session.status()
    assert status.settings == ["PGHOST"]
    lines = str(status).splitlines()
    assert lines[0].startswith("PGHOST") and lines[0].endswith("from db (setting)")
    assert lines[1].endswith("from db")
    assert os.environ["PGHOST"] == server
    unload()
    assert "PGHOST" not in os.environ
    assert not masked(server) and masked(password)


def test_a_setting_over_a_secret_says_both() -> None:
    load(Secret.from_dict({"PGHOST": host()}).relabelled("first"))
    report = load(Secret.from_dict({"PGHOST": host()}, settings=["PGHOST"]).relabelled("second"))
    assert str(report).endswith("from second (setting, overrides first)")


def test_from_name_reads_the_flags_when_loaded() -> None:
    server, password = host(), secret_value()
    get_store().create("db", {"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    source = Secret.from_name("db", required_keys=["PGHOST"])
    assert source.settings is None  # not known until the store is read
    with with_secrets(source) as report:
        assert os.environ["PGHOST"] == server
        assert report.settings == ["PGHOST"]
    assert source.settings == ("PGHOST",)
    assert server not in registry and password in registry
    assert get_store().get("db") == {"PGHOST": server, "PGPASSWORD": password}
    assert server not in registry


def test_a_value_that_is_a_secret_elsewhere_is_still_masked() -> None:
    shared = host()
    as_setting = Secret.from_dict({"NBS_SHARED": shared}, settings=["NBS_SHARED"]).relabelled("setting")
    as_secret = Secret.from_dict({"PGPASSWORD": shared}).relabelled("secret")
    with with_secrets(as_setting):
        assert not masked(shared)
    with with_secrets(as_setting, as_secret):
        assert masked(shared)
    with with_secrets(as_setting):
        assert masked(shared)  # registered once, masked for the life of the process


def test_turning_a_secret_into_a_setting_never_unmasks_what_was_masked() -> None:
    value = host()
    store = get_store()
    store.create("db", {"PGHOST": value})
    assert masked(value)
    store.update("db", {}, settings=["PGHOST"])
    with with_secrets(Secret.from_name("db")) as report:
        assert report.settings == ["PGHOST"]
    assert masked(value)
