"""The quickstart notebook runs headless in a real kernel, its saved copy holds no value,
and it leaves nothing behind: no throwaway vault, and a vault of yours as it found it.

The session's conftest already points NBSECRETS_HOME at a temporary folder; every
run here says for itself which vault settings the kernel gets.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from nbsecrets import get_store

ROOT = Path(__file__).resolve().parents[2]
OPENAI = "sk-test-quickstart-0a1b2c3d4e5f6a7b"
DB_PASSWORD = "sk-test-quickstart-db-99887766"
MINE = "sk-test-quickstart-mine-5e6f7a8b9c0d"
DEMO_VALUES = {"DEMO_OPENAI_KEY": OPENAI, "DEMO_DB_PASSWORD": DB_PASSWORD}
NO_VAULT_SET = {name: None for name in ("NBSECRETS_HOME", "NBSECRETS_KEY_DIR", "NBSECRETS_KEY_SOURCE", "NBSECRETS_PASSPHRASE")}
"""Run as someone who set nothing: the notebook then makes its own throwaway vault."""


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


def empty_dir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, str, Path]:
    base = tmp_path_factory.mktemp("quickstart")
    tmp_root = empty_dir(base / "tmp")
    output = base / "quickstart.ipynb"
    notebook = _runner().execute(output, {**DEMO_VALUES, **NO_VAULT_SET, "TMPDIR": str(tmp_root)})
    return notebook, output.read_text(encoding="utf-8"), tmp_root


@pytest.fixture
def your_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A NBSECRETS_HOME and key folder of the user's, with one secret in it already."""
    yours = {"NBSECRETS_HOME": str(tmp_path / "my-vault"), "NBSECRETS_KEY_DIR": str(tmp_path / "my-keys")}
    for name, value in yours.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")
    get_store().create("team-openai", {"OPENAI_API_KEY": MINE, "OPENAI_ORG": "org-test"}, settings=["OPENAI_ORG"])
    return yours


def test_committed_notebook_has_no_outputs_and_no_value() -> None:
    path = ROOT / "notebooks" / "quickstart.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert not re.search(r"sk-test-(?:db-)?[0-9a-f]{8,}", path.read_text(encoding="utf-8"))


def test_runs_top_to_bottom_without_errors(executed) -> None:
    notebook, _, _ = executed
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def test_saved_copy_holds_no_value_in_any_form(executed) -> None:
    _, saved, _ = executed
    for value in (OPENAI, DB_PASSWORD):
        for form in forms(value):
            assert form not in saved


def test_outputs_show_masks_and_provenance(executed) -> None:
    _, saved, _ = executed
    assert "[masked:OPENAI_API_KEY]" in saved
    assert "Created secret 'quickstart-openai'" in saved
    assert "overrides dict:team_defaults" in saved
    assert "after the cell: False" in saved
    assert "SecretNotFoundError" in saved and "Did you mean: 'quickstart-openai'" in saved


def test_a_run_leaves_nothing_in_the_temporary_directory(executed) -> None:
    """The throwaway vault and its key file were made under TMPDIR, and are gone."""
    _, saved, tmp_root = executed
    assert f"Using a throwaway vault in {tmp_root}" in saved
    assert "Removed the throwaway vault" in saved
    assert list(tmp_root.iterdir()) == []


def test_a_notebook_that_keeps_its_folder_fails_and_the_folder_goes_anyway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _runner()
    notebook = nbformat.read(runner.NOTEBOOK, as_version=4)
    kept = [cell for cell in notebook.cells if "shutil.rmtree(scratch)" not in cell.source]
    assert len(kept) == len(notebook.cells) - 1
    notebook.cells = kept
    forgetful = tmp_path / "forgetful.ipynb"
    nbformat.write(notebook, forgetful)
    monkeypatch.setattr(runner, "NOTEBOOK", forgetful)
    tmp_root = empty_dir(tmp_path / "tmp")
    with pytest.raises(runner.LeftBehind, match="nbsecrets-quickstart-"):
        runner.execute(tmp_path / "out.ipynb", {**DEMO_VALUES, **NO_VAULT_SET, "TMPDIR": str(tmp_root)})
    assert list(tmp_root.iterdir()) == []


def test_a_vault_of_yours_is_used_and_left_as_it_was(tmp_path: Path, your_vault: dict[str, str]) -> None:
    store = get_store()
    before = store.info("team-openai")
    tmp_root = empty_dir(tmp_path / "tmp")
    output = tmp_path / "out.ipynb"
    # The kernel gets only the folders: the vault's own header says where its key is.
    _runner().execute(output, {**DEMO_VALUES, **NO_VAULT_SET, **your_vault, "TMPDIR": str(tmp_root)})
    saved = output.read_text(encoding="utf-8")

    assert f"Using the vault in NBSECRETS_HOME: {your_vault['NBSECRETS_HOME']}" in saved
    assert "Created secret 'quickstart-openai'" in saved and "Deleted secret 'quickstart-db'" in saved
    assert "team-openai" in saved  # listed beside the demo secrets: the run used this vault
    assert [info.name for info in store.list()] == ["team-openai"]
    env, settings = store.read("team-openai")
    assert env == {"OPENAI_API_KEY": MINE, "OPENAI_ORG": "org-test"} and tuple(settings) == ("OPENAI_ORG",)
    assert store.info("team-openai") == before
    assert Path(your_vault["NBSECRETS_HOME"]).is_dir() and any(Path(your_vault["NBSECRETS_KEY_DIR"]).iterdir())
    assert list(tmp_root.iterdir()) == []  # no throwaway vault was made
    for form in forms(MINE):
        assert form not in saved


def test_a_secret_of_yours_with_a_demo_name_stops_the_run_before_any_change(
    tmp_path: Path, your_vault: dict[str, str]
) -> None:
    store = get_store()
    store.create("quickstart-db", {"PGPASSWORD": MINE})
    before = [store.info(name) for name in ("quickstart-db", "team-openai")]
    tmp_root = empty_dir(tmp_path / "tmp")
    with pytest.raises(CellExecutionError) as info:
        _runner().execute(tmp_path / "out.ipynb", {**DEMO_VALUES, **NO_VAULT_SET, **your_vault, "TMPDIR": str(tmp_root)})
    message = str(info.value)
    assert "NbSecretsError" in message and "already holds 'quickstart-db'" in message
    assert "nothing was changed" in message
    assert [store.info(name) for name in ("quickstart-db", "team-openai")] == before
    assert [info.name for info in store.list()] == ["quickstart-db", "team-openai"]
    assert store.read("quickstart-db")[0] == {"PGPASSWORD": MINE}
    assert list(tmp_root.iterdir()) == []
    assert MINE not in message
