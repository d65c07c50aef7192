"""Fixtures: a terminal IPython session run with and without nbsecrets, and an in-process shell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from terminal_session import TerminalRun, run_terminal_ipython


@pytest.fixture(scope="session")
def terminal_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TerminalRun]:
    base = tmp_path_factory.mktemp("terminal")
    return {
        "masked": run_terminal_ipython(base / "masked", True),
        "plain": run_terminal_ipython(base / "plain", False),
    }


@pytest.fixture
def shell():
    """The in-process shell (no kernel: output masking takes the terminal path); every hook removed afterwards."""
    from nbsecrets.adapters.ipython.extension import uninstall_output_masking
    from nbsecrets.core import environment

    ip = InteractiveShell.instance()
    yield ip
    if "nbsecrets" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "nbsecrets")
    uninstall_output_masking(ip)
    environment.unload()
