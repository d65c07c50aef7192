"""What the magics say, in an in-process shell: the CLI's texts, JSON, stores, suggestions,
`%secret mask`, and Ctrl-C / Ctrl-D at a prompt or at the delete question."""

from __future__ import annotations

import builtins
import getpass
import json
import os

import pytest
from IPython.core.error import UsageError

from nbsecrets import get_store
from nbsecrets.adapters import texts
from nbsecrets.adapters.ipython.magics import SecretMagicError
from nbsecrets.core.masking import get_masker
from nbsecrets.core.registry import registry

FAKE = "sk-test-texts-0123456789"
OTHER = "sk-test-texts-other-9876543210"


def run(ip, line: str) -> None:
    ip.run_line_magic("secret", line)


def failure(ip, line: str) -> str:
    """The one-line message a failing `%secret line` gives (checked to be one line, shown as an error output)."""
    with pytest.raises(SecretMagicError) as raised:
        run(ip, line)
    message = str(raised.value)
    assert isinstance(raised.value, UsageError)
    assert "\n" not in message
    assert raised.value._render_traceback_() == [texts.error_line(message)]
    return message


# -- JSON and stores ------------------------------------------------------------


def test_list_and_show_json_are_the_clis_json(ip, capsys) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE, "PGHOST": "db.test.invalid"}, settings=["PGHOST"])
    get_store().create("api", {"TOKEN": OTHER})
    capsys.readouterr()
    run(ip, "list --json")
    out = capsys.readouterr().out
    assert out == texts.json_text([texts.info_json(info) for info in get_store().list()]) + "\n"
    listed = json.loads(out)
    assert [entry["name"] for entry in listed] == [info.name for info in get_store().list()]
    assert {entry["store"] for entry in listed} == {"local"}
    run(ip, "show db --json")
    out = capsys.readouterr().out
    assert json.loads(out) == texts.info_json(get_store().info("db"))
    assert out == texts.json_text(texts.info_json(get_store().info("db"))) + "\n"
    assert json.loads(out)["settings"] == ["PGHOST"]
    assert FAKE not in out and OTHER not in out


def test_an_empty_list_says_how_to_create_one(ip, capsys) -> None:
    run(ip, "list")
    assert capsys.readouterr().out == texts.no_secrets("%secret", "local") + "\n"
    run(ip, "list --json")
    assert json.loads(capsys.readouterr().out) == []


def test_the_local_store_can_be_named(ip, capsys) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE})
    capsys.readouterr()
    details = texts.secret_details(get_store().info("db")) + "\n"
    for line in ("show db", "show local:db", "show db --store local", "show local:db --store local", "show --store=local db"):
        run(ip, line)
        assert capsys.readouterr().out == details, line
    run(ip, "list --store local")
    assert capsys.readouterr().out == texts.secrets_table(get_store().list()) + "\n"
    run(ip, "list --store local --json")
    assert json.loads(capsys.readouterr().out)[0]["name"] == "db"


@pytest.mark.parametrize("line", ["list --store nope", "show nope:db", "show db --store nope", "delete db --store nope --yes"])
def test_an_unknown_store_is_an_error_naming_the_configured_stores(ip, line: str) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE})
    message = failure(ip, line)
    assert "'nope'" in message
    assert "the stores configured here are: local" in message
    assert get_store().exists("db")


def test_two_different_stores_named_is_an_error(ip) -> None:
    assert failure(ip, "show local:db --store other") == "Two different stores were named, 'local' and 'other': name one."


# -- suggestions ------------------------------------------------------------------


def test_a_misspelt_command_gets_a_suggestion(ip) -> None:
    assert failure(ip, "lsit") == "Unknown command 'lsit'. Did you mean: list? See: %secret help"


def test_a_word_like_no_command_gets_no_suggestion(ip) -> None:
    message = failure(ip, "frobnicate")
    assert message == "Unknown command 'frobnicate'. See: %secret help"
    assert "Did you mean" not in message


def test_a_misspelt_option_gets_a_suggestion(ip) -> None:
    assert failure(ip, "list --jsn") == "%secret list has no option '--jsn'. Did you mean --json?"


def test_a_misspelt_secret_name_gets_a_suggestion(ip) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE})
    message = failure(ip, "show dv")
    assert "'dv' not found" in message and "Did you mean" in message and "db" in message
    assert "Did you mean" not in failure(ip, "show nope")


# -- %secret mask ------------------------------------------------------------------


def test_mask_a_variable(ip, capsys) -> None:
    ip.user_ns["api_token"] = FAKE
    run(ip, "mask api_token")
    assert capsys.readouterr().out == "The value of api_token is now masked in all output.\n"
    assert FAKE in registry
    assert get_masker().mask(f"token {FAKE}") != f"token {FAKE}"
    assert FAKE not in get_masker().mask(f"token {FAKE}")


def test_mask_a_variable_too_short_to_mask_says_so_and_how_to_change_it(ip, capsys) -> None:
    ip.user_ns["pin"] = "4821"
    run(ip, "mask pin")
    out = capsys.readouterr().out
    assert out.startswith("Not masked: pin is shorter than 6 characters")
    assert "nbsecrets.configure_masking(min_length=...)" in out
    assert out.count("\n") == 1
    assert get_masker().mask("pin 4821") == "pin 4821"


@pytest.mark.parametrize("word", ["sk_test_no_such_variable_0042", "sk-test-typed-literally-0042"])
def test_mask_a_word_that_is_not_a_variable_is_an_error_and_masks_nothing(ip, capsys, word: str) -> None:
    ip.user_ns.pop(word, None)
    message = failure(ip, f"mask {word}")
    assert "No variable has that name; nothing was masked." in message
    assert "--literal" in message
    assert word not in message, "the word may be the value itself: it is not echoed"
    assert word not in registry
    assert capsys.readouterr().out == ""


def test_mask_literal_masks_the_value_and_says_it_stays_in_the_source(ip, capsys) -> None:
    run(ip, f"mask --literal {OTHER}")
    out = capsys.readouterr().out
    assert OTHER in registry
    # An in-process shell has no kernel: the value typed stays in IPython's history (a kernel: the cell's source).
    assert "Masked in all output from now on" in out and "IPython's history" in out
    assert OTHER not in out
    assert OTHER not in get_masker().mask(f"x {OTHER} y")


def test_mask_a_variable_that_is_not_a_string_is_an_error(ip) -> None:
    ip.user_ns["port"] = 5432
    message = failure(ip, "mask port")
    assert "port is not a string (it is int)" in message and "takes a string" in message
    assert "5432" not in registry


def test_mask_names_one_variable(ip) -> None:
    assert failure(ip, "mask").startswith("Name one variable")
    assert failure(ip, "mask a b").startswith("Name one variable")


# -- Ctrl-C and Ctrl-D at a prompt or question ------------------------------------------


@pytest.fixture(params=[KeyboardInterrupt, EOFError], ids=["ctrl-c", "ctrl-d"])
def interruption(request) -> type[BaseException]:
    return request.param


def test_cancelling_the_hidden_prompt_stores_nothing(ip, capsys, monkeypatch, interruption) -> None:
    asked: list[str] = []

    def getpass_(prompt: str = "") -> str:
        asked.append(prompt)
        if prompt == "B: ":
            raise interruption()
        return FAKE

    monkeypatch.setattr(getpass, "getpass", getpass_)
    assert failure(ip, "create two A B") == "Cancelled at the prompt for B; nothing was stored."
    assert asked == ["A: ", "B: "]
    assert not get_store().exists("two")
    # No kernel: the cursor is still after the prompt, so the error starts on a line of its own.
    assert capsys.readouterr() == ("", "\n")


def test_cancelling_the_prompt_of_an_update_changes_nothing(ip, monkeypatch, interruption) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE})

    def getpass_(prompt: str = "") -> str:
        raise interruption()

    monkeypatch.setattr(getpass, "getpass", getpass_)
    assert failure(ip, "update db PGPASSWORD") == "Cancelled at the prompt for PGPASSWORD; nothing was stored."
    assert get_store().get("db") == {"PGPASSWORD": FAKE}


def test_cancelling_the_delete_question_deletes_nothing(ip, capsys, monkeypatch, interruption) -> None:
    get_store().create("db", {"PGPASSWORD": FAKE})
    questions: list[str] = []

    def input_(prompt: str = "") -> str:
        questions.append(prompt)
        raise interruption()

    monkeypatch.setattr(builtins, "input", input_)
    capsys.readouterr()
    assert failure(ip, "delete db") == "Not deleted."
    assert questions == ["Delete secret 'db' (keys: PGPASSWORD)? [y/N] "]
    assert get_store().get("db") == {"PGPASSWORD": FAKE}
    assert capsys.readouterr() == ("", "\n")


def test_an_unanswerable_delete_question_says_to_add_yes(ip, monkeypatch) -> None:
    from IPython.core.error import StdinNotImplementedError

    get_store().create("db", {"PGPASSWORD": FAKE})

    def input_(prompt: str = "") -> str:
        raise StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")

    monkeypatch.setattr(builtins, "input", input_)
    message = failure(ip, "delete db")
    assert "Not deleting 'db'" in message and "--yes" in message
    assert get_store().exists("db")


# -- what a load reports ---------------------------------------------------------------


def test_loading_the_same_secret_twice_overrides_nothing_of_its_own(ip, capsys, monkeypatch) -> None:
    for key in ("A", "B"):
        monkeypatch.delenv(key, raising=False)
    get_store().create("db", {"A": FAKE, "B": OTHER})
    run(ip, "load db")
    first = capsys.readouterr().out
    run(ip, "load db")
    second = capsys.readouterr().out
    assert second == first == "Loaded 2 keys:\nA  from db\nB  from db\n"
    assert "overrides" not in second
    run(ip, "status")
    assert "overrides" not in capsys.readouterr().out


def test_loading_an_environment_variable_overrides_nothing(ip, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NBS_SOME_VAR", OTHER)
    run(ip, "load --env NBS_SOME_VAR")
    out = capsys.readouterr().out
    assert out == "Loaded 1 key:\nNBS_SOME_VAR  from env:NBS_SOME_VAR\n"
    assert "overrides" not in out
    run(ip, "status")
    assert "overrides environment" not in capsys.readouterr().out
    assert os.environ["NBS_SOME_VAR"] == OTHER


def test_an_inline_value_warns_about_ipythons_history_outside_a_kernel(ip, capsys) -> None:
    run(ip, f"create inline TOKEN={FAKE}")
    out, err = capsys.readouterr()
    assert out == "Created secret 'inline' with keys: TOKEN.\n"
    assert err.startswith("nbsecrets: warning: the value of TOKEN was typed inline, so it is now in IPython's history;")
    assert "notebook" not in err
    assert "TOKEN=$VAR" in err
    assert FAKE not in out + err


# -- nothing typed in the wrong place comes back; loading and unloading by either name ---------------


LEAK = "sk-test-typed-in-the-wrong-place"


@pytest.mark.parametrize(
    "line",
    [f"list --store=X={LEAK}", f"show db --store X={LEAK}", f"create db A --store=X={LEAK}",
     f"create db --template X={LEAK}", f"create db --from-json=X={LEAK}", f"list --json={LEAK}",
     f"X={LEAK}", f"list --bogus={LEAK}", f"unload X={LEAK}", f"load --dict {LEAK}", f"load --bogus={LEAK}"],
)
def test_a_value_typed_in_the_wrong_place_is_not_echoed(ip, capsys, line: str) -> None:
    message = failure(ip, line)
    assert LEAK not in message and LEAK not in capsys.readouterr().out


def test_key_dash_in_a_notebook_is_refused_not_stored_as_a_dash(ip) -> None:
    """A notebook has no stdin: `KEY=-` would otherwise store the one character "-"."""
    message = failure(ip, "create s A=-")
    assert message.startswith("A=- reads standard input, which is not available here")
    assert not get_store().exists("s")


def test_unload_takes_the_name_load_took(ip, capsys) -> None:
    get_store().create("db", {"NBS_TEXTS_KEY": FAKE})
    run(ip, "load local:db")
    run(ip, "unload local:db")
    assert "NBS_TEXTS_KEY" not in os.environ
    assert "Restored NBS_TEXTS_KEY." in capsys.readouterr().out


def test_help_after_a_subcommand_shows_the_usage(ip, capsys) -> None:
    run(ip, "list --help")
    assert "%secret create [STORE:]NAME" in capsys.readouterr().out


def test_a_flag_given_a_value_says_it_takes_none(ip) -> None:
    assert failure(ip, "list --json=yes") == "--json takes no value."
