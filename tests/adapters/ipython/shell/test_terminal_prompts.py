"""Interactive terminal IPython on a pty: Ctrl-C and Ctrl-D at `%secret`'s prompts, and what it warns."""

from __future__ import annotations

import re
import sys

import pytest
from terminal_session import CTRL_C, CTRL_D, PtyIPython

from nbsecrets import get_store
from nbsecrets.adapters import texts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")

INLINE = "sk-test-pty-inline-0123456789"


def cancelled(terminal: PtyIPython, prompt: str, key: bytes) -> str:
    """Wait for `prompt`, press `key`; what the terminal shows from the prompt to the next ``In [n]:``."""
    terminal.expect(prompt)
    terminal.press(key)
    return prompt + terminal.prompt()


def error_on_its_own_line(shown: str, prompt: str, message: str) -> bool:
    """After the prompt (and a ``^C`` the terminal may echo), the line ends; then the one error line, then In [n]."""
    pattern = re.escape(prompt) + r"(\^C)?\r\n(\r\n)*nbsecrets: error: " + re.escape(message) + r"\r\n(\r\n)*In \[\d+\]:"
    return re.fullmatch(pattern, shown) is not None


@pytest.fixture
def terminal(tmp_path):
    session = PtyIPython(tmp_path / "pty")
    session.prompt()
    session.type("%load_ext nbsecrets")
    session.prompt()
    yield session
    assert session.close() == 0


def test_ctrl_c_and_ctrl_d_at_the_prompts_cancel_on_a_line_of_their_own(terminal, key_dir) -> None:
    terminal.type("%secret create x KEY")
    shown = cancelled(terminal, "KEY: ", CTRL_C)
    assert error_on_its_own_line(shown, "KEY: ", "Cancelled at the prompt for KEY; nothing was stored."), shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown

    # The shell keeps working.
    terminal.type("print(6 * 7)")
    assert "\n42\r\n" in terminal.prompt()

    terminal.type("%secret create y A B")
    terminal.expect("A: ")
    terminal.type("sk-test-pty-typed-0123456789")
    shown = cancelled(terminal, "B: ", CTRL_D)
    assert error_on_its_own_line(shown, "B: ", "Cancelled at the prompt for B; nothing was stored."), shown
    assert "sk-test-pty-typed" not in terminal.screen.decode()  # a hidden prompt does not echo
    assert not get_store().exists("y")

    # An inline value is in IPython's history here; there is no notebook.
    terminal.type(f"%secret create z TOKEN={INLINE}")
    shown = terminal.prompt()
    after_input = shown.split(INLINE)[-1]
    warnings = [line for line in after_input.splitlines() if line.startswith("nbsecrets: warning:")]
    inline = [line for line in warnings if "typed inline" in line]
    assert len(inline) == 1 and "it is now in IPython's history;" in inline[0], shown
    assert "notebook" not in after_input
    # The key-file warning of a first write: one line, no path, no file:line of IPython or nbsecrets.
    key_file = [line for line in warnings if "key file" in line]
    assert len(key_file) == 1, shown
    assert str(key_dir) not in after_input and not re.search(r"\.py:\d+", after_input)
    assert "NbSecretsWarning" not in after_input
    assert "Created secret 'z' with keys: TOKEN." in after_input
    # The value shows only where it was typed, in the echoed input line.
    assert all(line.startswith("In [") for line in terminal.screen.decode().split("\r\n") if INLINE in line)

    # Ctrl-D at the question. (Ctrl-C at a plain input() in terminal IPython is sometimes missed by
    # IPython itself, with or without nbsecrets loaded; the in-process tests cover it.)
    question = texts.delete_question(get_store().info("z"))
    terminal.type("%secret delete z")
    shown = cancelled(terminal, question, CTRL_D)
    assert error_on_its_own_line(shown, question, "Not deleted."), shown
    assert "Traceback" not in terminal.screen.decode()
    assert get_store().exists("z")
