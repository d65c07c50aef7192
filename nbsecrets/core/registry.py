"""The one in-process list of secret values that output masking reads.

Every value that nbsecrets resolves, creates or is told about ends up here and
stays for the life of the process: unloading a secret from the environment
does not make a value that was printed earlier safe to print now.
"""

from __future__ import annotations

import threading
from typing import Mapping


class SecretRegistry:
    """Append-only, thread-safe map of value -> key name.

    Readers compare ``version`` to decide whether to rebuild anything derived
    from the values (the masker's automaton), so reads cost nothing when
    nothing was added.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str | None] = {}
        self._version = 0

    @property
    def version(self) -> int:
        return self._version

    def add(self, value: str, name: str | None = None) -> bool:
        """Register ``value``; ``name`` (a key name) labels its replacement. Returns True if new."""
        if not isinstance(value, str) or not value:
            return False
        with self._lock:
            known = value in self._names
            if known and (name is None or self._names[value] is not None):
                return False
            self._names[value] = name
            self._version += 1
        return not known

    def add_env(self, env: Mapping[str, str]) -> None:
        """Register every value of an environment mapping under its key name."""
        for key, value in env.items():
            self.add(value, key)

    def items(self) -> list[tuple[str, str | None]]:
        """A snapshot of (value, name) pairs, in the order they were first added."""
        with self._lock:
            return list(self._names.items())

    def __contains__(self, value: object) -> bool:
        return value in self._names


registry = SecretRegistry()
"""The process-wide registry."""
