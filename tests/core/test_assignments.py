"""The words of create/update, parsed once for every adapter (CLI, magics, panel): tested once here.

`parse_write` reads the raw words (NAME first, options and value forms in any
order), `collect` gets the values through an adapter's `Suppliers`, and
`create_secret` / `update_secret` put the two together with the store.
Every mistake that can be seen before a value is typed must be reported
before the first prompt, and no message may carry a value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prompts import Asker

from nbsecrets import AlreadyExistsError, InvalidSecretError, NbSecretsError, SecretNotFoundError, get_store
from nbsecrets.core.assignments import (
    TEMPLATES,
    Suppliers,
    ValueForm,
    WriteOutcome,
    WriteRequest,
    collect,
    create_secret,
    parse_write,
    read_json_file,
    template,
    update_secret,
)
from nbsecrets.core.store.local import LocalStore




def gathered(command: str, words: list[str], **suppliers) -> dict[str, str]:
    """What the words collect to: parse, then collect, as every adapter does."""
    return collect(parse_write(command, words), Suppliers(**suppliers))


# -- parsing the words ---------------------------------------------------------------


def test_forms_apply_in_order_and_later_wins(tmp_path: Path) -> None:
    """Values are applied in the order written, so `--from-dotenv F A=x` means "F, but A is x"."""
    (tmp_path / ".env").write_text("A=sk-test-dotenv\nB=sk-test-dotenv-b\n")
    (tmp_path / "v.json").write_text(json.dumps({"B": "sk-test-json", "DROPPED": None}))
    ask = Asker(C="sk-test-asked")
    inline: list[list[str]] = []
    env = gathered(
        "create",
        ["svc", f"--from-dotenv={tmp_path / '.env'}", "A=sk-test-inline", "--from-json", str(tmp_path / "v.json"),
         "C", "D=-", "E=$NBS_VAR"],
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
    assert inline == [["A"]]  # only the value typed into the command line sits in a history


def test_parse_write_describes_the_request_without_reading_a_value(tmp_path: Path) -> None:
    """The request is what an adapter shows or checks before anything is read."""
    request = parse_write(
        "create", ["--setting", "HOST", "svc", "HOST=db.test.invalid", "TOKEN", "PEM=-", "U=$USER_VAR",
                   "--from-json", "x.json", "--allow-empty"]
    )
    assert isinstance(request, WriteRequest)
    assert (request.command, request.name, request.store) == ("create", "svc", None)
    assert request.forms == (
        ValueForm("inline", "HOST", "db.test.invalid"),
        ValueForm("ask", "TOKEN"),
        ValueForm("stdin", "PEM"),
        ValueForm("environ", "U", "USER_VAR"),
        ValueForm("json", "", "x.json"),
    )
    assert request.settings == ("HOST",) and request.secrets == ()
    assert request.allow_empty and not request.force


def test_an_inline_value_keeps_everything_after_the_first_equals_sign() -> None:
    """`A=b=c` is the value `b=c`; `A=$` is a literal dollar (there is no variable named '')."""
    assert gathered("create", ["svc", "A=sk-test=with=equals", "B=$"]) == {"A": "sk-test=with=equals", "B": "$"}


@pytest.mark.parametrize(
    "words, name, store",
    [
        (["db", "A"], "db", None),
        (["local:db", "A"], "db", "local"),
        (["team:db", "A"], "db", "team"),
        (["db", "A", "--store", "team"], "db", "team"),
        (["--store=team", "db", "A"], "db", "team"),
        (["team:db", "A", "--store", "team"], "db", "team"),
    ],
)
def test_the_store_comes_from_the_name_or_from_store(words: list[str], name: str, store: str | None) -> None:
    """`STORE:NAME` and `--store STORE` say the same; saying it twice the same way is fine."""
    request = parse_write("create", words)
    assert (request.name, request.store) == (name, store)


def test_a_store_given_before_the_command_is_the_default() -> None:
    """The CLI's global `--store` reaches parse_write as `store=`; the words may agree with it, not contradict it."""
    assert parse_write("update", ["db", "A"], store="team").store == "team"
    assert parse_write("update", ["team:db", "A"], store="team").store == "team"
    with pytest.raises(InvalidSecretError, match="Two different stores were named"):
        parse_write("update", ["db", "A", "--store", "other"], store="team")


@pytest.mark.parametrize(
    "words, message",
    [
        (["local:db", "A", "--store", "team"], "Two different stores were named"),
        (["db", "A", "--store", "one", "--store", "two"], "Two different stores were named"),
        ([], "Name the secret first"),
        (["--", "A"], "Name the secret first"),
        (["A=sk-test-not-a-name"], "name comes first and cannot hold '='"),
        (["db"], "Nothing to store"),
        (["db", "--setting", "A"], "Nothing to store"),
        ([":db", "A"], "write STORE:NAME with both parts"),
        (["db:", "A"], "write STORE:NAME with both parts"),
        (["bad name", "A"], "Invalid secret name"),
        (["db", "A", "-f"], "Unknown option '-f' for create.$"),
        (["db", "A", "--forse"], "Did you mean --force"),
        (["db", "A", "--bogus"], "Unknown option '--bogus'"),
        (["db", "A", "--store"], "--store needs a store's name"),
    ],
)
def test_parse_mistakes(words: list[str], message: str) -> None:
    with pytest.raises(InvalidSecretError, match=message) as raised:
        parse_write("create", words)
    assert "sk-test" not in str(raised.value)


def test_after_a_double_dash_every_word_is_a_key_form() -> None:
    """`--` lets a key be named that would otherwise read as an option (and an option-looking word is refused as a key)."""
    request = parse_write("create", ["db", "--", "A", "B=sk-test-b"])
    assert request.forms == (ValueForm("ask", "A"), ValueForm("inline", "B", "sk-test-b"))
    with pytest.raises(InvalidSecretError, match=r"Invalid key \(it holds '-'\)"):
        parse_write("create", ["db", "--", "--force"])


def test_force_and_template_are_only_for_create_and_only_create_and_update_parse() -> None:
    """update never replaces a whole secret, and never prompts for a template's keys."""
    assert parse_write("create", ["db", "A", "--force"]).force
    with pytest.raises(InvalidSecretError, match="--force is only for create"):
        parse_write("update", ["db", "A", "--force"])
    with pytest.raises(InvalidSecretError, match="--template is only for create"):
        parse_write("update", ["db", "--template", "postgres"])
    with pytest.raises(InvalidSecretError, match="create and update"):
        parse_write("delete", ["db"])


def test_update_may_only_move_keys() -> None:
    """`update db --setting A` changes a flag without retyping a value: no form is needed."""
    request = parse_write("update", ["db", "--setting", "A"])
    assert request.forms == () and request.settings == ("A",)


# -- checks before the first prompt -------------------------------------------------------


@pytest.mark.parametrize(
    "words, message",
    [
        (["svc", "GOOD", "1BAD"], "Invalid key"),
        (["svc", "GOOD", "--from-json", "/nonexistent/x.json"], "not found"),
        (["svc", "GOOD", "--from-dotenv", "/nonexistent/x.env"], "does not exist"),
        (["svc", "GOOD", "X=-", "Y=-"], "Only one KEY=-"),
        (["svc", "GOOD", "X=$NBS_UNSET_VAR"], "NBS_UNSET_VAR is not set"),
        (["svc", "GOOD", "--bogus"], "Unknown option"),
        (["svc", "GOOD", "--from-dotenv"], "needs a path"),
        (["svc", "GOOD", "EMPTY="], "EMPTY is empty"),
        (["svc", "GOOD", "NUL=sk-test-\x00"], "NUL"),
    ],
)
def test_every_check_happens_before_the_first_prompt(words: list[str], message: str) -> None:
    """A typo must not cost retyping a secret: parsing and collecting refuse before asking."""
    ask = Asker(GOOD="sk-test-never-typed")
    with pytest.raises((InvalidSecretError, SecretNotFoundError), match=message) as raised:
        collect(parse_write("create", words), Suppliers(ask=ask, read_stdin=lambda key: "x", environ={}))
    assert ask.asked == []
    assert "sk-test" not in str(raised.value)


def test_before_prompts_sees_every_key_the_result_will_have(tmp_path: Path) -> None:
    """Adapters check more (e.g. --setting names) at that moment, with file contents known."""
    (tmp_path / "v.json").write_text(json.dumps({"FROM_FILE": "sk-test-file"}))
    seen: list[list[str]] = []
    ask = Asker(ASKED="sk-test-asked")

    def before(keys: list[str]) -> None:
        seen.append(keys)
        assert ask.asked == []

    env = collect(
        parse_write("create", ["svc", "ASKED", "--from-json", str(tmp_path / "v.json"), "INLINE=sk-test-i"]),
        Suppliers(ask=ask),
        before_prompts=before,
    )
    assert seen == [["ASKED", "FROM_FILE", "INLINE"]]
    assert env == {"ASKED": "sk-test-asked", "FROM_FILE": "sk-test-file", "INLINE": "sk-test-i"}


def test_forms_without_a_supplier_are_refused_or_literal() -> None:
    """Without a prompt a bare KEY cannot be answered, nor `KEY=-` without stdin (a notebook has none:
    storing "-" would be a silent surprise); without environ (a shell that expanded what it could),
    '$X' is what was typed."""
    with pytest.raises(InvalidSecretError, match="no way to prompt"):
        gathered("create", ["svc", "KEY"])
    with pytest.raises(InvalidSecretError, match="A=- reads standard input, which is not available here"):
        gathered("create", ["svc", "A=-"])
    inline: list[list[str]] = []
    assert gathered("create", ["svc", "B=$X"], on_inline=inline.append) == {"B": "$X"}
    assert inline == [["B"]]


def test_one_trailing_newline_is_dropped_from_stdin_inner_ones_kept() -> None:
    """`echo` adds one newline that is not part of the value; a PEM key's inner newlines are."""
    pem = "-----BEGIN KEY-----\nsk-test-pem\n-----END KEY-----"
    assert gathered("create", ["svc", "PEM=-"], read_stdin=lambda key: pem + "\r\n") == {"PEM": pem}
    assert gathered("create", ["svc", "PEM=-"], read_stdin=lambda key: pem + "\n\n") == {"PEM": pem + "\n"}
    assert gathered("create", ["svc", "PEM=-"], read_stdin=lambda key: pem) == {"PEM": pem}


def test_prompted_values_follow_the_rules() -> None:
    with pytest.raises(InvalidSecretError, match="NUL") as raised:
        gathered("create", ["svc", "KEY"], ask=lambda key: "sk-test-\x00")
    assert "sk-test" not in str(raised.value)


def test_json_file_errors(tmp_path: Path) -> None:
    """Each names the file and what is wrong, never a value."""
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
    bad.write_text(json.dumps({"A": "sk-test-json-\x00"}))
    with pytest.raises(InvalidSecretError) as raised:
        read_json_file(bad)
    assert str(bad) in str(raised.value) and "sk-test" not in str(raised.value)


def test_templates() -> None:
    assert template("Postgres").keys == ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
    assert {"openai", "anthropic", "huggingface", "aws", "postgres", "mongodb", "wandb", "github"} <= set(TEMPLATES)
    with pytest.raises(InvalidSecretError, match="Unknown template"):
        template("nope")


# -- empty values ------------------------------------------------------------------------


def _empty_case(how: str, tmp_path: Path) -> tuple[list[str], Suppliers]:
    """Words and suppliers that give the key A an empty value, in the form `how`."""
    if how == "prompt":
        return ["A"], Suppliers(ask=lambda key: "")
    if how == "inline":
        return ["A="], Suppliers()
    if how == "environ":
        return ["A=$EMPTY"], Suppliers(environ={"EMPTY": ""})
    if how in ("stdin-nothing", "stdin-newline"):
        text = "" if how == "stdin-nothing" else "\n"
        return ["A=-"], Suppliers(read_stdin=lambda key: text)
    if how == "dotenv":
        (tmp_path / "empty.env").write_text("A=\n")
        return ["--from-dotenv", str(tmp_path / "empty.env")], Suppliers()
    assert how == "json"
    (tmp_path / "empty.json").write_text(json.dumps({"A": ""}))
    return ["--from-json", str(tmp_path / "empty.json")], Suppliers()


EMPTY_FORMS = ["prompt", "inline", "environ", "stdin-nothing", "stdin-newline", "dotenv", "json"]


@pytest.mark.parametrize("how", EMPTY_FORMS)
def test_create_refuses_an_empty_value_from_every_form_and_stores_nothing(how: str, tmp_path: Path) -> None:
    """An empty value is nearly always a slip (Enter at the prompt, an unset variable), so it
    takes --allow-empty; the refusal names the key and stores nothing at all."""
    words, suppliers = _empty_case(how, tmp_path)
    store = get_store()
    with pytest.raises(InvalidSecretError) as raised:
        create_secret(parse_write("create", ["svc", "OTHER=sk-test-other-value", *words]), suppliers)
    message = str(raised.value)
    assert "A" in message and "empty" in message and "--allow-empty" in message
    assert "sk-test" not in message
    assert not store.exists("svc")


@pytest.mark.parametrize("how", EMPTY_FORMS)
def test_update_refuses_an_empty_value_from_every_form_and_changes_nothing(how: str, tmp_path: Path) -> None:
    words, suppliers = _empty_case(how, tmp_path)
    store = get_store()
    store.create("svc", {"A": "sk-test-kept"})
    before = store.info("svc")
    with pytest.raises(InvalidSecretError, match="empty"):
        update_secret(parse_write("update", ["svc", *words]), suppliers)
    assert store.get("svc") == {"A": "sk-test-kept"}
    assert store.info("svc") == before


@pytest.mark.parametrize("how", EMPTY_FORMS)
def test_allow_empty_stores_an_empty_value_from_every_form(how: str, tmp_path: Path) -> None:
    words, suppliers = _empty_case(how, tmp_path)
    store = get_store()
    outcome = create_secret(parse_write("create", ["svc", *words, "--allow-empty"]), suppliers)
    assert outcome.changed == ("A",)
    assert store.get("svc") == {"A": ""}
    store.create("svc", {"A": "sk-test-before"}, overwrite=True)
    update_secret(parse_write("update", ["svc", "--allow-empty", *words]), suppliers)
    assert store.get("svc") == {"A": ""}


# -- create / update -------------------------------------------------------------------


def test_create_refuses_an_existing_secret_before_prompting() -> None:
    """Nobody should type a secret only to be told the name is taken."""
    store = get_store()
    store.create("dup", {"A": "sk-test-original"})
    ask = Asker(A="sk-test-new")
    with pytest.raises(AlreadyExistsError, match="--force") as raised:
        create_secret(parse_write("create", ["dup", "A"]), Suppliers(ask=ask))
    assert raised.value.name == "dup" and "sk-test" not in str(raised.value)
    assert ask.asked == [] and store.get("dup") == {"A": "sk-test-original"}
    outcome = create_secret(parse_write("create", ["dup", "A", "--force"]), Suppliers(ask=ask))
    assert isinstance(outcome, WriteOutcome)
    assert outcome.info.keys == ("A",) and outcome.changed == ("A",) and outcome.replaced
    assert store.get("dup") == {"A": "sk-test-new"}


def test_a_new_secret_is_not_reported_as_replaced() -> None:
    outcome = create_secret(parse_write("create", ["fresh", "A=sk-test-a", "B=sk-test-b"]), Suppliers())
    assert outcome.replaced is False and outcome.changed == ("A", "B")
    assert outcome.info == get_store().info("fresh")


def test_update_reports_a_missing_secret_before_prompting_and_merges() -> None:
    store = get_store()
    ask = Asker(B="sk-test-b")
    with pytest.raises(SecretNotFoundError):
        update_secret(parse_write("update", ["missing", "B"]), Suppliers(ask=ask))
    assert ask.asked == []
    store.create("s", {"A": "sk-test-a"})
    outcome = update_secret(parse_write("update", ["s", "B"]), Suppliers(ask=ask))
    assert outcome.changed == ("B",) and outcome.info.keys == ("A", "B") and not outcome.replaced
    assert store.get("s") == {"A": "sk-test-a", "B": "sk-test-b"}
    with pytest.raises(InvalidSecretError, match="Nothing to update"):
        store.update("s", {})


def test_a_store_object_is_written_instead_of_the_named_one(tmp_path: Path) -> None:
    """The panel and tests hand a store over; the default store is then not touched."""
    other = LocalStore(tmp_path / "other-home")
    create_secret(parse_write("create", ["svc", "A=sk-test-elsewhere"]), Suppliers(), other)
    assert other.get("svc") == {"A": "sk-test-elsewhere"}
    assert not get_store().exists("svc")
    update_secret(parse_write("update", ["svc", "B=sk-test-b"]), Suppliers(), other)
    assert other.get("svc") == {"A": "sk-test-elsewhere", "B": "sk-test-b"}


def test_a_store_that_is_not_configured_is_reported_before_prompting() -> None:
    ask = Asker(A="sk-test-never")
    with pytest.raises(SecretNotFoundError, match="No store named 'team'"):
        create_secret(parse_write("create", ["team:svc", "A"]), Suppliers(ask=ask))
    with pytest.raises(SecretNotFoundError, match="No store named 'team'"):
        update_secret(parse_write("update", ["svc", "A", "--store", "team"]), Suppliers(ask=ask))
    assert ask.asked == []
    assert create_secret(parse_write("create", ["local:svc", "A"]), Suppliers(ask=ask)).info.store == "local"
    assert get_store().get("svc") == {"A": "sk-test-never"}


def test_cancelling_at_a_prompt_stores_nothing() -> None:
    """Ctrl-C at the second prompt must not leave half a secret behind."""
    from nbsecrets.core.errors import CancelledError

    def ask(key: str) -> str:
        if key == "B":
            raise CancelledError("Cancelled at the prompt for B; nothing was stored.")
        return "sk-test-first-answer"

    with pytest.raises(CancelledError):
        create_secret(parse_write("create", ["svc", "A", "B"]), Suppliers(ask=ask))
    assert not get_store().exists("svc")
    get_store().create("svc", {"A": "sk-test-kept"})
    with pytest.raises(CancelledError):
        update_secret(parse_write("update", ["svc", "A", "B"]), Suppliers(ask=ask))
    assert get_store().get("svc") == {"A": "sk-test-kept"}


# -- nobody types a value only to lose it; "later wins" holds for empty values too ------------------


def test_a_prompt_whose_key_a_later_form_sets_is_not_asked(tmp_path: Path) -> None:
    env_file = tmp_path / "pg.env"
    env_file.write_text("PGHOST=db\nPGPORT=5432\nPGUSER=u\nPGPASSWORD=sk-test-pg-file\nPGDATABASE=d\n", encoding="utf-8")
    asked: list[str] = []

    def ask(key: str) -> str:
        asked.append(key)
        return "sk-test-typed"

    assert gathered("create", ["db", "--template", "postgres", "--from-dotenv", str(env_file)], ask=ask)["PGPASSWORD"] == "sk-test-pg-file"
    assert asked == []
    assert gathered("create", ["s", "A", "A=sk-test-later"], ask=ask) == {"A": "sk-test-later"}
    assert asked == []
    gathered("create", ["db", "--template", "postgres", "--template", "postgres"], ask=ask)
    assert asked == ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]
    asked.clear()
    assert gathered("create", ["s", "A=sk-test-first", "A"], ask=ask) == {"A": "sk-test-typed"}
    assert asked == ["A"]


def test_an_empty_value_a_later_form_replaces_is_not_refused(tmp_path: Path) -> None:
    env_file = tmp_path / "e.env"
    env_file.write_text("B=\n", encoding="utf-8")
    assert gathered("create", ["s", "B=", "B=sk-test-b"]) == {"B": "sk-test-b"}
    assert gathered("create", ["s", "--from-dotenv", str(env_file), "B=sk-test-b"]) == {"B": "sk-test-b"}
    with pytest.raises(InvalidSecretError, match=r"The value of B in .*e\.env is empty"):
        gathered("create", ["s", "B=sk-test-b", "--from-dotenv", str(env_file)])


def test_a_dollar_value_that_is_not_a_variable_name_is_the_value_itself() -> None:
    """`A=$ecretP@ss` is a password typed inline, not a variable: nothing about it is echoed."""
    assert gathered("create", ["s", "A=$ecretP@ss"], environ={}) == {"A": "$ecretP@ss"}
    with pytest.raises(InvalidSecretError) as raised:
        gathered("create", ["s", "A=$hunter2secret"], environ={})
    assert "hunter2secret" not in str(raised.value) and "not set in the environment" in str(raised.value)
    with pytest.raises(InvalidSecretError, match=r"\$NBS_TEST_UNSET is not set"):
        gathered("create", ["s", "A=$NBS_TEST_UNSET"], environ={})


@pytest.mark.parametrize(
    "words",
    [["db", "A", "--store=X=sk-test-leak"], ["db", "A", "--template", "X=sk-test-leak"],
     ["db", "--from-json", "X=sk-test-leak"], ["db", "A", "--force=sk-test-leak"], ["db", "A", "--bogus=sk-test-leak"]],
)
def test_a_value_typed_as_an_option_argument_is_not_echoed(words: list[str]) -> None:
    with pytest.raises(NbSecretsError) as raised:
        gathered("create", words, ask=lambda key: "sk-test-typed")
    assert "sk-test-leak" not in str(raised.value)


# -- an unquoted or wrapped value split into words ------------------------------------------

CUT = [
    ["PASSWORD=sk-test-correct", "horse", "battery"],  # spaces, no quotes: the shell split it
    ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "/bPxRfiCYEXAMPLEKEY"],  # a wrapped paste
    ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "bPxRfiCYEXAMPLEKEY=="],  # base64 padding
    ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "bPx+RfiCY"],
    ["TOKEN=sk-test-abc", "dEf9Gh"],  # mixed case: no key anyone writes
    ["TOKEN=sk-test-abc", "mixedCase=1"],
]


@pytest.mark.parametrize("words", CUT, ids=lambda words: words[-1])
@pytest.mark.parametrize("command", ["create", "update"])
def test_the_rest_of_a_split_value_is_refused_without_being_shown(command, words) -> None:
    with pytest.raises(InvalidSecretError) as raised:
        parse_write(command, ["svc", *words])
    message = str(raised.value)
    for fragment in ("horse", "battery", "correct", "bPxRfiCY", "wJalr", "dEf9Gh", "mixedCase", "sk-test"):
        assert fragment not in message
    key = words[0].partition("=")[0]
    assert f"{key}=..." in message and "quote" in message


@pytest.mark.parametrize(
    "words, keys",
    [
        (["A=sk-test-1", "B"], ["A", "B"]),  # a key in capitals after a value is a key to prompt for
        (["A=sk-test-1", "lower_key=sk-test-2"], ["A", "lower_key"]),
        (["A=sk-test-1", "B=sk-test-2", "C"], ["A", "B", "C"]),
        (["A=sk-test-1", "--", "lower"], ["A", "lower"]),  # after -- every word is a key
        (["A=sk-test-1", "--setting", "A", "lower"], ["A", "lower"]),  # not right after the value
        (["lower", "A=sk-test-1"], ["lower", "A"]),
        (["A=-", "lower"], ["A", "lower"]),  # stdin and prompts have no spaces to split
    ],
)
def test_keys_around_an_inline_value_still_parse(words, keys) -> None:
    request = parse_write("create", ["svc", *words])
    assert [form.key for form in request.forms] == keys
