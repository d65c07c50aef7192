"""nbsecrets' warnings as one line, `nbsecrets: warning: ...`, in a shell and in IPython alike.

Python shows a warning with the file and line that raised it, which for
advice such as "the vault key is kept in a plain file" is noise pointing
into nbsecrets or IPython, and in a notebook saves a path of the user's
machine into the .ipynb. Other warnings are shown as Python would.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ..core.errors import NbSecretsWarning
from ..core.masking import get_masker
from .texts import warning_line

_installed: Callable[..., str] | None = None


def is_ours(category: Any) -> bool:
    return isinstance(category, type) and issubclass(category, NbSecretsWarning)


def format_line(message: Any) -> str:
    """The line a warning of ours is shown as, masked like any output."""
    return get_masker().mask(warning_line(str(message))) + "\n"


def show_warnings_as_lines() -> None:
    """Format our warnings as one line from now on, in this process (idempotent).

    `warnings.formatwarning` rather than `showwarning`: neither IPython nor
    ipykernel replaces it per cell, logging's capture of warnings uses it
    too, and a `catch_warnings()` block around `%load_ext` does not undo it.
    Each warning is shown every time it is given (the core gives each once),
    not once per line of IPython that happened to raise it; a user's own
    filter still wins.
    """
    global _installed
    if warnings.formatwarning is _installed:
        return
    previous = warnings.formatwarning

    def formatwarning(message: Any, category: Any, filename: str, lineno: int, line: str | None = None) -> str:
        return format_line(message) if is_ours(category) else previous(message, category, filename, lineno, line)

    warnings.formatwarning = _installed = formatwarning
    warnings.filterwarnings("always", category=NbSecretsWarning, append=True)
