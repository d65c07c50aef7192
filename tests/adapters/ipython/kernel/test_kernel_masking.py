"""Leak suite: a real ipykernel driven by nbclient prints two fake secrets every way we know.

The same cells also run in a kernel without nbsecrets, which proves each
path really carries the secret there; with nbsecrets, no form of either
secret may appear in the saved .ipynb (outputs, metadata, widget state), in
any message the kernel sent, in the kernel's own stdout/stderr (the server
log), or in IPython's history.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from kernel_run import (
    NotebookRun,
    find_leaks,
    joined_streams,
    longest_common_run,
    output_texts,
    strings_in,
)
from leak_notebook import KEY, NO_SECRET, SECRETS, SHORT

# Each marker wraps one secret; the value is its key name. P26 is checked on its own (a display
# splits its stream on purpose), as is P28 (the cell ends holding the start of the secret).
KEY_MARKERS = "P1 P2 P3 P4 P5 P6 P7 P8 P9 P11 P12 P13 P14 P15 P16 P17 P18 P19 P20 P21 P22a P24 P25".split()
PW_MARKERS = "P8e P10 P22b P22c P22d P22e P22f P23".split()
MARKERS = {**dict.fromkeys(KEY_MARKERS, "OPENAI_API_KEY"), **dict.fromkeys(PW_MARKERS, "DB_PASSWORD")}
FD_MARKERS = ["P6", "P7", "P8", "P8e", "P9", "P19"]
# With quiet=False the kernel echoes Python-level output to its log as well.
ECHO_MARKERS = ["P1", "P2", "P3", "P5", "P18", "P22a", "P22b", "P23", "P25"]


def middles(texts: list[str], marker: str) -> list[str]:
    pattern = re.compile(rf"@@{marker} (.*?) {marker}@@", re.S)
    return [m.group(1) for text in texts for m in pattern.finditer(text)]


def everything(run: NotebookRun) -> list[str]:
    texts = [run.ipynb, run.log]
    texts += list(strings_in(run.nb))
    texts += joined_streams(run.nb)
    texts += [json.dumps(m, default=str) for m in run.messages]
    texts += [json.dumps(r["reply"], default=str) for r in run.replies]
    return texts


# -- nothing leaks -------------------------------------------------------------------------------


def test_saved_notebook_holds_no_form_of_any_secret(masked_run: NotebookRun) -> None:
    texts = [masked_run.ipynb, *strings_in(masked_run.nb), *joined_streams(masked_run.nb)]
    assert find_leaks(texts, SECRETS) == []


def test_no_message_or_reply_the_kernel_sent_holds_a_secret(masked_run: NotebookRun) -> None:
    assert len(masked_run.messages) > 100
    texts = [json.dumps(m, default=str) for m in masked_run.messages]
    texts += [json.dumps(r["reply"], default=str) for r in masked_run.replies]
    assert find_leaks(texts, SECRETS) == []


def test_kernel_log_holds_no_secret_and_the_fd_copies_reached_it_masked(
    masked_run: NotebookRun, plain_run: NotebookRun
) -> None:
    assert find_leaks([masked_run.log], SECRETS) == []
    for marker in FD_MARKERS + ECHO_MARKERS:
        name = MARKERS[marker]
        assert [m for m in middles([masked_run.log], marker) if name in m], marker
        assert find_leaks(middles([plain_run.log], marker), {name: SECRETS[name]}), marker


def test_without_nbsecrets_the_same_notebook_leaks_everywhere(plain_run: NotebookRun) -> None:
    """The suite can fail: with nothing loaded, the secrets are in the file and the log."""
    assert find_leaks(everything(plain_run), SECRETS)
    assert find_leaks([plain_run.log], SECRETS)


# -- every path is masked and the text around it survives ------------------------------------------


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_path_is_masked_with_its_surroundings_intact(
    marker: str, masked_run: NotebookRun, plain_run: NotebookRun
) -> None:
    name = MARKERS[marker]
    secret = SECRETS[name]
    plain = middles(output_texts(plain_run) + [plain_run.log], marker)
    assert find_leaks(plain, {name: secret}), f"{marker} never carried the secret without nbsecrets"

    masked = middles(output_texts(masked_run) + [masked_run.log], marker)
    assert masked, f"{marker}'s surrounding text did not survive"
    assert any(name in middle for middle in masked), masked
    assert find_leaks(masked, SECRETS) == []
    for middle in masked:
        if name in middle:
            # Not even a piece: at most 3 characters in a row (a held prefix that short is released as is).
            assert longest_common_run(middle.replace(f"[masked:{name}]", ""), secret) < 4


def test_split_stream_is_released_masked_before_a_display_of_the_same_cell(masked_run: NotebookRun) -> None:
    outputs = masked_run.cell("p26").outputs
    kinds = [o["output_type"] for o in outputs]
    display_at = kinds.index("display_data")
    before = "".join(o["text"] for o in outputs[:display_at] if o["output_type"] == "stream")
    after = "".join(o["text"] for o in outputs[display_at + 1 :] if o["output_type"] == "stream")
    assert before.startswith("@@P26 ")
    assert before.endswith("[masked:OPENAI_API_KEY]")
    assert after == " P26@@\n"


def test_pause_longer_than_the_deadline_does_not_lose_or_leak_output(masked_run: NotebookRun) -> None:
    outputs = masked_run.cell("p18").outputs
    text = "".join(o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stdout")
    assert text == "@@P18 [masked:OPENAI_API_KEY] P18@@\n"
    # The held start of the secret went out (masked) while the cell was still asleep.
    (resumed_text,) = [o["text"] for o in outputs if o.get("name") == "stderr"]
    resumed = datetime.fromtimestamp(float(resumed_text.split()[1]), tz=timezone.utc)
    parent = masked_run.cell_msg_id("p18")
    (release,) = [
        m
        for m in masked_run.messages
        if m["msg_type"] == "stream"
        and m["parent_header"].get("msg_id") == parent
        and m["content"]["text"] == "[masked:OPENAI_API_KEY]"
    ]
    assert release["header"]["date"] < resumed


def test_held_text_at_the_end_of_a_cell_comes_out_before_idle(masked_run: NotebookRun) -> None:
    outputs = masked_run.cell("p28").outputs
    assert (
        "".join(o["text"] for o in outputs if o["output_type"] == "stream") == "@@P28 [masked:OPENAI_API_KEY]"
    )


def test_pager_payload_is_masked(masked_run: NotebookRun) -> None:
    payload = masked_run.reply("p20b")["content"]["payload"]
    page = payload[0]["data"]["text/plain"]
    assert "@@P20 [masked:OPENAI_API_KEY] P20@@" in page


def test_widget_state_saved_in_metadata_is_masked(masked_run: NotebookRun) -> None:
    state = masked_run.nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    values = {m["model_name"]: m["state"].get("value") for m in state.values() if "value" in m["state"]}
    assert values["PasswordModel"] == "[masked:OPENAI_API_KEY]"
    assert values["TextModel"] == "@@P21 [masked:OPENAI_API_KEY] P21@@"


def test_error_and_traceback_are_masked(masked_run: NotebookRun) -> None:
    (error,) = [o for o in masked_run.cell("p17").outputs if o["output_type"] == "error"]
    assert error["evalue"] == "@@P17 [masked:OPENAI_API_KEY] P17@@"
    assert any("[masked:OPENAI_API_KEY]" in line for line in error["traceback"])
    reply = masked_run.reply("p17")["content"]
    assert reply["status"] == "error" and "[masked:OPENAI_API_KEY]" in reply["evalue"]


def test_short_key_notice_names_the_key_once_and_never_the_value(masked_run: NotebookRun) -> None:
    stderr = [o["text"] for o in masked_run.cell("register").outputs if o.get("name") == "stderr"]
    assert len(stderr) == 1 and "TINY_KEY" in stderr[0] and SHORT not in stderr[0]
    cells = [c for c in masked_run.nb.cells if "TINY_KEY" in json.dumps(c.get("outputs", []))]
    assert len(cells) == 1


# -- history ---------------------------------------------------------------------------------------


def test_history_in_memory_on_disk_and_exported_holds_masked_text(
    masked_run: NotebookRun, kernel_workdir: Path
) -> None:
    reprs = (kernel_workdir / "output_hist_reprs.json").read_text()
    assert "@@P16 [masked:OPENAI_API_KEY] P16@@" in reprs
    with sqlite3.connect(kernel_workdir / "masked.history.sqlite") as db:
        outputs = [row[0] for row in db.execute("SELECT output FROM output_history")]
    assert any("@@P16 [masked:OPENAI_API_KEY] P16@@" in o for o in outputs)
    exported = (kernel_workdir / "exported.ipynb").read_text()
    assert find_leaks([reprs, *outputs, exported], SECRETS) == []


# -- nothing changes when there is nothing to mask -------------------------------------------------


def _outputs(run: NotebookRun, tag: str) -> tuple:
    """A cell's outputs as a frontend saves them: adjacent stream messages of one
    stream joined (how a flushed print splits into messages depends on timing)."""
    cell = run.cell(tag)
    joined: list[dict] = []
    for output in cell.outputs:
        previous = joined[-1] if joined else None
        if (
            output["output_type"] == "stream"
            and previous is not None
            and previous["output_type"] == "stream"
            and previous["name"] == output["name"]
        ):
            joined[-1] = {**previous, "text": previous["text"] + output["text"]}
        else:
            joined.append(dict(output))
    return cell.get("execution_count"), json.dumps(joined, sort_keys=True)


@pytest.mark.parametrize("index", range(1, len(NO_SECRET) + 1))
def test_output_without_secrets_is_byte_for_byte_the_same(
    index: int, masked_run: NotebookRun, plain_run: NotebookRun
) -> None:
    assert _outputs(masked_run, f"n{index}") == _outputs(plain_run, f"n{index}")


@pytest.mark.parametrize("index", range(1, len(NO_SECRET) + 1))
def test_output_without_secrets_is_unchanged_while_secrets_are_registered(
    index: int, masked_run: NotebookRun, plain_run: NotebookRun
) -> None:
    def normalized(tag: str, run: NotebookRun) -> str:
        text = re.sub(r"In\[\d+\]", "In[N]", _outputs(run, tag)[1])
        return re.sub(r'"execution_count": \d+', '"execution_count": N', text)

    assert normalized(f"m{index}", masked_run) == normalized(f"n{index}", plain_run)


# -- unload ------------------------------------------------------------------------------------------


def test_unload_leaves_the_kernel_as_it_found_it(masked_run: NotebookRun) -> None:
    (out,) = [o for o in masked_run.cell("unload-check").outputs if o["output_type"] == "stream"]
    checks = json.loads(out["text"])
    touched = {"stdout", "echo", "session_send_patched", "displayhook_log_output_patched", "fds", "events"}
    assert touched | {"nbsecrets_threads"} <= set(checks)
    assert {k: v for k, v in checks.items() if v is not True} == {}


def test_secret_values_are_not_in_the_cell_sources(masked_run: NotebookRun, plain_run: NotebookRun) -> None:
    """Keeps the scans of whole files honest: only what the kernel wrote can put a secret there."""
    sources = "\n".join(cell.source for run in (masked_run, plain_run) for cell in run.nb.cells)
    assert "@@P1 " in sources
    assert find_leaks([sources], SECRETS) == []


def test_without_fd_capture_the_server_log_is_masked_too(no_capture_run: NotebookRun) -> None:
    log = no_capture_run.log
    for n in (1, 2, 3):
        assert KEY in middles([log], f"C{n}"), f"C{n} did not reach the log before loading"
        assert middles([log], f"Q{n}") == ["[masked:OPENAI_API_KEY]"], f"Q{n}"
    after_load = log[log.index("@@Q") :]
    assert find_leaks([after_load], SECRETS) == []
    (check,) = [o["text"] for o in no_capture_run.cell("unload-check").outputs]
    assert check == "True []\n"
