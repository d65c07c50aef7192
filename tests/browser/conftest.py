"""One JupyterLab and one headless Chromium for the whole browser suite.

Each notebook (with nbsecrets loaded, and without) is run once per session;
the tests then read what the page showed and what JupyterLab saved. Without
Chromium or Playwright the suite is skipped, unless CI is set: then it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_browser import (
    CASES,
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTROL,
    MASK_SETUP,
    PLAIN_SETUP,
    LabRun,
    LabServer,
    browser_tools_missing,
    run_in_lab,
)


def _require_browser_tools(voila: bool = False) -> None:
    reason = browser_tools_missing()
    if reason is None and voila:
        try:
            import voila as _voila  # noqa: F401
        except ImportError as exc:
            reason = f"voila is not installed ({exc}); pip install 'nbsecrets[browser]'"
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"browser tests cannot run (CI is set, so this is a failure, not a skip): {reason}")
    pytest.skip(f"browser tests need Chromium and Playwright: {reason}")


@pytest.fixture(scope="module")
def lab_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="module")
def lab_server(lab_base: Path) -> Iterator[LabServer]:
    yield from _running(LabServer(lab_base))


def _headless_chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _running(server: Any) -> Iterator[Any]:
    _require_browser_tools()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(lab_server: LabServer) -> Iterator[Any]:
    yield from _headless_chromium()


def _cells(setup: str) -> list[tuple[str, str]]:
    return [("setup", setup), *CASES.items(), ("control", CONTROL)]


@pytest.fixture(scope="module")
def plain_lab_run(chromium: Any, lab_server: LabServer, lab_base: Path) -> LabRun:
    """The cases in a plain kernel: nbsecrets is never loaded."""
    return run_in_lab(chromium, lab_server, "plain", _cells(PLAIN_SETUP), lab_base)


@pytest.fixture(scope="module")
def masked_lab_run(chromium: Any, lab_server: LabServer, lab_base: Path) -> LabRun:
    """The same cases after ``%load_ext nbsecrets`` and ``nbsecrets.mask(S, 'OPENAI_API_KEY')``."""
    return run_in_lab(chromium, lab_server, "masked", _cells(MASK_SETUP), lab_base)


# -- the widget panel (test_panel_browser.py) -------------------------------------------------


@pytest.fixture(scope="module")
def panel_lab_server(lab_base: Path) -> Iterator[LabServer]:
    """A JupyterLab that saves widget state with each notebook (its own, so the masking suite's is unchanged)."""
    from lab_browser import PanelLabServer

    yield from _running(PanelLabServer(lab_base))


@pytest.fixture(scope="module")
def bare_chromium() -> Iterator[Any]:
    """Headless Chromium, for a module that starts its own servers."""
    _require_browser_tools()
    yield from _headless_chromium()


@pytest.fixture(scope="module")
def require_voila() -> None:
    _require_browser_tools(voila=True)
