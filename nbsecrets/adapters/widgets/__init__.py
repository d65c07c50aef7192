"""Widget adapters: the panel (ipywidgets), over the same core as the magics and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import NbSecretsError

if TYPE_CHECKING:
    from .panel import SecretsPanel


def make_panel() -> "SecretsPanel":
    """The panel, ready to display: `nbsecrets.panel()` or `%secret panel`.

    ipywidgets is imported only here, so the rest of nbsecrets works without it.
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise NbSecretsError("The panel needs ipywidgets: pip install 'nbsecrets[lab]' (or ipywidgets).") from None
    from .panel import SecretsPanel

    return SecretsPanel()
