"""The kinds of automaton the scanner builds, so a test can run against each."""

from __future__ import annotations

import pytest

from nbsecrets.core.masking import scanner

AUTOMATON_KINDS = {
    "dfa": {},  # whole keys in a DFA: few secrets
    "heads-dfa": {"DFA_MAX_BYTES": 0},  # key heads in a DFA, each found head checked: many secrets
    "heads-nfa": {"DFA_MAX_BYTES": 0, "HEAD_DFA_MAX": 0},  # key heads in an NFA: very many secrets
}


@pytest.fixture(params=list(AUTOMATON_KINDS))
def automaton_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test against every automaton the matcher can build."""
    for name, value in AUTOMATON_KINDS[request.param].items():
        monkeypatch.setattr(scanner, name, value)
    return request.param
