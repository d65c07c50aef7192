"""``%load_ext nbsecrets``: output masking, and the magics beside it.

Loading installs output masking for the kind of shell it finds (a Jupyter
kernel masks at its session, terminal IPython at its streams and pager) and
IPython's history. Unloading removes the magics only: a value that was
registered stays masked until the process ends, and the variables that
``%secret load`` set stay in ``os.environ`` (``%secret unload`` removes
them), so ``%reload_ext`` changes nothing the user can see and
``%unload_ext`` never turns printing a secret back on. Output masking keeps
an install/uninstall pair of its own below, for a host that embeds IPython
and must remove every hook.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

from nbsecrets.adapters.ipython.history_masking import HistoryMasking
from nbsecrets.adapters.ipython.magics import SecretMagics
from nbsecrets.adapters.texts import warning_line
from nbsecrets.adapters.warning_lines import show_warnings_as_lines
from nbsecrets.core.masking import get_masker


def load_ipython_extension(ip: Any) -> None:
    from nbsecrets.core.store.config import register_tokens

    register_tokens()
    install_output_masking(ip)
    show_warnings_as_lines()
    register_magics(ip)


def unload_ipython_extension(ip: Any) -> None:
    unregister_magics(ip)


# -- magics ------------------------------------------------------------------------


def register_magics(ip: Any) -> None:
    """Add %secret and %%with_secrets."""
    ip.register_magics(SecretMagics)


def unregister_magics(ip: Any) -> None:
    """Remove %secret and %%with_secrets; loaded variables and masking stay."""
    manager = ip.magics_manager
    for kind, names in SecretMagics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop(SecretMagics.__name__, None)


# -- output masking --------------------------------------------------------------


class _OutputMasking:
    """Everything output masking installed in one shell, in the order to undo it."""

    def __init__(self, ip: Any) -> None:
        self.ip = ip
        self.callbacks: list[tuple[str, Any]] = []  # the events registered, to unregister exactly those
        self.history = HistoryMasking(ip)
        kernel = getattr(ip, "kernel", None)
        if kernel is not None and getattr(kernel, "session", None) is not None:
            from nbsecrets.adapters.ipython.kernel_masking import KernelMasking

            self.output: Any = KernelMasking(kernel)
        else:
            from nbsecrets.adapters.ipython.terminal_masking import TerminalMasking

            self.output = TerminalMasking(ip)

    def install(self) -> None:
        self.output.install()
        self.history.install()
        for event, callback in (("post_execute", self.history.release), ("post_run_cell", _show_short_key_notice)):
            self.ip.events.register(event, callback)
            self.callbacks.append((event, callback))

    def uninstall(self) -> None:
        while self.callbacks:
            self.ip.events.unregister(*self.callbacks.pop())
        self.history.uninstall()
        self.output.uninstall()


_installed: weakref.WeakKeyDictionary[Any, _OutputMasking] = weakref.WeakKeyDictionary()


def install_output_masking(ip: Any) -> None:
    """Mask every registered secret in all output of ``ip`` from now on (idempotent)."""
    if ip in _installed:
        return
    masking = _OutputMasking(ip)
    try:
        masking.install()
    except BaseException:
        masking.uninstall()  # undo whatever part got installed
        raise
    _installed[ip] = masking
    _show_short_key_notice()


def uninstall_output_masking(ip: Any) -> None:
    """Remove what :func:`install_output_masking` installed; held output is released first."""
    masking = _installed.pop(ip, None)
    if masking is not None:
        masking.uninstall()


def _show_short_key_notice(*_: Any) -> None:
    """Tell the user, once per key, that a value is too short to be masked (names only, never values)."""
    notice = get_masker().take_short_key_notice()
    if notice:
        print(warning_line(notice), file=sys.stderr)
