"""What a person sees in JupyterLab, and what JupyterLab saves, holds no registered value.

JupyterLab applies ``\\r`` and ``\\b`` and renders ANSI colours before it
shows (and saves) a stream, so a value printed in pieces can reach the screen
whole even when no single message held it. Each case is checked in the page
text of its output area and in every output of the saved .ipynb, both as saved
and as a terminal would render it.
"""

from __future__ import annotations

import pytest
from lab_browser import (
    CASES,
    CONTROL_TEXTS,
    MIN_RUN,
    SECRET,
    LabRun,
    output_texts,
    rendered,
)
from screens import longest_common_run


def _assert_hidden(text: str, where: str) -> None:
    assert SECRET not in text, f"{where} shows the whole secret:\n{text!r}"
    run = longest_common_run(text, SECRET)
    assert run < MIN_RUN, f"{where} shows {run} consecutive characters of the secret:\n{text!r}"


def test_the_checks_themselves() -> None:
    assert longest_common_run("xx" + SECRET[3:17] + "yy", SECRET) == 14
    assert longest_common_run("[masked:OPENAI_API_KEY]", SECRET) < MIN_RUN
    assert rendered("####" + SECRET[4:] + "\r" + SECRET[:4]) == SECRET
    assert rendered(SECRET[:10] + "X\b" + SECRET[10:]) == SECRET
    assert rendered("\x1b[1m" + SECRET[:8] + "\x1b[1;36m" + SECRET[8:] + "\x1b[0m") == SECRET


def test_plain_kernel_shows_the_whole_key_after_carriage_return(plain_lab_run: LabRun) -> None:
    """Without nbsecrets the overwrite trick puts the whole key on the page: these tests can fail."""
    assert SECRET in plain_lab_run.page["carriage_return"]
    saved = "".join(plain_lab_run.saved_texts("carriage_return"))
    assert SECRET in rendered(saved)


@pytest.mark.parametrize("case", [c for c in CASES if c != "carriage_return"])
def test_plain_kernel_shows_the_whole_key(plain_lab_run: LabRun, case: str) -> None:
    assert SECRET in plain_lab_run.page[case]
    assert SECRET in rendered("".join(plain_lab_run.saved_texts(case)))


def test_masked_setup_ran_cleanly(masked_lab_run: LabRun) -> None:
    errors = [o for o in masked_lab_run.cell("setup")["outputs"] if o["output_type"] == "error"]
    assert not errors, [f"{o['ename']}: {o['evalue']}" for o in errors]


@pytest.mark.parametrize("case", list(CASES))
def test_page_masks(masked_lab_run: LabRun, case: str) -> None:
    text = masked_lab_run.page[case]
    _assert_hidden(text, f"the page's output for {case}")
    assert "[masked:" in text, f"no [masked:] on the page for {case}:\n{text!r}"


@pytest.mark.parametrize("case", list(CASES))
def test_saved_notebook_masks(masked_lab_run: LabRun, case: str) -> None:
    texts = masked_lab_run.saved_texts(case)
    assert texts, f"{case} saved no output"
    for text in texts:
        _assert_hidden(text, f"a saved output of {case}")
        _assert_hidden(rendered(text), f"a saved output of {case}, rendered")
    assert "[masked:" in "".join(texts), f"no [masked:] in the saved outputs of {case}:\n{texts!r}"


def test_no_saved_output_holds_the_secret(masked_lab_run: LabRun) -> None:
    for cell in masked_lab_run.saved["cells"]:
        for output in cell.get("outputs", []):
            for text in output_texts(output):
                _assert_hidden(text, f"an output of cell {cell.get('id')}")
                _assert_hidden(rendered(text), f"an output of cell {cell.get('id')}, rendered")


@pytest.mark.parametrize("run_name", ["plain", "masked"])
def test_control_text_is_unchanged(request: pytest.FixtureRequest, run_name: str) -> None:
    run: LabRun = request.getfixturevalue(f"{run_name}_lab_run")
    saved = "".join(run.saved_texts("control"))
    for text in CONTROL_TEXTS:
        assert text in run.page["control"], run.page["control"]
        assert text in saved, saved
    assert "[masked:" not in run.page["control"] + saved
