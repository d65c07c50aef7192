"""In an in-process shell, through `run_cell` as a frontend runs cells: a failing `%%with_secrets`
body reads like the cell the user ran, and nbsecrets' warnings are one line each."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings

import pytest

import nbsecrets
from nbsecrets import get_store

FAKE = "sk-test-cell-body-0123456789"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain(text: str) -> str:
    return ANSI.sub("", text)


@pytest.fixture
def loaded(shell, monkeypatch):
    """The shell with `%load_ext nbsecrets`, a secret `cell` holding NBS_CELL_TOKEN, and `os` imported."""
    monkeypatch.delenv("NBS_CELL_TOKEN", raising=False)
    shell.run_line_magic("load_ext", "nbsecrets")
    get_store().create("cell", {"NBS_CELL_TOKEN": FAKE})
    shell.run_cell("import os", store_history=True)
    return shell


def listing(out: str) -> list[str]:
    """The numbered source lines of a traceback listing, without their arrows."""
    return [re.sub(r"^\s*(-+>)?\s*", "", line) for line in out.splitlines() if re.match(r"^\s*(-+>)?\s*\d+ ", line)]


def test_a_failing_body_names_this_cell_at_its_own_line_and_fails_once(loaded, capsys) -> None:
    before = dict(os.environ)
    capsys.readouterr()
    failed = loaded.run_cell(
        "%%with_secrets cell\nseen = os.environ['NBS_CELL_TOKEN']\nraise ValueError('boom')\n", store_history=True
    )
    out = plain(capsys.readouterr().out)
    number = failed.execution_count
    assert not failed.success
    assert isinstance(failed.error_in_exec, ValueError)
    assert f"Cell In[{number}], line 3" in out
    assert listing(out) == ["1 %%with_secrets cell", "2 seen = os.environ['NBS_CELL_TOKEN']", "3 raise ValueError('boom')"]
    assert "----> 3 raise ValueError('boom')" in out
    # The body's own error, shown once, and no second error from the magic.
    assert out.count("ValueError: boom") == 1
    assert "SecretMagicError" not in out and "nbsecrets: error" not in out
    assert loaded.user_ns["seen"] == FAKE and FAKE not in out
    assert dict(os.environ) == before
    after = loaded.run_cell("41 + 1", store_history=True)
    assert after.execution_count == number + 1
    assert loaded.user_ns["Out"][number + 1] == 42
    assert f"Out[{number + 1}]: 42" in plain(capsys.readouterr().out)


def test_a_syntax_error_in_the_body_is_reported_at_its_line(loaded, capsys) -> None:
    capsys.readouterr()
    failed = loaded.run_cell("%%with_secrets cell\nx = 1\ny = = 2\n", store_history=True)
    out = plain(capsys.readouterr().out)
    assert not failed.success
    assert isinstance(failed.error_in_exec, SyntaxError)
    assert f"Cell In[{failed.execution_count}], line 3" in out
    assert "SyntaxError" in out and "SecretMagicError" not in out
    assert "NBS_CELL_TOKEN" not in os.environ
    assert loaded.run_cell("1", store_history=True).execution_count == failed.execution_count + 1


def test_a_body_ending_in_an_expression_shows_its_result(loaded, capsys) -> None:
    capsys.readouterr()
    result = loaded.run_cell("%%with_secrets cell\ny = len(os.environ['NBS_CELL_TOKEN'])\ny", store_history=True)
    out = plain(capsys.readouterr().out)
    number = result.execution_count
    assert result.success
    assert f"Out[{number}]: {len(FAKE)}" in out
    assert loaded.user_ns["_"] == len(FAKE)
    assert "NBS_CELL_TOKEN" not in os.environ
    assert loaded.run_cell("_ + 1", store_history=True).execution_count == number + 1
    assert loaded.user_ns["_"] == len(FAKE) + 1


def test_a_body_called_outside_a_cell_still_fails(loaded) -> None:
    """`run_cell_magic` from code: no cell to mark failed, so the magic raises its one line."""
    from nbsecrets.adapters.ipython.magics import SecretMagicError

    with pytest.raises(SecretMagicError, match="The cell raised ValueError; the environment was restored."):
        loaded.run_cell_magic("with_secrets", "cell", "raise ValueError('boom')")
    assert "NBS_CELL_TOKEN" not in os.environ


@contextlib.contextmanager
def warnings_shown():
    """Warnings shown on stderr as Python shows them, not recorded by pytest; the filters as a shell has them."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        warnings.filterwarnings("always", category=nbsecrets.NbSecretsWarning)
        warnings.showwarning = show
        yield


def test_our_warnings_are_one_line_and_others_keep_pythons_format(loaded, capsys) -> None:
    capsys.readouterr()
    with warnings_shown():
        loaded.run_cell(
            "import warnings, nbsecrets\n"
            "warnings.warn('x', nbsecrets.NbSecretsWarning)\n"
            "warnings.warn('a user warning', UserWarning)\n",
            store_history=True,
        )
    err = capsys.readouterr().err
    ours, *theirs = err.splitlines()
    assert ours == "nbsecrets: warning: x"
    assert re.search(r":3: UserWarning: a user warning$", theirs[0]), err


def test_the_key_file_warning_is_one_line_without_a_path(shell, capsys, monkeypatch, key_dir) -> None:
    monkeypatch.setenv("NBS_WARN_VALUE", FAKE)
    shell.run_line_magic("load_ext", "nbsecrets")
    capsys.readouterr()
    with warnings_shown():
        shell.run_cell("%secret create first TOKEN=$NBS_WARN_VALUE", store_history=True)
    out, err = capsys.readouterr()
    assert out == "Created secret 'first' with keys: TOKEN.\n"
    assert err.count("\n") == 1 and err.startswith("nbsecrets: warning: ") and "key file" in err
    assert str(key_dir) not in err and not re.search(r"\.py:\d+", err)
    assert any(key_dir.iterdir())  # the key file it warns about is there
    assert isinstance(nbsecrets.NbSecretsWarning("x"), Warning)
