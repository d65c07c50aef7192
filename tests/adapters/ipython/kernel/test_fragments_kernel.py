"""Fragments: a run of 12 or more characters of a secret is masked wherever it shows.

Outputs often show part of a value: a slice, a truncated table cell, ``%whos``,
the locals of a verbose traceback, a widget's repr, a value split over two
variables or two cells, a typewriter effect. With
``configure_masking(fragment_length=12)`` (the default) every such run is
masked. Ordinary text that happens to share a run with a secret (a URL's
scheme and host, words, a run of one character) is not: those cells must
come out byte for byte as in a plain kernel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from kernel_run import NotebookRun, code

pytest.register_assert_rewrite("readback_cells")

from readback_cells import (  # noqa: E402
    SECRET,
    Case,
    case_ids,
    check_masked,
    check_plain_shows,
    error_outputs,
    notebooks,
    output_scan,
    raw_middles,
    run_pair,
    secrets_of,
    units,
)

VARIABLES = ["KEY", "PW", "LONG", "URL", "BANNER", "SA", "PEM"]
KEY, PW, LONG = SECRET["KEY"], SECRET["PW"], SECRET["LONG"]

CONFIGURE = code(
    "nbsecrets.configure_masking(min_length=6, fragment_length=12, patterns=True)", "configure", "raises-exception"
)

CASES = [
    Case("B1", "KEY", 'print("@@B1 " + KEY[1:] + " B1@@")', shows=KEY[1:]),
    Case("B2", "KEY", 'print("@@B2 " + KEY[3:-3] + " B2@@")', shows=KEY[3:-3]),
    # pandas cuts a long cell to 50 characters in text/plain and text/html
    Case(
        "B3",
        "LONG",
        "try:\n    import pandas as pd\nexcept ImportError:\n    print('@@B3 missing pandas B3@@')\nelse:\n"
        '    display(pd.DataFrame({"start": ["@@B3"], "token": [LONG], "end": ["B3@@"]}))',
        shows=LONG[:40],
        needs="pandas",
    ),
    # %whos keeps the first and last 25 characters of a long string
    Case(
        "B4",
        "LONG",
        'print("@@B4")\nget_ipython().run_line_magic("whos", "str")\nprint("B4@@")',
        shows=LONG[:25],
        keep=("Variable", "LONG"),
    ),
    # the locals a verbose traceback lists (the whole cell's output is the case)
    Case(
        "B5",
        "KEY",
        "def connect():\n    token = KEY[2:]\n    int(token)\nconnect()",
        shows=KEY[2:],
        bounded=False,
        raises=True,
        keep=("ValueError", "token"),
    ),
    Case(
        "B6",
        "KEY",
        'import ipywidgets\nprint("@@B6 " + repr(ipywidgets.Text(value=KEY[2:])) + " B6@@")',
        shows=KEY[2:],
        keep=("Text(value=",),
    ),
    # two variables printed one after the other
    Case(
        "B7",
        "PW",
        'head, tail = PW[:18], PW[18:]\nprint("@@B7 " + head)\nprint(tail + " B7@@")',
        hidden=True,
    ),
    # one secret printed over two cells: each half alone is a fragment
    Case("B8a", "KEY", 'print("@@B8a " + KEY[:16] + " B8a@@")', shows=KEY[:16]),
    Case("B8b", "KEY", 'print("@@B8b " + KEY[16:] + " B8b@@")', shows=KEY[16:]),
    # a typewriter: each step rewrites the line with one more character
    Case(
        "B9",
        "KEY",
        'for i in range(1, len(KEY) + 1):\n    print("\\r@@B9 " + KEY[:i], end="", flush=True)\nprint(" B9@@")',
    ),
    # a fragment inside an encoding
    Case("B10", "PW", 'print("@@B10 " + json.dumps(PW[2:]) + " B10@@")', shows=json.dumps(PW[2:])[1:-1]),
]


@dataclass(frozen=True)
class Ordinary:
    """A cell printing ordinary text that shares ``shared`` with the registered secret ``var``."""

    marker: str
    var: str
    text: str
    shared: str

    def cell(self) -> Any:
        return code(f"print({'@@' + self.marker + ' ' + self.text + ' ' + self.marker + '@@'!r})", self.marker)


ORDINARY = [
    Ordinary("N1", "URL", "postgresql://other@db.example.com:5432/analytics", "@db.example.com:5432/analytics"),
    Ordinary("N2", "URL", "db.example.com", "db.example.com"),
    Ordinary("N3", "URL", "analytics", "analytics"),
    Ordinary("N4", "URL", "postgresql://", "postgresql://"),
    Ordinary("N5", "BANNER", "-" * 40, "-" * 16),
    Ordinary("N6", "SA", '"type": "service_account", "universe_domain": "googleapis.com"', '"type": "service_account"'),
    Ordinary("N7", "SA", "reader@other-proj.iam.gserviceaccount.com", ".iam.gserviceaccount.com"),
    Ordinary("N8", "PEM", "-----END " + "PRIVATE KEY-----", "-----END " + "PRIVATE KEY-----"),
]

CELLS = [
    *CASES[:4],
    code("%xmode Verbose", "xmode-verbose"),
    CASES[4],
    code("%xmode Context", "xmode-context"),
    *CASES[5:],
    *(o.cell() for o in ORDINARY),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[NotebookRun, NotebookRun]:
    masked_cells, plain_cells = notebooks(VARIABLES, CELLS, before=[CONFIGURE])
    return run_pair(tmp_path_factory, "fragments", masked_cells, plain_cells)



def test_configure_masking_takes_a_fragment_length(masked: NotebookRun) -> None:
    assert error_outputs(masked, "configure") == []


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_plain_kernel_shows_the_fragment(case: Case, plain: NotebookRun) -> None:
    check_plain_shows(plain, case)
    # A fragment, not the whole value: exact matching alone cannot catch it.
    if case.shows is not None and case.shows != case.value:
        assert case.value not in case.shows


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_fragment_is_masked_with_its_surroundings_intact(case: Case, masked: NotebookRun) -> None:
    check_masked(masked, case)


def test_each_half_of_a_secret_printed_over_two_cells_is_masked(masked: NotebookRun) -> None:
    for tag, half in (("B8a", KEY[:16]), ("B8b", KEY[16:])):
        outputs = "".join(o.get("text", "") for o in masked.cell(tag).outputs)
        assert half not in outputs
        assert f"@@{tag} [masked:OPENAI_API_KEY] {tag}@@" in outputs


@pytest.mark.parametrize("ordinary", ORDINARY, ids=[o.marker for o in ORDINARY])
def test_ordinary_text_sharing_a_run_with_a_secret_is_left_alone(
    ordinary: Ordinary, masked: NotebookRun, plain: NotebookRun
) -> None:
    assert ordinary.shared in SECRET[ordinary.var] and ordinary.shared in ordinary.text
    plain_middles = set(raw_middles(units(plain), ordinary.marker))
    assert plain_middles == {ordinary.text}
    assert set(raw_middles(units(masked), ordinary.marker)) == plain_middles
    masked_cell = [o for o in masked.cell(ordinary.marker).outputs if o["output_type"] == "stream"]
    assert "".join(o["text"] for o in masked_cell) == f"@@{ordinary.marker} {ordinary.text} {ordinary.marker}@@\n"


def test_no_output_holds_a_whole_secret(masked: NotebookRun, plain: NotebookRun) -> None:
    secrets = secrets_of(VARIABLES)
    assert output_scan(plain, secrets)
    assert output_scan(masked, secrets) == []
