"""Read-back: what a renderer shows of an output is masked, not only its raw text.

JupyterLab renders ANSI colours away, applies ``\\r`` and ``\\b``, renders
HTML (tags gone, entities decoded); formatters (rich, pprint, textwrap,
base64.encodebytes) break a long value over lines. Each case below prints a
secret so that its raw text does not hold it verbatim but a reader of the
rendered output, or of the saved notebook, gets it back. In a plain kernel
each case shows the secret (so each test can fail); with nbsecrets nothing
of it may be read back, not even a run of 12 characters, the text around
it survives and ``[masked:NAME]`` stands in its place.
"""

from __future__ import annotations

import base64

import pytest
from kernel_run import NotebookRun

pytest.register_assert_rewrite("readback_cells")

from readback_cells import (  # noqa: E402
    PEM,
    PEM_BODY,
    SA,
    SA_CLIENT_ID,
    SA_KEY_ID,
    SECRET,
    Case,
    case_ids,
    check_masked,
    check_plain_shows,
    notebooks,
    output_scan,
    run_pair,
    secrets_of,
)

VARIABLES = ["KEY", "PW", "TOKEN", "LONG", "SPACED", "PEM", "SA"]

CASES = [
    # -- ANSI escapes inside the value
    Case("A1", "KEY", r'print("@@A1 " + KEY[:8] + "\x1b[1;31m" + KEY[8:] + "\x1b[0m A1@@")', hidden=True),
    Case(
        "A2",
        "KEY",
        r'print("@@A2 " + "".join("\x1b[3%dm%s\x1b[0m" % (i % 7 + 1, KEY[i:i + 5]) for i in range(0, len(KEY), 5))'
        r' + " A2@@")',
        hidden=True,
    ),
    # rich's way of colouring the digit groups of a token, written by hand: ANSI, then HTML spans
    Case("A3", "TOKEN", r'print("@@A3 " + re.sub(r"(\d+)", "\x1b[1;36m\\1\x1b[0m", TOKEN) + " A3@@")', hidden=True),
    Case(
        "A4",
        "TOKEN",
        "from IPython.display import HTML, display\n"
        r"""span = r'<span style="color: #008080; font-weight: bold">\1</span>'"""
        "\n"
        r"""display(HTML("<pre>@@A4 " + re.sub(r"(\d+)", span, TOKEN) + " A4@@</pre>"))""",
        hidden=True,
    ),
    # rich itself: digit groups coloured, and a long value folded at the console width
    Case(
        "A5",
        "TOKEN",
        "try:\n    from rich import print as rprint\nexcept ImportError:\n    print('@@A5 missing rich A5@@')\n"
        'else:\n    rprint("@@A5 token " + TOKEN + " A5@@")',
        hidden=True,
        needs="rich",
    ),
    Case(
        "A6",
        "LONG",
        "try:\n    from rich.console import Console\nexcept ImportError:\n    print('@@A6 missing rich A6@@')\n"
        'else:\n    Console().print("@@A6 " + LONG + " A6@@")',
        hidden=True,
        needs="rich",
    ),
    Case(
        "A6b",
        "KEY",
        "try:\n    from rich.console import Console\nexcept ImportError:\n    print('@@A6b missing rich A6b@@')\n"
        'else:\n    Console(width=20).print("@@A6b " + KEY + " A6b@@")',
        hidden=True,
        needs="rich",
    ),
    # -- \r and \b
    Case("A7", "KEY", 'print("@@A7 ####" + KEY[4:] + " A7@@", end="\\r")\nprint("@@A7 " + KEY[:4])', hidden=True),
    Case("A8", "KEY", r'print("@@A8 " + KEY[:10] + "#\b" + KEY[10:] + " A8@@")', hidden=True),
    Case("A9", "PW", r'print("@@A9 " + "".join(c + "\b" + c for c in PW) + " A9@@")', hidden=True),
    Case("A10", "KEY", r'print("@@A10 " + "".join(c + "_\b" for c in KEY) + " A10@@")', hidden=True),
    # -- HTML: tags between and around the characters, character references
    Case(
        "A11",
        "KEY",
        "from IPython.display import HTML, display\n"
        'display(HTML("@@A11 " + KEY[:10] + "<b>" + KEY[10:] + "</b> A11@@"))',
        hidden=True,
    ),
    Case(
        "A12",
        "PW",
        'display(HTML("@@A12 " + "".join("<span>" + html.escape(c) + "</span>" for c in PW) + " A12@@"))',
        hidden=True,
    ),
    Case("A13", "KEY", 'display(HTML("@@A13 " + "".join("&#%d;" % ord(c) for c in KEY) + " A13@@"))', hidden=True),
    Case(
        "A14",
        "KEY",
        'display(HTML("@@A14 " + "".join("&#x%x;" % ord(c) if i % 2 else c for i, c in enumerate(KEY)) + " A14@@"))',
        hidden=True,
    ),
    Case(
        "A15",
        "PW",
        'display(HTML("@@A15 " + PW.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")'
        """.replace('"', "&quot;").replace("-", "&#45;") + " A15@@"))""",
        hidden=True,
    ),
    # -- line breaks a formatter adds
    Case(
        "A16",
        "SPACED",
        'import pprint\nprint("@@A16")\npprint.pprint({"passphrase": SPACED})\nprint("A16@@")',
        hidden=True,
        keep=("{'passphrase': ",),
    ),
    Case("A17", "KEY", 'print("@@A17\\n" + textwrap.fill(KEY, 10) + "\\nA17@@")', hidden=True),
    Case("A18", "SPACED", 'print("@@A18\\n" + textwrap.fill(SPACED, 30) + "\\nA18@@")', hidden=True),
    Case(
        "A19",
        "LONG",
        'print("@@A19\\n" + base64.encodebytes(LONG.encode()).decode() + "A19@@")',
        shows=base64.b64encode(SECRET["LONG"].encode()).decode(),
        hidden=True,
    ),
    Case(
        "A20",
        "PEM",
        'print("@@A20\\r\\n" + PEM.replace("\\n", "\\r\\n") + "A20@@")',
        shows=PEM.strip(),
        hidden=True,
        probes=tuple(PEM_BODY),
    ),
    Case(
        "A21",
        "PEM",
        'print("@@A21\\n" + textwrap.indent(PEM, "    ") + "A21@@")',
        shows=PEM.strip(),
        hidden=True,
        probes=tuple(PEM_BODY),
    ),
    Case(
        "A22",
        "SA",
        'print("@@A22\\n" + textwrap.indent(SA, "    ") + "\\nA22@@")',
        shows=SA,
        hidden=True,
        probes=(SA_KEY_ID, SA_CLIENT_ID, *PEM_BODY),
    ),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[NotebookRun, NotebookRun]:
    masked_cells, plain_cells = notebooks(VARIABLES, CASES)
    return run_pair(tmp_path_factory, "readback", masked_cells, plain_cells)



@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_plain_kernel_shows_the_secret_once_rendered(case: Case, plain: NotebookRun) -> None:
    check_plain_shows(plain, case)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rendered_output_is_masked_with_its_surroundings_intact(case: Case, masked: NotebookRun) -> None:
    check_masked(masked, case)


def test_no_rendering_of_any_output_holds_a_whole_secret(masked: NotebookRun, plain: NotebookRun) -> None:
    secrets = secrets_of(VARIABLES)
    assert output_scan(plain, secrets)
    assert output_scan(masked, secrets) == []


def test_values_are_not_in_the_cell_sources(masked: NotebookRun) -> None:
    sources = "\n".join(cell.source for cell in masked.nb.cells)
    for value in (SECRET[v] for v in VARIABLES):
        assert value not in sources
