"""The widget panel in a real JupyterLab (and in Voila), driven with the mouse in headless Chromium.

One run, in order, in one notebook: a vault holding `first` and `second` (both
define SHARED), made from this process in the folders the server's kernels
use; `%secret panel`; a third secret typed into the form and created; `first`
and `second` ticked, reordered to second, first with the arrow button and
loaded (so `first`, loaded last, wins); unloaded; a .env file picked in the
file chooser, loaded and unloaded; the notebook saved with its widget state. The tests then read what the page showed, what JupyterLab saved
and what the server logged. Screenshots of the panel go to build/panel/.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lab_browser import (
    DARK_THEME,
    KERNEL_IDLE,
    WAIT_MS,
    LabServer,
    VoilaServer,
    executed,
    output_texts,
    server_env,
    value_forms,
    wait_for_saved,
    widget_models,
    write_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "panel"

FIRST = "sk-test-first-value-111"
SECOND = "sk-test-second-value-222"
TYPED = "sk-test-typed-value-333"
UPLOADED = "sk-test-uploaded-value-444"
TYPED_NAME = "third"
TYPED_KEY = "TYPED_TOKEN"
VALUES = {"first": FIRST, "second": SECOND, "typed": TYPED, "uploaded": UPLOADED}
MASK = "[masked:SHARED]"  # the masker's default replacement, "[masked:{name}]"

# No cell's source holds a whole value: the comparison is built from two literals.
CELLS = [
    ("panel", "%load_ext nbsecrets\n%secret panel"),
    ("shown", "import os\nprint(os.environ['SHARED'])"),
    ("order", "print(os.environ['SHARED'] == 'sk-test-' + 'first-value-111')"),
    ("unloaded", "print('SHARED' in os.environ)"),
]
TAGS = [tag for tag, _ in CELLS]


@contextlib.contextmanager
def vault_env(base: Path) -> Iterator[None]:
    """This process pointed at the vault and key folder the server's kernels get (``server_env(base)``),
    with no keyring, as they have; the masking registry is put back afterwards."""
    import keyring
    from keyring.backends import fail

    from nbsecrets.core import registry as registry_module
    from nbsecrets.core.store import keys

    env = server_env(base)
    registry = registry_module.registry
    saved_values = registry.items()
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("NBSECRETS_HOME", "NBSECRETS_KEY_DIR"):
            patch.setenv(name, env[name])
        for name in ("NBSECRETS_PASSPHRASE", "NBSECRETS_KEY_SOURCE"):
            patch.delenv(name, raising=False)
        patch.setattr(keys, "_cache", {})
        patch.setattr(keys, "_warned", set())
        keyring.set_keyring(fail.Keyring())
        try:
            yield
        finally:
            keyring.set_keyring(previous)
            with registry._lock:
                registry._names.clear()
                registry._names.update(saved_values)
                registry._version += 1


@pytest.fixture(scope="module")
def panel_vault(lab_base: Path) -> Path:
    """`first` and `second`, both defining SHARED, created through the Python API before any kernel starts."""
    from nbsecrets.core.store import get_store

    with vault_env(lab_base):
        store = get_store()
        store.create("first", {"SHARED": FIRST})
        store.create("second", {"SHARED": SECOND})
    return Path(server_env(lab_base)["NBSECRETS_HOME"])


@dataclass(repr=False)
class PanelRun:
    """What the page showed at each step, the notebook JupyterLab saved, and the server's log."""

    text: dict[str, str] = field(default_factory=dict)
    order_before: list[str] = field(default_factory=list)
    order_after: list[str] = field(default_factory=list)
    password_type: str = ""
    password_after_create: str | None = None
    saved: dict = field(default_factory=dict)
    saved_raw: str = ""
    log: str = ""
    shots: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"PanelRun(shots={sorted(self.shots)})"

    def outputs(self, tag: str) -> list[str]:
        cell = next(c for c in self.saved["cells"] if tag in c.get("metadata", {}).get("tags", []))
        return [text for output in cell["outputs"] for text in output_texts(output)]


def button(panel: Any, label: str) -> Any:
    """The panel's button labelled exactly ``label`` (its accessible name also holds the icon's glyph)."""
    return panel.locator("button.widget-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def _shot(run: PanelRun, locator: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    locator.screenshot(path=str(path))
    run.shots[name] = path


@pytest.fixture(scope="module")
def panel_run(bare_chromium: Any, panel_lab_server: LabServer, panel_vault: Path) -> PanelRun:
    from playwright.sync_api import expect

    server = panel_lab_server
    notebook = "panel.ipynb"
    path = server.root / notebook
    write_notebook(path, CELLS)
    run = PanelRun()
    context = bare_chromium.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    try:
        page.goto(server.lab_url("panel", notebook))
        notebook_panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        code_cells = notebook_panel.locator(".jp-Notebook .jp-CodeCell")
        expect(code_cells).to_have_count(len(CELLS))
        expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE)

        def run_cell(tag: str) -> str:
            cell = code_cells.nth(TAGS.index(tag))
            cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"))
            output = cell.locator(".jp-Cell-outputArea")
            output.locator(".jp-OutputArea-output").first.wait_for()
            return output.inner_text()

        # 2. The panel, listing the two stored secrets.
        run_cell("panel")
        panel = page.locator(".nbsecrets-panel")
        expect(panel).to_be_visible()
        listing = panel.locator(".widget-gridbox").first
        expect(listing.locator("span[title='first']")).to_be_visible()
        expect(listing.locator("span[title='second']")).to_be_visible()
        run.text["empty"] = panel.inner_text()
        _shot(run, panel, "empty")

        # 3. A secret typed into the form.
        panel.get_by_placeholder("secret name, e.g. openai").fill(TYPED_NAME)
        panel.get_by_placeholder("KEY", exact=True).first.fill(TYPED_KEY)
        password = panel.locator(".jupyter-widgets input[type=password]").first
        password.click()
        password.press_sequentially(TYPED)
        expect(password).to_have_value(TYPED)
        run.password_type = password.get_attribute("type") or ""
        _shot(run, panel, "filled")
        button(panel, "Create").click()
        expect(panel).to_contain_text(f"Created secret '{TYPED_NAME}'")
        expect(listing.locator(f"span[title='{TYPED_NAME}']")).to_be_visible()
        run.text["created"] = panel.inner_text()
        run.password_after_create = panel.locator(".jupyter-widgets input[type=password]").first.input_value()

        # 4. Tick first then second; move first down (second, first); load.
        def checkbox(reference: str) -> Any:
            beside = f".widget-checkbox:has(+ .widget-html span[title='{reference}'])"  # the box left of the name
            return listing.locator(f"{beside} input[type=checkbox]")

        order = panel.locator(".widget-select select[size]")
        checkbox("first").check()
        expect(order.locator("option")).to_have_text(["first"])
        checkbox("second").check()
        expect(order.locator("option")).to_have_text(["first", "second"])
        run.order_before = order.locator("option").all_inner_texts()
        order.select_option("first")
        panel.locator("button:has(i.fa-arrow-down)").click()
        expect(order.locator("option")).to_have_text(["second", "first"])
        run.order_after = order.locator("option").all_inner_texts()
        button(panel, "Load").click()
        expect(panel).to_contain_text("Loaded 1 key")
        run.text["loaded"] = panel.inner_text()
        _shot(run, panel, "loaded")
        run.text["shown"] = run_cell("shown")
        run.text["order"] = run_cell("order")
        run.text["page_after_load"] = page.locator("body").inner_text()
        run.text["outputs_after_load"] = "\n".join(
            code_cells.nth(i).locator(".jp-Cell-outputArea").inner_text() for i in range(len(CELLS))
        )

        # 5. Unload.
        button(panel, "Unload").click()
        expect(panel).to_contain_text("Restored SHARED")
        run.text["unloaded_panel"] = panel.inner_text()
        run.text["unloaded"] = run_cell("unloaded")
        expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE)

        # 5b. A .env file uploaded through the file picker and loaded without being stored;
        # the upload widget must then hold nothing, in the kernel and in the page.
        upload_file = server.root / "uploaded.env"
        upload_file.write_text(f"UPLOADED_TOKEN={UPLOADED}\n")
        with page.expect_file_chooser() as chooser:  # the widget's file input is not in the page
            panel.locator(".widget-upload").click()
        chooser.value.set_files(str(upload_file))
        # The browser reads the chosen file only when the widget asks for its contents,
        # so the file is removed once the widget has counted it, not before.
        expect(panel.locator(".widget-upload")).to_contain_text("(1)")
        upload_file.unlink()
        button(panel, "Load file").click()
        expect(panel).to_contain_text("UPLOADED_TOKEN  from upload:uploaded.env")
        expect(panel.locator(".widget-upload")).to_contain_text("(0)")
        run.text["uploaded"] = panel.inner_text()
        button(panel, "Unload").click()
        expect(panel).to_contain_text("Restored UPLOADED_TOKEN")

        # 6. Save, with the widget state.
        page.keyboard.press("Escape")
        page.keyboard.press("Control+s")
        run.saved = wait_for_saved(path, lambda nb: executed(nb, TAGS) and bool(widget_models(nb)))
        run.saved_raw = path.read_text()

        # The dark theme, last: it is kept in the server's (private) user settings.
        page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", DARK_THEME)
        page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=DARK_THEME)
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
        expect(page.locator("#jupyterlab-splash")).to_have_count(0)  # Lab shows its splash while it switches
        _shot(run, panel, "dark")
        run.log = server.log_path.read_text(errors="replace")
        return run
    except Exception:
        with contextlib.suppress(Exception):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
        raise
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default, for whoever expects next
        context.close()


@dataclass(repr=False)
class VoilaRun:
    text: str = ""
    log: str = ""
    shot: Path | None = None


@pytest.fixture(scope="module")
def voila_run(require_voila: None, bare_chromium: Any, panel_vault: Path, lab_base: Path) -> VoilaRun:
    """The panel in a Voila app over the same vault; read once Voila (and its kernel) has stopped."""
    from playwright.sync_api import expect

    folder = lab_base / "voila"
    folder.mkdir(exist_ok=True)
    notebook = folder / "panel_voila.ipynb"
    write_notebook(notebook, [("panel", "%load_ext nbsecrets\n%secret panel")])
    server = VoilaServer(lab_base, notebook)
    run = VoilaRun(shot=SHOTS / "voila.png")
    context = bare_chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        server.start()
        page.goto(server.url)
        panel = page.locator(".nbsecrets-panel")
        expect(panel).to_be_visible(timeout=WAIT_MS)
        expect(panel.locator("span[title='second']")).to_be_visible(timeout=WAIT_MS)
        run.text = panel.inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(run.shot))
    except Exception as exc:
        with contextlib.suppress(Exception):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "voila-failure.png"), full_page=True)
        raise AssertionError(f"the Voila run failed ({exc}); its log:\n{server.log_tail()}") from exc
    finally:
        context.close()
        server.stop()
    run.log = server.log_path.read_text(errors="replace")
    return run


def _assert_no_value(text: str, where: str) -> None:
    for label, value in VALUES.items():
        for form in value_forms(value):
            assert form not in text, f"{where} holds the {label} value (as {form!r})"


# -- the vault and the panel's listing ---------------------------------------------------------------


def test_the_value_checks_can_fail() -> None:
    import base64

    with pytest.raises(AssertionError):
        _assert_no_value("x" + base64.b64encode(b"ab" + TYPED.encode()).decode(), "a sample")
    with pytest.raises(AssertionError):
        _assert_no_value(json.dumps({"value": SECOND}), "a sample")
    _assert_no_value(MASK, "the mask")


def test_kernels_get_the_private_vault(panel_lab_server: LabServer, panel_vault: Path, lab_base: Path) -> None:
    env = panel_lab_server.env
    assert env["NBSECRETS_HOME"] == str(panel_vault) and panel_vault.is_relative_to(lab_base)
    assert Path(env["NBSECRETS_KEY_DIR"]).is_relative_to(lab_base)
    assert any(panel_vault.iterdir()) and any(Path(env["NBSECRETS_KEY_DIR"]).iterdir())


def test_panel_lists_the_secrets_made_beforehand(panel_run: PanelRun) -> None:
    text = panel_run.text["empty"]
    assert "first" in text and "second" in text, text
    assert "SHARED" in text, text


def test_created_secret_is_in_the_vault(panel_run: PanelRun, lab_base: Path) -> None:
    from nbsecrets.core.store import get_store

    with vault_env(lab_base):
        store = get_store()
        infos = {info.reference: info for info in store.list()}
        assert sorted(infos) == ["first", "second", TYPED_NAME]
        assert list(infos[TYPED_NAME].keys) == [TYPED_KEY]
        assert store.get(TYPED_NAME) == {TYPED_KEY: TYPED}


# -- the form ----------------------------------------------------------------------------------------


def test_the_value_field_hides_what_is_typed(panel_run: PanelRun) -> None:
    assert panel_run.password_type == "password"


def test_create_says_created_and_empties_the_form(panel_run: PanelRun) -> None:
    assert f"Created secret '{TYPED_NAME}' with keys: {TYPED_KEY}." in panel_run.text["created"]
    assert panel_run.password_after_create == ""


# -- order, load, unload -----------------------------------------------------------------------------


def test_arrow_moves_the_selected_secret(panel_run: PanelRun) -> None:
    assert panel_run.order_before == ["first", "second"]
    assert panel_run.order_after == ["second", "first"]


def test_panel_reports_the_later_source_winning(panel_run: PanelRun) -> None:
    assert re.search(r"SHARED\s+from first \(overrides second\)", panel_run.text["loaded"]), panel_run.text["loaded"]


def test_loaded_value_is_masked_on_the_page(panel_run: PanelRun) -> None:
    assert panel_run.text["shown"].strip() == MASK
    assert "sk-test-" not in panel_run.text["outputs_after_load"], panel_run.text["outputs_after_load"]
    assert "sk-test-" not in panel_run.text["loaded"], panel_run.text["loaded"]
    _assert_no_value(panel_run.text["page_after_load"], "the page after loading")


def test_first_loaded_last_wins(panel_run: PanelRun) -> None:
    assert panel_run.text["order"].strip() == "True"


def test_unload_removes_the_variable(panel_run: PanelRun) -> None:
    assert "Restored SHARED." in panel_run.text["unloaded_panel"]
    assert panel_run.text["unloaded"].strip() == "False"


# -- what was saved and logged -----------------------------------------------------------------------


def test_saved_outputs_are_the_page_outputs(panel_run: PanelRun) -> None:
    assert "".join(panel_run.outputs("shown")).strip() == MASK
    assert "".join(panel_run.outputs("order")).strip() == "True"
    assert "".join(panel_run.outputs("unloaded")).strip() == "False"


def test_saved_widget_state_holds_the_panel(panel_run: PanelRun) -> None:
    models = widget_models(panel_run.saved)
    names = {model["model_name"] for model in models.values()}
    assert "nbsecrets-panel" in json.dumps(
        [m["state"].get("_dom_classes") for m in models.values() if m["model_name"] == "VBoxModel"]
    ), names
    assert {"PasswordModel", "TextModel", "SelectModel", "CheckboxModel", "ButtonModel"} <= names, names


def test_an_uploaded_file_is_loaded_and_then_dropped(panel_run: PanelRun) -> None:
    assert "UPLOADED_TOKEN" in panel_run.text["uploaded"]
    uploads = [m["state"] for m in widget_models(panel_run.saved).values() if m["model_name"] == "FileUploadModel"]
    assert uploads and all(not state.get("value") for state in uploads), uploads


def test_saved_notebook_holds_no_value(panel_run: PanelRun) -> None:
    for cell in panel_run.saved["cells"]:
        for output in cell.get("outputs", []):
            for text in output_texts(output):
                _assert_no_value(text, f"an output of cell {cell['id']}")
    for model_id, model in widget_models(panel_run.saved).items():
        _assert_no_value(json.dumps(model), f"the saved state of widget {model['model_name']} {model_id}")
    _assert_no_value(panel_run.saved_raw, "the saved .ipynb")


def test_server_log_holds_no_value(panel_run: PanelRun) -> None:
    assert panel_run.log, "the server log is empty"
    _assert_no_value(panel_run.log, "the Jupyter server's log")


def test_screenshots_were_written(panel_run: PanelRun) -> None:
    for name in ("empty", "filled", "loaded", "dark"):
        path = panel_run.shots[name]
        assert path.is_file() and path.stat().st_size > 1000, path


# -- Voila -------------------------------------------------------------------------------------------


def test_voila_shows_the_panel_with_the_stored_secrets(voila_run: VoilaRun) -> None:
    assert "first" in voila_run.text and "second" in voila_run.text, voila_run.text
    assert voila_run.shot is not None and voila_run.shot.is_file()


def test_voila_log_holds_no_value(voila_run: VoilaRun) -> None:
    assert voila_run.log, "the voila log is empty"
    _assert_no_value(voila_run.log, "voila's log")
