"""The version, from the one place it is written: the installed package's metadata (pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nbsecrets")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
