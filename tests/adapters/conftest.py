"""An in-process IPython shell with the nbsecrets magics registered, for every adapter test that needs one."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsecrets.adapters.ipython.magics import SecretMagics
from nbsecrets.core import environment


@pytest.fixture
def ip():
    shell = InteractiveShell.instance()
    shell.register_magics(SecretMagics)
    environment.unload()
    yield shell
    environment.unload()
