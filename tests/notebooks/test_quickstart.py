"""The quickstart notebook runs headless in a real kernel and its saved copy holds no value."""

from __future__ import annotations

import base64
import importlib.util
import json
import urllib.parse
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
OPENAI = "sk-test-quickstart-0a1b2c3d4e5f6a7b"
DB_PASSWORD = "sk-test-quickstart-db-99887766"


def _runner():
    spec = importlib.util.spec_from_file_location("run_quickstart", ROOT / "scripts" / "run_quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def forms(value: str) -> list[str]:
    return [
        value,
        json.dumps(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        base64.b64encode(value.encode()).decode().rstrip("="),
        base64.b64encode(f"user:{value}".encode()).decode()[8:-4],
    ]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, str]:
    output = tmp_path_factory.mktemp("quickstart") / "quickstart.ipynb"
    notebook = _runner().execute(output, {"DEMO_OPENAI_KEY": OPENAI, "DEMO_DB_PASSWORD": DB_PASSWORD})
    return notebook, output.read_text(encoding="utf-8")


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_runs_top_to_bottom_without_errors(executed) -> None:
    notebook, _ = executed
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def test_saved_copy_holds_no_value_in_any_form(executed) -> None:
    _, saved = executed
    for value in (OPENAI, DB_PASSWORD):
        for form in forms(value):
            assert form not in saved


def test_outputs_show_masks_and_provenance(executed) -> None:
    _, saved = executed
    assert "[masked:OPENAI_API_KEY]" in saved
    assert "Created secret 'openai-keys'" in saved
    assert "overrides dict:team_defaults" in saved
    assert "after the cell: False" in saved
    assert "SecretNotFoundError" in saved and "openai-keys" in saved
