"""The magics in a real kernel (nbclient): no stdin, real masking, real environment restore."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

FAKE = "sk-test-kernel-magics-123456789"


def run_notebook(sources: list[str], tmp_path) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["NBS_FAKE"] = FAKE
    client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    return notebook


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        else:
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("kernel-magics")
    return run_notebook(
        [
            "%load_ext nbsecrets",
            "%secret create api TOKEN=$NBS_FAKE",
            "%secret create prompted TOKEN",
            "import os\nos.environ['KEEP'] = 'outer'\nbefore = dict(os.environ)",
            "%%with_secrets api\nprint('outer kept', os.environ['KEEP'])\nprint('inside', os.environ['TOKEN'])\nos.environ['TOKEN'] = 'changed-in-cell'\nraise ValueError('boom')",
            "print('restored', dict(os.environ) == before, 'TOKEN' in os.environ)",
            "%secret load api\nprint(os.environ['TOKEN'])",
            "%unload_ext nbsecrets\nprint('TOKEN' in os.environ)",
        ],
        tmp_path,
    )


def test_no_stdin_prompt_is_a_clear_error(notebook) -> None:
    text = outputs_text(notebook.cells[2])
    assert "UsageError" in text and "cannot prompt" in text and "nbsecrets create" in text
    assert "Traceback" not in text


def test_with_secrets_restores_after_an_exception_and_fails_the_cell(notebook) -> None:
    cell_text = outputs_text(notebook.cells[4])
    assert "inside [masked:TOKEN]" in cell_text
    assert "ValueError" in cell_text and "environment was restored" in cell_text
    assert outputs_text(notebook.cells[5]).strip() == "restored True False"


def test_load_is_masked_and_unload_ext_keeps_what_was_loaded(notebook) -> None:
    loaded = outputs_text(notebook.cells[6]).strip().splitlines()
    assert loaded[0] == "Loaded 1 key:" and loaded[-1] == "[masked:TOKEN]"
    # %unload_ext removes the magics only: the loaded variable stays (and stays masked).
    assert outputs_text(notebook.cells[7]).strip() == "True"


def test_value_never_in_the_notebook(notebook) -> None:
    assert FAKE not in nbformat.writes(notebook)
