"""The widget panel: choose, order, create and load secrets with the mouse.

A third face of the same core as `%secret` and `nbsecrets`: creating goes
through `parse_write` and `create_secret`/`update_secret` (the values typed
into the form answer the core's prompts), loading through `parse_sources`
and `environment.load`, deleting through `delete_secret`; every line shown is
from `texts`. Standard ipywidgets only, so it works wherever widgets render
(JupyterLab, Notebook 7, VS Code, Voila).

No value stays in a widget once an action is done: every value field is
emptied and the upload reset, whether the action worked or not, so a
notebook saved with its widget state holds none. Widget state the kernel
sends is masked as well; that is the second line of defence, not the first.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Iterable

import ipywidgets as w

from ...core import environment
from ...core.assignments import TEMPLATES, Suppliers, create_secret, parse_write, update_secret
from ...core.deletion import delete_secret
from ...core.dotenv_file import decode_text, parse_dotenv_text
from ...core.errors import DotenvError, NbSecretsError
from ...core.masking import get_masker
from ...core.secret import Secret
from ...core.source_spec import parse_sources
from ...core.store import get_store
from ...core.rules import check_key, check_name
from ...core.store.base import LOCAL, SecretInfo, one_store, reference, split_reference
from ...core.store.kinds import configured_stores
from .. import texts

PAGE = 50
"""Rows shown at once; the filter narrows a larger vault (1,000 rows of widgets would be slow to draw)."""
COLUMNS = "28px minmax(120px, max-content) minmax(160px, max-content) max-content"
KEY_COLUMNS = "minmax(140px, 1fr) minmax(200px, 1.5fr) max-content 36px"
PRE = "margin:0;white-space:pre-wrap;font-family:var(--jp-code-font-family, monospace);font-size:var(--jp-code-font-size, 13px)"
NO_TEMPLATE = "(none)"


def _close(widgets: Iterable[w.Widget]) -> None:
    """Close widgets taken off the page (and their layouts and styles): the kernel and the
    front end would otherwise keep every row of every earlier listing."""
    for widget in widgets:
        for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
            if isinstance(part, w.Widget):
                part.close()
        widget.close()


def _heading(text: str) -> w.HTML:
    return w.HTML(f"<b>{html.escape(text)}</b>", layout=w.Layout(margin="10px 12px 2px 0"))


def _label(text: str, *, bold: bool = False) -> w.HTML:
    inner = f"<b>{html.escape(text)}</b>" if bold else html.escape(text)
    return w.HTML(f"<span title='{html.escape(text)}'>{inner}</span>", layout=w.Layout(overflow="hidden"))


class _KeyRow:
    """One key of the new-secret form: its name, its value (hidden unless a setting), and its flag."""

    def __init__(self, on_remove: Callable[["_KeyRow"], None], key: str = "", setting: bool = False) -> None:
        self.key = w.Text(value=key, placeholder="KEY", layout=w.Layout(width="auto"))
        self.secret_value = w.Password(placeholder="value (hidden)", layout=w.Layout(width="auto"))
        self.setting_value = w.Text(placeholder="value (shown: a setting)", layout=w.Layout(width="auto"))
        self.setting = w.Checkbox(value=setting, description="setting", indent=False, layout=w.Layout(width="auto"))
        self.remove = w.Button(icon="times", tooltip="remove this key", layout=w.Layout(width="32px"))
        self.remove.on_click(lambda _: on_remove(self))
        self.setting.observe(lambda _: self._show_value_field(), names="value")
        for field in (self.secret_value, self.setting_value):
            field.layout.width = "100%"
        self.value_box = w.Box([self.secret_value, self.setting_value], layout=w.Layout(width="100%"))
        self._show_value_field()

    def _show_value_field(self) -> None:
        self.secret_value.layout.display = "none" if self.setting.value else None
        self.setting_value.layout.display = None if self.setting.value else "none"

    @property
    def value(self) -> str:
        return self.setting_value.value if self.setting.value else self.secret_value.value

    def widgets(self) -> list[w.Widget]:
        return [self.key, self.value_box, self.setting, self.remove]

    def forget_value(self) -> None:
        self.secret_value.value = ""
        self.setting_value.value = ""

    def close(self) -> None:
        self.forget_value()
        _close([self.key, self.secret_value, self.setting_value, self.setting, self.remove, self.value_box])


class SecretsPanel:
    """The panel; display it (or `.widget`). Its parts are attributes, so tests can drive them."""

    def __init__(self, *, page: int = PAGE) -> None:
        self.page = page
        self.filter = w.Text(placeholder="filter by name or key", layout=w.Layout(width="220px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", tooltip="show changes made elsewhere")
        self.listing = w.GridBox(layout=w.Layout(grid_template_columns=COLUMNS, grid_gap="0 16px", align_items="center", justify_content="flex-start"))
        self.more = w.HTML()
        self.checks: dict[str, w.Checkbox] = {}
        self.order = w.Select(options=[], rows=4, layout=w.Layout(width="260px"))
        self.up_button = w.Button(icon="arrow-up", tooltip="earlier (loses to later ones)", layout=w.Layout(width="36px"))
        self.down_button = w.Button(icon="arrow-down", tooltip="later (wins over earlier ones)", layout=w.Layout(width="36px"))
        self.load_button = w.Button(description="Load", button_style="primary", icon="play", tooltip="load the selection, in order")
        self.unload_button = w.Button(description="Unload", icon="undo", tooltip="put the environment back")
        self.delete_button = w.Button(description="Delete…", button_style="danger", icon="trash", tooltip="delete the checked secrets")
        self.confirm_text = w.HTML()
        self.confirm_button = w.Button(description="Delete", button_style="danger")
        self.cancel_button = w.Button(description="Cancel")
        self.confirm_box = w.HBox([self.confirm_text, self.confirm_button, self.cancel_button], layout=w.Layout(display="none"))
        self.message = w.HTML()
        self.status = w.HTML()

        self.name = w.Text(placeholder="secret name, e.g. openai", layout=w.Layout(width="220px"))
        stores, _ = _store_names()
        self.store = w.Dropdown(options=stores, value=stores[0], layout=w.Layout(width="120px", display=None if len(stores) > 1 else "none"))
        self.template = w.Dropdown(options=[NO_TEMPLATE, *sorted(TEMPLATES)], value=NO_TEMPLATE, description="template", layout=w.Layout(width="230px"))
        self.rows: list[_KeyRow] = []
        self.rows_box = w.GridBox(layout=w.Layout(grid_template_columns=KEY_COLUMNS, grid_gap="2px 8px", align_items="center", max_width="680px"))
        self.add_key_button = w.Button(description="Add key", icon="plus")
        self.create_button = w.Button(description="Create", button_style="primary", icon="check")
        self.update_button = w.Button(description="Update", icon="pencil", tooltip="merge these keys into an existing secret")
        self.upload = w.FileUpload(accept=".env,text/plain", multiple=False, description="Upload .env", tooltip="choose a .env file; its contents are never shown")
        self.create_from_file_button = w.Button(description="Create from file", tooltip="a secret named above, from the uploaded .env")
        self.load_file_button = w.Button(description="Load file", tooltip="load the uploaded .env without storing it")

        self.refresh_button.on_click(lambda _: self._act(self.refresh))
        self.filter.observe(lambda _: self._act(self._draw_listing, forget=False), names="value")
        self.up_button.on_click(lambda _: self._act(lambda: self._move(-1), forget=False))
        self.down_button.on_click(lambda _: self._act(lambda: self._move(1), forget=False))
        self.load_button.on_click(lambda _: self._act(self.load))
        self.unload_button.on_click(lambda _: self._act(self.unload))
        self.delete_button.on_click(lambda _: self._act(self._ask_delete))
        self.confirm_button.on_click(lambda _: self._act(self.delete_checked))
        self.cancel_button.on_click(lambda _: self._act(self._cancel_delete))
        self.template.observe(lambda _: self._act(self._apply_template, forget=False), names="value")
        self.add_key_button.on_click(lambda _: self._act(self._add_row, forget=False))
        self.create_button.on_click(lambda _: self._act(lambda: self.write("create")))
        self.update_button.on_click(lambda _: self._act(lambda: self.write("update")))
        self.create_from_file_button.on_click(lambda _: self._act(self.create_from_upload))
        self.load_file_button.on_click(lambda _: self._act(self.load_upload))

        header = w.HBox(
            [_heading("Secrets"), self.filter, self.refresh_button, w.HBox(layout=w.Layout(flex="1")), self.delete_button],
            layout=w.Layout(align_items="center", max_width="680px"),
        )
        selection = w.HBox(
            [w.VBox([w.HTML(texts.PANEL_ORDER_HINT), self.order]), w.VBox([self.up_button, self.down_button]),
             w.VBox([self.load_button, self.unload_button])],
            layout=w.Layout(align_items="flex-end", margin="8px 0 0 0"),
        )
        form = w.VBox([
            _heading("New secret"),
            w.HBox([self.name, self.store, self.template]),
            self.rows_box,
            w.HBox([self.add_key_button, self.create_button, self.update_button]),
            w.HBox([self.upload, self.create_from_file_button, self.load_file_button]),
        ])
        self.widget = w.VBox(
            [header, self.listing, self.more, selection, self.confirm_box, self.message,
             _heading("Loaded"), self.status, form],
            layout=w.Layout(max_width="900px"),
        )
        self.widget.add_class("nbsecrets-panel")
        self._infos: dict[str, SecretInfo] = {}
        self._add_row()
        self._act(self.refresh, forget=False)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- the list and the selection ------------------------------------------------

    def refresh(self) -> None:
        """Read every configured store again (a change made by the CLI or another kernel shows)."""
        infos: dict[str, SecretInfo] = {}
        names, problem = _store_names()
        failed: list[str] = [problem] if problem else []
        for name in names:
            try:
                listed = get_store(name).list()
            except NbSecretsError as exc:  # one store that cannot be read hides no other
                failed.append(str(exc))
                continue
            infos.update((info.reference, info) for info in listed)
        self._infos = infos
        self.order.options = [ref for ref in self.order.options if ref in infos]
        self._draw_listing()
        self._show_status()
        if failed:
            raise NbSecretsError(" ".join(failed))

    def _draw_listing(self) -> None:
        words = self.filter.value.strip().lower().split()
        matching = [info for info in self._infos.values() if all(self._matches(info, word) for word in words)]
        shown = matching[: self.page]
        children: list[w.Widget] = [_label(""), *(_label(title, bold=True) for title in texts.PANEL_COLUMNS)]
        store = None
        grouped = len({info.store for info in self._infos.values()} | set(self.store.options)) > 1
        selected = set(self.order.options)
        self.checks = {}
        for info in shown:
            if info.store != store and grouped:
                store = info.store
                group = w.HTML(f"<i>{html.escape(texts.panel_store_heading(store))}</i>", layout=w.Layout(grid_column="1 / -1"))
                children.append(group)
            check = w.Checkbox(value=info.reference in selected, indent=False, layout=w.Layout(width="24px"))
            check.observe(
                lambda change, ref=info.reference: self._act(lambda: self._check(ref, change["new"]), forget=False), names="value"
            )
            self.checks[info.reference] = check
            children += [check, _label(info.reference), _label(texts.panel_keys(info)), _label(texts.local_time(info.updated_at))]
        replaced = self.listing.children
        self.listing.children = children
        _close(replaced)
        if not self._infos:
            self.more.value = html.escape(texts.no_secrets(texts.MAGIC))
        elif len(matching) > len(shown):
            self.more.value = html.escape(texts.panel_more(len(matching) - len(shown)))
        elif not matching:
            self.more.value = html.escape(texts.PANEL_NO_MATCH)
        else:
            self.more.value = ""

    @staticmethod
    def _matches(info: SecretInfo, word: str) -> bool:
        return word in info.reference.lower() or any(word in key.lower() for key in info.keys)

    def _check(self, reference: str, checked: bool) -> None:
        order = [ref for ref in self.order.options if ref != reference]
        self.order.options = [*order, reference] if checked else order

    def select(self, references: Iterable[str]) -> None:
        """Check these secrets, in this order (what clicking their boxes one by one does)."""
        for reference in references:
            if reference in self.checks:
                self.checks[reference].value = True
            else:
                self._check(reference, True)

    def _move(self, step: int) -> None:
        chosen = self.order.value
        order = list(self.order.options)
        if chosen is None or chosen not in order:
            return
        at = order.index(chosen)
        to = min(max(at + step, 0), len(order) - 1)
        order.insert(to, order.pop(at))
        self.order.options = order
        self.order.value = chosen

    # -- loading --------------------------------------------------------------------

    def load(self) -> None:
        """Load the selection in the order shown, the later winning: `%secret load A B`."""
        if not self.order.options:
            self._say(texts.PANEL_NOTHING_SELECTED)
            return
        report = environment.load(*parse_sources(list(self.order.options)))
        self._say(texts.panel_loaded(report))
        self._show_status()

    def unload(self) -> None:
        self._say(texts.unloaded(environment.unload()))
        self._show_status()

    def _show_status(self) -> None:
        self.status.value = f"<pre style='{PRE}'>{html.escape(texts.status(environment.status(), texts.MAGIC))}</pre>"

    # -- writing ----------------------------------------------------------------------

    def _add_row(self, key: str = "", setting: bool = False) -> _KeyRow:
        row = _KeyRow(self._remove_row, key, setting)
        self.rows.append(row)
        self._draw_rows()
        return row

    def _remove_row(self, row: _KeyRow) -> None:
        self.rows.remove(row)
        self._draw_rows()
        row.close()

    def _draw_rows(self) -> None:
        self.rows_box.children = [part for row in self.rows for part in row.widgets()]

    def _apply_template(self) -> None:
        """A template's keys as rows (its settings marked), kept beside keys already typed."""
        if self.template.value == NO_TEMPLATE:
            return
        chosen = TEMPLATES[self.template.value]
        have = {row.key.value.strip() for row in self.rows}
        empty = [row for row in self.rows if not (row.key.value.strip() or row.value)]
        self.rows = [row for row in self.rows if row not in empty]
        for key in chosen.keys:
            if key not in have:
                self._add_row(key, key in chosen.settings)
        self._draw_rows()
        for row in empty:
            row.close()

    def write(self, command: str) -> None:
        """Create or update (merge) the secret named in the form: `%secret create NAME KEY...`,
        the values typed here answering the core's prompts."""
        rows = [row for row in self.rows if row.key.value.strip()]
        values = {check_key(row.key.value.strip()): row.value for row in rows}
        words = [self._reference(), *values]
        settings = [row.key.value.strip() for row in rows if row.setting.value]
        secrets = [row.key.value.strip() for row in rows if not row.setting.value]
        if settings:
            words += ["--setting", ",".join(settings)]
        if command == "update" and secrets:
            words += ["--secret", ",".join(secrets)]
        request = parse_write(command, words)
        act = create_secret if command == "create" else update_secret
        outcome = act(request, Suppliers(ask=values.__getitem__))
        self._say(texts.written(outcome, command))
        self._clear_form()
        self.refresh()

    def _clear_form(self) -> None:
        """After a secret is written the form starts afresh, so the next one does not inherit its keys."""
        self.name.value = ""
        old, self.rows = self.rows, []
        self.template.value = NO_TEMPLATE
        self._add_row()
        for row in old:
            row.close()

    def _reference(self) -> str:
        """The name field as `[STORE:]NAME`, checked: a field holds a name, never command words (`--force`)."""
        named, name = split_reference(self.name.value.strip())
        try:
            check_name(name)
        except NbSecretsError:
            self.name.value = ""  # it may be a value pasted into the wrong field
            raise
        store = one_store(named, None if self.store.value in (None, LOCAL) else self.store.value)
        return reference(store or LOCAL, name)

    def _uploaded(self) -> tuple[str, dict[str, str]]:
        files = self.upload.value
        if not files:
            raise NbSecretsError(texts.PANEL_NO_UPLOAD)
        upload = files[0]
        text = decode_text(bytes(upload["content"]), upload["name"], DotenvError)
        return upload["name"], parse_dotenv_text(text, upload["name"])

    def create_from_upload(self) -> None:
        """A stored secret from the uploaded .env: `%secret create NAME --from-dotenv FILE`."""
        _, env = self._uploaded()
        outcome = create_secret(parse_write("create", [self._reference(), *env]), Suppliers(ask=env.__getitem__))
        self._say(texts.written(outcome, "create"))
        self._clear_form()
        self.refresh()

    def load_upload(self) -> None:
        """The uploaded .env loaded as it is, without storing it: `%secret load --dotenv FILE`."""
        filename, env = self._uploaded()
        secret = Secret("dotenv", f"upload:{filename}", lambda: env, keys=env)
        self._say(texts.panel_loaded(environment.load(secret)))
        self._show_status()

    # -- deleting ---------------------------------------------------------------------

    def _checked(self) -> list[str]:
        return [ref for ref, check in self.checks.items() if check.value]

    def _ask_delete(self) -> None:
        checked = self._checked()
        if not checked:
            self._say(texts.PANEL_NOTHING_CHECKED)
            return
        self.confirm_text.value = html.escape(texts.panel_delete_question([self._infos[ref] for ref in checked]))
        self.confirm_box.layout.display = None

    def _cancel_delete(self) -> None:
        self.confirm_box.layout.display = "none"
        self._say(texts.NOT_DELETED)

    def delete_checked(self) -> None:
        """Delete the checked secrets (after the question in the panel was answered)."""
        self.confirm_box.layout.display = "none"
        said, failed = [], []
        for ref in self._checked():
            info = self._infos[ref]
            try:
                said.append(texts.deleted(delete_secret(get_store(info.store), info.name), ref))
            except NbSecretsError as exc:  # gone meanwhile, or its store cannot be reached
                failed.append(str(exc))
        try:
            self.refresh()
        finally:
            if failed:
                raise NbSecretsError(" ".join([*said, *failed]))
            self._say(" ".join(said))

    # -- every action -----------------------------------------------------------------

    def _act(self, action: Callable[[], None], *, forget: bool = True) -> None:
        """Run one action; an error becomes one line in the panel. A button's action, done or
        failed, leaves no value in any widget; choosing, ordering and filling the form keep them."""
        try:
            if forget:
                self.message.value = ""
            action()
        except NbSecretsError as exc:
            self._say(texts.error_line(str(exc)), error=True)
        finally:
            if forget:
                self._forget_values()

    def _forget_values(self) -> None:
        for row in self.rows:
            row.forget_value()
        if self.upload.value:
            self.upload.value = ()

    def _say(self, text: str, *, error: bool = False) -> None:
        masked = get_masker().mask(text)
        color = "var(--jp-error-color1, #c62828)" if error else "var(--jp-content-font-color1, inherit)"
        self.message.value = f"<pre style='{PRE};color:{color}'>{html.escape(masked)}</pre>"


def _store_names() -> tuple[list[str], str | None]:
    """The configured stores' names, and what is wrong with the config file if it cannot be read:
    the local vault is listed whatever the file says."""
    try:
        return list(configured_stores()), None
    except NbSecretsError as exc:
        return [LOCAL], str(exc)
