"""The NbSecretsWarnings a block of code gave, each one, for tests of notices and their absence."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator

from nbsecrets.core.errors import NbSecretsWarning


@contextmanager
def recorded() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning raised in the block, without Python's once-per-place filtering."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught  # type: ignore[misc]


def notices(caught: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the NbSecretsWarnings among `caught`."""
    return [str(w.message) for w in caught if issubclass(w.category, NbSecretsWarning)]
