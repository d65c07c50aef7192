"""One kernel with nbsecrets and one without run the leak notebook once for the whole module."""

from __future__ import annotations

from pathlib import Path

import leak_notebook
import pytest
from kernel_run import NotebookRun, run_notebook


@pytest.fixture(scope="session")
def kernel_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kernel-leaks")


@pytest.fixture(scope="session")
def masked_run(kernel_workdir: Path) -> NotebookRun:
    """The leak notebook run with ``%load_ext nbsecrets``."""
    return run_notebook(leak_notebook.main_cells(kernel_workdir), kernel_workdir, "masked")


@pytest.fixture(scope="session")
def plain_run(kernel_workdir: Path) -> NotebookRun:
    """The same cells without nbsecrets loaded: shows each path really carries the secret."""
    return run_notebook(leak_notebook.baseline_cells(), kernel_workdir / "plain", "plain")


@pytest.fixture(scope="session")
def no_capture_run(kernel_workdir: Path) -> NotebookRun:
    """A kernel with fd capture off (as ipykernel does under pytest, or when configured)."""
    return run_notebook(leak_notebook.no_capture_cells(), kernel_workdir / "no-capture", "nocapture", False)


@pytest.fixture(scope="module")
def masked(runs: tuple[NotebookRun, NotebookRun]) -> NotebookRun:
    """The module's notebook run with nbsecrets (each module defines `runs`: the pair it needs)."""
    return runs[0]


@pytest.fixture(scope="module")
def plain(runs: tuple[NotebookRun, NotebookRun]) -> NotebookRun:
    """The same notebook run without nbsecrets."""
    return runs[1]
