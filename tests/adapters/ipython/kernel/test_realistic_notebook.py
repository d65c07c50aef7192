"""A realistic notebook looks the same with nbsecrets as without, except where a secret was printed.

The notebook of ``realistic_cells`` (settings and secrets from a dict, pandas
tables, logging, HTML, Markdown, widgets, a traceback, shell commands, URLs
built from the settings) runs twice: in a kernel with nbsecrets, where the
Postgres settings are loaded as settings and the password and API key as
secrets, and in a plain kernel with the same values in os.environ. Cell by
cell the outputs must be equal once what legitimately differs between two
runs is normalised (object addresses, timestamps, execution counts, model
ids, the kernel's own paths) and each secret in the plain run's output is
replaced by its mask. Settings are never masked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from kernel_run import find_leaks, joined_streams, leak_forms, output_texts, strings_in
from realistic_cells import (
    NBSECRETS_ONLY,
    SECRET_CELLS,
    SECRETS,
    SETTINGS,
    SHARED,
    URL,
    GuardedRun,
    realistic_cells,
    run_guarded,
    stream_segments,
)

SHARED_TAGS = [tag for tag, _ in SHARED]


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("realistic")
    return {"masked": root / "masked", "plain": root / "plain"}


@pytest.fixture(scope="module")
def masked(workdirs: dict[str, Path]) -> GuardedRun:
    return run_guarded(realistic_cells(True), workdirs["masked"], "masked")


@pytest.fixture(scope="module")
def plain(workdirs: dict[str, Path]) -> GuardedRun:
    return run_guarded(realistic_cells(False), workdirs["plain"], "plain")


# -- normalising ------------------------------------------------------------------------------------

_RULES = [
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "<ID>"),  # widget model ids
    (re.compile(r"0x[0-9a-fA-F]+"), "0xADDR"),  # object addresses
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"), "<TIME>"),  # logging's asctime
    (re.compile(r"/tmp/ipykernel_\d+/\d+\.py"), "<CELL FILE>"),  # where warnings point in a kernel
    (re.compile(r"In\s*\[\d+\]"), "In[N]"),  # tracebacks name the cell by its execution count
    (re.compile(r'"execution_count": \d+'), '"execution_count": N'),
]


def _masked_form(text: str) -> str:
    """The plain run's text with every form of every secret replaced by its mask."""
    forms = [(form, name) for name, value in SECRETS.items() for form in leak_forms(value)]
    forms.sort(key=lambda pair: -len(pair[0]))
    for form, name in forms:
        text = text.replace(form, f"[masked:{name}]")
    return text


def normalised(run: GuardedRun, workdir: Path, obj: object, *, plain: bool, loose: bool) -> str:
    text = json.dumps(obj, sort_keys=True, indent=1)
    text = text.replace(str(workdir), "<WORKDIR>")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    if plain:
        text = _masked_form(text)
    if loose:
        # A mask is not as long as the secret: columns of a text table around it shift.
        text = re.sub(r"(?: |\\u00a0)+", " ", text)
    return text


def widget_states(run: GuardedRun) -> list:
    state = run.nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return sorted((m["model_name"], m["state"]) for m in state.values())


# -- the runs ------------------------------------------------------------------------------------------


def test_both_runs_finished_and_only_the_traceback_cell_failed(masked: GuardedRun, plain: GuardedRun) -> None:
    for run in (masked, plain):
        assert run.stopped is None
        failed = [
            c.metadata["tags"][0] for c in run.nb.cells if any(o["output_type"] == "error" for o in c.outputs)
        ]
        assert failed == ["traceback"]


def test_settings_and_secrets_were_loaded_and_reported_by_name(masked: GuardedRun) -> None:
    setup = masked.ran("setup").outputs
    assert masked.errors("setup") == []
    # Settings are not registered, so nothing reports 5432 as too short to mask.
    assert not [o for o in setup if "PGPORT" in o.get("text", "")]
    status = "".join(o.get("text", "") for o in masked.ran("ns-status").outputs)
    for key in [*SETTINGS, *SECRETS]:
        assert key in status
    assert "[masked:" not in status


def test_templates_output_is_not_masked(masked: GuardedRun) -> None:
    """The postgres template shares its name with a setting's value: a setting is never masked."""
    text = "".join(o.get("text", "") for o in masked.ran("ns-templates").outputs)
    assert masked.errors("ns-templates") == []
    for word in ("postgres", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "openai", "OPENAI_API_KEY"):
        assert word in text
    assert "[masked:" not in text


def test_settings_and_urls_built_from_them_appear_unmasked(masked: GuardedRun) -> None:
    def stdout(tag: str) -> str:
        return "".join(o["text"] for o in masked.ran(tag).outputs if o.get("name") == "stdout")

    assert stdout("settings") == "".join(f"{k}={v}\n" for k, v in SETTINGS.items()) + URL + "\n"
    # `!cmd` runs under a pseudo-terminal: its lines end in \r\n.
    assert stdout("shell") == "localhost\r\npostgres@localhost:5432/analytics\r\n"
    assert stdout("subprocess") == "localhost\n"
    assert "connecting with postgresql://postgres:[masked:PGPASSWORD]@localhost:5432/analytics" in stdout("dsn")
    (html,) = [o for o in masked.ran("html").outputs if o["output_type"] == "display_data"]
    assert "<code>localhost:5432</code>" in html["data"]["text/html"]


# -- cell by cell ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", SHARED_TAGS)
def test_cell_output_is_the_same_as_without_nbsecrets(
    masked: GuardedRun, plain: GuardedRun, workdirs: dict[str, Path], tag: str
) -> None:
    loose = tag in SECRET_CELLS
    expected = normalised(plain, workdirs["plain"], stream_segments(plain.ran(tag).outputs), plain=True, loose=loose)
    actual = normalised(masked, workdirs["masked"], stream_segments(masked.ran(tag).outputs), plain=False, loose=loose)
    assert actual == expected


def test_widget_state_is_the_same_as_without_nbsecrets(
    masked: GuardedRun, plain: GuardedRun, workdirs: dict[str, Path]
) -> None:
    expected = normalised(plain, workdirs["plain"], widget_states(plain), plain=True, loose=False)
    actual = normalised(masked, workdirs["masked"], widget_states(masked), plain=False, loose=False)
    assert actual == expected
    assert "[masked:PGPASSWORD]" in actual and "analytics" in actual and URL in actual


@pytest.mark.parametrize("tag", sorted(SECRET_CELLS))
def test_the_secret_cells_really_print_a_secret(plain: GuardedRun, masked: GuardedRun, tag: str) -> None:
    """Without nbsecrets each of these cells shows a secret; with it, the mask in its place."""
    plain_texts = list(strings_in(plain.ran(tag).outputs))
    masked_text = json.dumps(masked.ran(tag).outputs)
    if tag == "password-widget":  # its value is in the widget state only
        plain_texts.append(json.dumps(widget_states(plain)))
        masked_text = json.dumps(widget_states(masked))
    assert find_leaks(plain_texts, SECRETS)
    assert "[masked:" in masked_text


@pytest.mark.parametrize("tag", [t for t in SHARED_TAGS if t not in SECRET_CELLS])
def test_other_cells_print_no_secret_even_without_nbsecrets(plain: GuardedRun, tag: str) -> None:
    """Keeps the comparison strict: for these cells it compares the two runs as they are."""
    assert find_leaks(list(strings_in(plain.ran(tag).outputs)), SECRETS) == []


def test_nothing_the_nbsecrets_kernel_wrote_holds_a_secret(masked: GuardedRun) -> None:
    texts = [masked.ipynb, masked.log, *output_texts(masked), *joined_streams(masked.nb)]
    texts += [json.dumps(m, default=str) for m in masked.messages]
    assert find_leaks(texts, SECRETS) == []


def test_the_nbsecrets_only_cells_are_the_only_extra_cells(masked: GuardedRun, plain: GuardedRun) -> None:
    tags = [c.metadata["tags"][0] for c in masked.nb.cells]
    assert tags == ["setup", *(t for t, _ in NBSECRETS_ONLY), *SHARED_TAGS]
    assert [c.metadata["tags"][0] for c in plain.nb.cells] == ["setup", *SHARED_TAGS]
