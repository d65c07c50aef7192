"""The magics in a real kernel (nbclient, papermill, nbconvert): no stdin, real masking, real environment restore."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from notebook_outputs import outputs_text

from nbsecrets.adapters.ipython.magics import NO_STDIN
from nbsecrets.adapters.texts import error_line

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
    [output] = notebook.cells[2].outputs
    assert output.output_type == "error"
    assert (output.ename, output.evalue) == ("SecretMagicError", NO_STDIN)
    assert output.traceback == [error_line(NO_STDIN)]
    assert "cannot prompt" in output.evalue and "nbsecrets create" in output.evalue
    assert "Traceback" not in outputs_text(notebook.cells[2])


def test_with_secrets_restores_after_an_exception_and_fails_the_cell(notebook) -> None:
    cell = notebook.cells[4]
    assert "inside [masked:TOKEN]" in outputs_text(cell)
    errors = [output for output in cell.outputs if output.output_type == "error"]
    assert [(error.ename, error.evalue) for error in errors] == [("ValueError", "boom")]
    assert outputs_text(notebook.cells[5]).strip() == "restored True False"


def test_load_is_masked_and_unload_ext_keeps_what_was_loaded(notebook) -> None:
    loaded = outputs_text(notebook.cells[6]).strip().splitlines()
    assert loaded[0] == "Loaded 1 key:" and loaded[-1] == "[masked:TOKEN]"
    # %unload_ext removes the magics only: the loaded variable stays (and stays masked).
    assert outputs_text(notebook.cells[7]).strip() == "True"


def test_value_never_in_the_notebook(notebook) -> None:
    assert FAKE not in nbformat.writes(notebook)


# -- a notebook whose cell needs a prompt, run by papermill and by nbconvert ----------------------------


@pytest.fixture(scope="module")
def prompt_notebook(tmp_path_factory):
    """A notebook that stores one secret from the environment, then needs a hidden prompt."""
    folder = tmp_path_factory.mktemp("prompt-notebook")
    notebook = new_notebook(
        cells=[
            new_code_cell("%load_ext nbsecrets"),
            new_code_cell("%secret create api TOKEN=$NBS_FAKE"),
            new_code_cell("%secret create prompted TOKEN"),
            new_code_cell("print('not reached')"),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "prompt.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def kernel_environ(monkeypatch):
    """What papermill and nbconvert pass on to the kernel: this process's environment (private folders)."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.setenv("NBS_FAKE", FAKE)


def test_papermill_reports_why_the_cell_failed(prompt_notebook, tmp_path, kernel_environ) -> None:
    import papermill as pm

    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as raised:
        pm.execute_notebook(str(prompt_notebook), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    error = raised.value
    assert (error.ename, error.evalue) == ("SecretMagicError", NO_STDIN)
    assert error_line(NO_STDIN) in str(error)
    assert error.traceback == [error_line(NO_STDIN)]
    saved = nbformat.read(out, as_version=4)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert [output.ename for output in code[2].outputs if output.output_type == "error"] == ["SecretMagicError"]
    assert code[3].outputs == []  # the run stopped at the failing cell
    assert FAKE not in nbformat.writes(saved)


def test_nbconvert_execute_fails_and_says_why(prompt_notebook, tmp_path, kernel_environ) -> None:
    out = tmp_path / "converted.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", str(prompt_notebook), "--output", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "CellExecutionError" in result.stderr
    assert error_line(NO_STDIN) in result.stderr
    assert FAKE not in result.stdout + result.stderr
