"""Hidden prompts answered from a dict, for the magics' tests."""

from __future__ import annotations

import getpass

import pytest


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch):
    """Answers hidden prompts from a dict and records which keys were asked for."""
    asked: list[str] = []
    answers: dict[str, str] = {}

    def fake_getpass(prompt: str = "") -> str:
        key = prompt.rstrip(": ")
        asked.append(key)
        return answers[key]

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return asked, answers
