"""Everything nbsecrets says to a person, written once for the CLI, the magics and the panel.

The house rule: one line per message, saying what happened or what failed
and what to do next; never a value, never a path inside nbsecrets or
IPython. A text that suggests a command takes `prog` ("nbsecrets" in a
shell, "%secret" in IPython), so the same operation reads the same
everywhere except for how its commands are spelled.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..core.display import shown, shown_path, shown_words

if TYPE_CHECKING:
    from ..core.assignments import Template, WriteOutcome
    from ..core.deletion import DeleteOutcome
    from ..core.environment import LoadReport
    from ..core.store.base import SecretInfo
    from ..core.store.kinds import StoreReport

PROG = "nbsecrets"
"""How lines from nbsecrets begin (`nbsecrets: error: ...`) and how the CLI is called."""
MAGIC = "%secret"

NONE = "-"
"""What an empty cell shows (a table with a blank column reads as misaligned)."""


# -- lines about problems -------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_line(message: str) -> str:
    return f"{PROG}: error: {one_line(message)}"


def warning_line(message: str) -> str:
    return f"{PROG}: warning: {one_line(message)}"


WITHHELD = "[nbsecrets: output withheld, masking it failed]"
"""What stands in for output that could not be masked: never the output itself."""
NOT_DELETED = "Not deleted."


def cancelled_at(key: str) -> str:
    return f"Cancelled at the prompt for {key}; nothing was stored."


def os_failure(exc: OSError) -> str:
    """An operating-system error (a folder not writable, a disk full) as one line, the file shown from ~."""
    where = f": {shown_path(exc.filename)}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}."


def inline_values(keys: Sequence[str], where: str, alternative: str) -> str:
    """An inline KEY=VALUE leaves the value in a history: say where, and how to avoid it next time.
    `alternative` is the adapter's other way in, written with KEY (e.g. "KEY=- to read it from stdin")."""
    key = keys[0]
    return (
        f"the value of {', '.join(keys)} was typed inline, so it is now in {where}; next time write "
        f"{key} alone to be prompted for it, or {alternative.replace('KEY', key)}."
    )


def value_prompt(key: str) -> str:
    return f"{key}: "


NEW_PASSPHRASE = "New passphrase (hidden): "
REPEAT_PASSPHRASE = "Repeat the new passphrase: "


def nothing_to_rotate(vault: str) -> str:
    return f"No vault at {vault} yet; nothing to rotate."


def rotated(source: str, key_dir: str, *, new_passphrase: bool) -> str:
    if new_passphrase:
        return ("Re-encrypted the vault under a key derived from the new passphrase; the old key was removed. "
                "Set NBSECRETS_PASSPHRASE to the new passphrase from now on.")
    where = {"keyring": "kept in the OS keyring", "passphrase": "derived from NBSECRETS_PASSPHRASE"}
    return (f"Re-encrypted the vault under a new key, {where.get(source, f'kept in a key file in {key_dir}')}; "
            "the old key was removed.")


def delete_question(info: SecretInfo) -> str:
    return f"Delete secret {info.reference!r} (keys: {', '.join(info.keys)})? [y/N] "


def no_answer(name: str, yes: str) -> str:
    return f"Not deleting {name!r}: nobody can answer the question here. Add {yes} to delete without asking."


# -- confirmations ------------------------------------------------------------


def key_list(keys: Iterable[str]) -> str:
    return ", ".join(keys) or NONE


def settings_note(info: SecretInfo) -> str:
    """Which keys are left unmasked, said each time a secret is written, so nobody is surprised later."""
    return f"; settings (not masked): {', '.join(info.settings)}" if info.settings else ""


def written(outcome: "WriteOutcome", command: str) -> str:
    """What create or update did, in one line of key names."""
    info = outcome.info
    if command == "create":
        verb = "Replaced" if outcome.replaced else "Created"
        return f"{verb} secret {info.reference!r} with keys: {key_list(info.keys)}{settings_note(info)}."
    done = f": set {', '.join(outcome.changed)}" if outcome.changed else ""
    return f"Updated secret {info.reference!r}{done}; keys now: {key_list(info.keys)}{settings_note(info)}."


def deleted(outcome: "DeleteOutcome", reference: str) -> str:
    if outcome.result == "deleted" and outcome.versions_kept:
        return f"Deleted secret {reference!r}; its versions are kept, and `bao kv undelete` can bring it back."
    if outcome.result == "deleted":
        return f"Deleted secret {reference!r}."
    if outcome.result == "declined":
        return NOT_DELETED
    return f"No secret named {reference!r}; nothing deleted."


def no_secrets(prog: str, store: str | None = None) -> str:
    local = store in (None, "local")
    where = "" if local else f" in store {store!r}"
    return f"No secrets yet{where}. Create one with: {prog} create {'' if local else f'{store}:'}NAME KEY"


def loaded(report: "LoadReport") -> str:
    count = len(report)
    return f"Loaded {count} key{'s' if count != 1 else ''}:\n{report}"


def unloaded(changed: Sequence[str]) -> str:
    return f"Restored {', '.join(changed)}." if changed else "Nothing was loaded."


def status(report: "LoadReport", prog: str) -> str:
    return str(report) if report else f"Nothing loaded. Use: {prog} load SOURCE..."


def not_loaded(unknown: Sequence[str], known: Sequence[str]) -> str:
    return f"Not loaded: {', '.join(shown_words(unknown))}. Loaded sources: {', '.join(known) if known else 'none'}."


def masked(label: str, will_mask: bool, min_length: int, *, literal: bool, source: str) -> str:
    """What `%secret mask` did: honest about values too short to mask, and about a value typed in
    (`source` says where it now is: "this cell's source", "IPython's history")."""
    if not will_mask:
        return (
            f"Not masked: {label} is shorter than {min_length} characters, the shortest value masked. "
            "nbsecrets.configure_masking(min_length=...) lowers that limit."
        )
    if literal:
        return f"Masked in all output from now on. The value itself is in {source}, as typed."
    return f"The value of {label} is now masked in all output."


def unknown_command(word: str, suggestions: Sequence[str], help_command: str) -> str:
    """A KEY=VALUE typed where the command goes comes back as `KEY=...`."""
    hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
    return f"Unknown command {shown(word)!r}.{hint} See: {help_command}"


# -- the panel ----------------------------------------------------------------

PANEL_COLUMNS = ("SECRET", "KEYS", "UPDATED")
PANEL_ORDER_HINT = "Load order (the later wins):"
PANEL_NO_MATCH = "No secret matches the filter."
PANEL_NOTHING_SELECTED = "Nothing selected: tick the secrets to load first."
PANEL_NOTHING_CHECKED = "Nothing ticked: tick the secrets to delete first."
PANEL_NO_UPLOAD = "No .env file uploaded: choose one with the .env file button first."


def panel_loaded(report: "LoadReport") -> str:
    """The panel shows the status below its buttons: the message says only what happened."""
    count = len(report)
    return f"Loaded {count} key{'s' if count != 1 else ''}, in the order shown (the later wins)."


def panel_store_heading(store: str) -> str:
    return f"store {store}"


def panel_keys(info: SecretInfo) -> str:
    """Key names, settings marked as `%secret status` marks them."""
    return ", ".join(f"{key} (setting)" if key in info.settings else key for key in info.keys)


def panel_more(hidden: int) -> str:
    return f"{hidden} more not shown: narrow the filter."


def panel_delete_question(infos: Sequence[SecretInfo]) -> str:
    names = ", ".join(repr(info.reference) for info in infos)
    return f"Delete {names}? This cannot be undone."


# -- layouts ------------------------------------------------------------------


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns two spaces apart, no trailing blanks."""
    lines = [list(header), *map(list, rows)]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in lines)


def secrets_table(infos: Iterable[SecretInfo]) -> str:
    """NAME, KEYS, SETTINGS, UPDATED: what can be said of secrets without their values.

    Keys are listed whole and the settings among them again: the same shape
    as the JSON (`keys`, `settings`).
    """
    rows = [(info.name, key_list(info.keys), key_list(info.settings), local_time(info.updated_at)) for info in infos]
    return table(rows, ("NAME", "KEYS", "SETTINGS", "UPDATED"))


def secret_details(info: SecretInfo) -> str:
    """`show`: keys and which are settings. It claims nothing about masking a secret's value: one
    shorter than `min_length` is not masked, and `show` does not read values to know."""
    fields = [
        ("Name", info.name),
        ("Store", info.store),
        ("Keys", key_list(info.keys)),
        ("Secrets", key_list(info.secrets)),
        ("Settings", key_list(info.settings) + ("  (not masked)" if info.settings else "")),
        ("Created", local_time(info.created_at)),
        ("Updated", local_time(info.updated_at)),
        *((label.capitalize(), value) for label, value in info.details),
    ]
    width = max(10, *(len(label) + 2 for label, _ in fields))
    return "\n".join(f"{label + ':':<{width}}{value}" for label, value in fields)


def stores_table(reports: Iterable["StoreReport"]) -> str:
    """`stores`: STORE, KIND, WHERE, ANSWERS and what each said (never a token)."""
    rows = [(r.name, r.kind, r.where, "yes" if r.answers else "no", one_line(r.detail)) for r in reports]
    return table(rows, ("STORE", "KIND", "WHERE", "ANSWERS", "DETAIL"))


def templates_table(templates: Mapping[str, Template] | None = None) -> str:
    """TEMPLATE, KEYS (in prompt order), SETTINGS: what `--template` creates and leaves unmasked
    (every template the core knows by default)."""
    if templates is None:
        from ..core.assignments import TEMPLATES

        templates = TEMPLATES
    rows = [(name, key_list(t.keys), key_list(t.settings)) for name, t in sorted(templates.items())]
    return table(rows, ("TEMPLATE", "KEYS", "SETTINGS"))


def json_text(data: Any) -> str:
    """`list --json` and `show --json`, indented alike in a shell and in a notebook."""
    return json.dumps(data, indent=2)


def info_json(info: SecretInfo) -> dict[str, Any]:
    """The JSON of `list --json` and `show --json` (times in ISO 8601, UTC)."""
    return {
        "name": info.name,
        "store": info.store,
        "keys": list(info.keys),
        "settings": list(info.settings),
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
        **({"details": dict(info.details)} if info.details else {}),
    }
