"""The magics in a real ipykernel, one notebook run through nbclient cell by cell as papermill and
nbconvert run it (a failing cell raises CellExecutionError): failures are error outputs, a failing
`%%with_secrets` body reads like its own cell, warnings are one line, the texts are the CLI's.

And one kernel driven with stdin (jupyter_client), to press Ctrl-C / Ctrl-D at the prompts."""

from __future__ import annotations

import json
import queue
import re
from pathlib import Path

import pytest
from kernel_run import NotebookRun, code, find_leaks, joined_streams, kernel_env, output_texts, run_cells, strings_in

from nbsecrets.adapters import texts
from nbsecrets.adapters.ipython.magics import NO_STDIN
from nbsecrets.core.store.local import LocalStore

FAKE = "sk-test-kernel-house-0123456789abcdef"
OTHER = "sk-test-kernel-other-9876543210fedcba"
INLINE = "sk-test-kernel-inline-13579bdf2468"
HOST = "api.kernel.test.invalid"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

EMPTY_REFUSED = "The value of A is empty, and nothing was stored. Give a value, or add --allow-empty to store an empty one."

CELLS = [
    ("%load_ext nbsecrets", "load"),
    ("%secret create api TOKEN=$NBS_FAKE HOST=$NBS_HOST --setting HOST", "create"),
    # Each failure: one error output, and the cell fails.
    ("%secret show nope", "fail-show"),
    ("%secret lsit", "fail-lsit"),
    ("%secret create x A=", "fail-empty"),
    ("%secret load nope", "fail-load"),
    ("%secret create x KEY", "fail-prompt"),
    ("%secret list --json", "list-json"),
    ("%secret show local:api --json", "show-json"),
    ("%secret show api", "show"),
    (f"%secret create typed TOKEN={INLINE}", "inline"),
    ("%secret load api", "load-1"),
    ("%secret load api", "load-2"),
    ("%secret load --env NBS_OTHER", "load-env"),
    ("%secret unload", "unload"),
    ("import os, warnings, nbsecrets\nos.environ['KEEP'] = 'outer'\nbefore = dict(os.environ)", "before"),
    ("%%with_secrets api\nprint('inside', os.environ['TOKEN'])\nraise ValueError('boom')\n", "body-fails"),
    ("print('restored', dict(os.environ) == before, 'TOKEN' in os.environ)\n6 * 7", "after-body"),
    ("%%with_secrets api\nx = 1\ny = = 2\n", "body-syntax"),
    ("%%with_secrets api\nn = len(os.environ['TOKEN'])\nn", "body-expr"),
    ("_", "underscore"),
    ("warnings.warn('said from a cell', nbsecrets.NbSecretsWarning)\nwarnings.warn('a user warning', UserWarning)", "warn-1"),
    ("warnings.warn('said from a cell', nbsecrets.NbSecretsWarning)", "warn-2"),
    ("pin = '4821'", "pin"),
    ("%secret mask pin", "mask-short"),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("magics-kernel")


@pytest.fixture(scope="module")
def run(workdir: Path) -> NotebookRun:
    return run_cells(
        [code(source, tag) for source, tag in CELLS],
        workdir,
        "magics",
        env={"NBS_FAKE": FAKE, "NBS_HOST": HOST, "NBS_OTHER": OTHER},
    )


@pytest.fixture
def store(run: NotebookRun, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStore:
    """The kernel's vault, read from this process with the kernel's key folder."""
    monkeypatch.setenv("NBSECRETS_KEY_DIR", str(workdir / "nbsecrets-keys"))
    return LocalStore(workdir / "nbsecrets-home")


def streams(run: NotebookRun, tag: str, name: str) -> str:
    return "".join(o["text"] for o in run.cell(tag).outputs if o["output_type"] == "stream" and o["name"] == name)


def errors(run: NotebookRun, tag: str) -> list:
    return [o for o in run.cell(tag).outputs if o["output_type"] == "error"]


def result(run: NotebookRun, tag: str):
    [output] = [o for o in run.cell(tag).outputs if o["output_type"] == "execute_result"]
    return output


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, message",
    [
        ("fail-show", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("fail-lsit", "Unknown command 'lsit'. Did you mean: list? See: %secret help"),
        ("fail-empty", EMPTY_REFUSED),
        ("fail-load", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("fail-prompt", NO_STDIN),
    ],
)
def test_a_failing_magic_is_one_error_output_and_the_cell_fails(run: NotebookRun, tag: str, message: str) -> None:
    [output] = run.cell(tag).outputs
    assert output["output_type"] == "error"
    assert (output["ename"], output["evalue"]) == ("SecretMagicError", message)
    assert output["traceback"] == [texts.error_line(message)]
    assert output["traceback"][0].startswith("nbsecrets: error: ")
    reply = run.reply(tag)["content"]
    assert (reply["status"], reply["ename"]) == ("error", "SecretMagicError")
    failure = run.failure(tag)
    assert failure is not None and failure.ename == "SecretMagicError"
    assert message in str(failure)


def test_nothing_is_stored_by_a_failing_create(run: NotebookRun, store: LocalStore) -> None:
    assert [info.name for info in store.list()] == ["api", "typed"]


# -- texts: the CLI's ------------------------------------------------------------------------------


def test_create_confirms_and_the_first_key_file_warning_is_one_line_without_a_path(run: NotebookRun, workdir: Path) -> None:
    assert streams(run, "create", "stdout") == "Created secret 'api' with keys: TOKEN, HOST; settings (not masked): HOST.\n"
    err = streams(run, "create", "stderr")
    assert err.count("\n") == 1 and err.startswith("nbsecrets: warning: ") and "key file" in err
    assert str(workdir) not in err and not re.search(r"\.py:\d+", err) and "NbSecretsWarning" not in err
    assert run.failure("create") is None


def test_list_and_show_json_are_the_clis_json(run: NotebookRun, store: LocalStore) -> None:
    listed = json.loads(streams(run, "list-json", "stdout"))
    assert listed == [texts.info_json(store.info("api"))]  # listed before "typed" was created
    assert streams(run, "list-json", "stdout") == texts.json_text(listed) + "\n"
    shown = json.loads(streams(run, "show-json", "stdout"))
    assert shown == texts.info_json(store.info("api"))
    assert shown["store"] == "local" and shown["settings"] == ["HOST"]


def test_show_is_the_clis_layout(run: NotebookRun, store: LocalStore) -> None:
    assert streams(run, "show", "stdout") == texts.secret_details(store.info("api")) + "\n"


def test_an_inline_value_warns_about_this_notebooks_source(run: NotebookRun) -> None:
    err = streams(run, "inline", "stderr")
    assert err.startswith("nbsecrets: warning: the value of TOKEN was typed inline, so it is now in this notebook's source")
    assert err.count("\n") == 1
    assert streams(run, "inline", "stdout") == "Created secret 'typed' with keys: TOKEN.\n"


def test_loading_again_overrides_nothing_and_an_env_load_overrides_nothing(run: NotebookRun) -> None:
    first, second = streams(run, "load-1", "stdout"), streams(run, "load-2", "stdout")
    assert first == second == "Loaded 2 keys:\nTOKEN  from api\nHOST   from api (setting)\n"
    assert "overrides" not in second
    env = streams(run, "load-env", "stdout")
    assert env == "Loaded 1 key:\nNBS_OTHER  from env:NBS_OTHER\n"
    assert "overrides" not in env
    assert streams(run, "unload", "stdout").startswith("Restored ")


def test_masking_a_short_variable_says_it_is_not_masked(run: NotebookRun) -> None:
    out = streams(run, "mask-short", "stdout")
    assert out.startswith("Not masked: pin is shorter than 6 characters") and out.count("\n") == 1
    assert "nbsecrets.configure_masking(min_length=...)" in out
    assert run.failure("mask-short") is None


def test_masking_a_short_variable_says_so_only_once(run: NotebookRun) -> None:
    assert streams(run, "mask-short", "stderr") == ""


# -- %%with_secrets ------------------------------------------------------------------------------


def test_a_failing_body_names_this_cell_and_line_and_fails_once_with_its_own_error(run: NotebookRun) -> None:
    cell = run.cell("body-fails")
    number = cell["execution_count"]
    assert streams(run, "body-fails", "stdout") == "inside [masked:TOKEN]\n"
    [error] = errors(run, "body-fails")
    assert (error["ename"], error["evalue"]) == ("ValueError", "boom")
    traceback = ANSI.sub("", "\n".join(error["traceback"]))
    assert f"Cell In[{number}], line 3" in traceback
    listing = [line.strip() for line in traceback.splitlines() if re.match(r"^\s*(-+>)?\s*\d+ ", line)]
    assert listing == ["1 %%with_secrets api", "2 print('inside', os.environ['TOKEN'])", "----> 3 raise ValueError('boom')"]
    assert "SecretMagicError" not in json.dumps(cell["outputs"])
    reply = run.reply("body-fails")["content"]
    assert (reply["status"], reply["ename"]) == ("error", "ValueError")
    failure = run.failure("body-fails")
    assert failure is not None and failure.ename == "ValueError"


def test_after_a_failing_body_the_environment_and_numbering_are_right(run: NotebookRun) -> None:
    number = run.cell("body-fails")["execution_count"]
    after = run.cell("after-body")
    assert streams(run, "after-body", "stdout") == "restored True False\n"
    assert after["execution_count"] == number + 1
    output = result(run, "after-body")
    assert output["execution_count"] == number + 1 and output["data"]["text/plain"] == "42"


def test_a_syntax_error_in_the_body_is_reported_at_its_line(run: NotebookRun) -> None:
    cell = run.cell("body-syntax")
    [error] = errors(run, "body-syntax")
    assert error["ename"] == "SyntaxError"
    assert f"Cell In[{cell['execution_count']}], line 3" in ANSI.sub("", "\n".join(error["traceback"]))
    assert run.failure("body-syntax") is not None


def test_a_body_ending_in_an_expression_shows_its_out(run: NotebookRun) -> None:
    cell = run.cell("body-expr")
    output = result(run, "body-expr")
    assert output["execution_count"] == cell["execution_count"]
    assert output["data"]["text/plain"] == str(len(FAKE))
    assert run.failure("body-expr") is None
    underscore = result(run, "underscore")
    assert underscore["data"]["text/plain"] == str(len(FAKE))
    assert run.cell("underscore")["execution_count"] == cell["execution_count"] + 1


# -- warnings and what is saved ------------------------------------------------------------------------


def test_our_warnings_are_one_line_each_time_and_others_keep_pythons_format(run: NotebookRun) -> None:
    ours, theirs = streams(run, "warn-1", "stderr").splitlines()[:2]
    assert ours == "nbsecrets: warning: said from a cell"
    assert re.search(r"\.py:2: UserWarning: a user warning$", theirs)
    # Given again, shown again: not once per line of IPython that happened to raise it.
    assert streams(run, "warn-2", "stderr") == "nbsecrets: warning: said from a cell\n"


def test_no_value_and_no_private_path_in_the_saved_notebook(run: NotebookRun, workdir: Path, tmp_path_factory) -> None:
    saved = (workdir / "magics.ipynb").read_text(encoding="utf-8")
    assert FAKE not in saved and OTHER not in saved
    for folder in (workdir, workdir / "nbsecrets-keys", workdir / "nbsecrets-home", tmp_path_factory.getbasetemp()):
        assert str(folder) not in saved
    assert find_leaks(output_texts(run), {"TOKEN": FAKE, "NBS_OTHER": OTHER, "INLINE": INLINE}) == []
    assert find_leaks(list(strings_in(run.messages)) + joined_streams(run.nb), {"TOKEN": FAKE, "NBS_OTHER": OTHER}) == []
    assert find_leaks([run.log], {"TOKEN": FAKE, "NBS_OTHER": OTHER, "INLINE": INLINE}) == []


# -- Ctrl-C and Ctrl-D at the prompts of a kernel with stdin ------------------------------------------


class StdinKernel:
    """A kernel run with jupyter_client, answering its input requests as a frontend would."""

    def __init__(self, workdir: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        workdir.mkdir(parents=True, exist_ok=True)
        env = {**kernel_env(workdir), "NBS_FAKE": FAKE}
        self.km, self.kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(workdir))

    def execute(self, source: str, answer=None) -> tuple[dict, list[dict]]:
        """Run `source`; `answer(request)` handles its one input request. (reply content, outputs)."""
        msg_id = self.kc.execute(source, allow_stdin=answer is not None, stop_on_error=False)
        if answer is not None:
            request = self.kc.get_stdin_msg(timeout=60)
            assert request["msg_type"] == "input_request"
            answer(request)
        reply = self.kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=60)
        outputs = []
        while True:
            message = self.kc.get_iopub_msg(timeout=60)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
            if message["msg_type"] in ("stream", "error", "execute_result", "display_data"):
                outputs.append({"type": message["msg_type"], **message["content"]})
        return reply["content"], outputs

    def interrupt(self, request: dict) -> None:
        self.km.interrupt_kernel()  # Ctrl-C (the frontend's "interrupt the kernel")

    def end_of_input(self, request: dict) -> None:
        self.kc.input("\x04")  # Ctrl-D: ipykernel raises EOFError

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def stdin_kernel(tmp_path_factory: pytest.TempPathFactory):
    kernel = StdinKernel(tmp_path_factory.mktemp("stdin-kernel"))
    kernel.execute("%load_ext nbsecrets")
    reply, _ = kernel.execute("%secret create keep A=$NBS_FAKE")
    assert reply["status"] == "ok"
    yield kernel
    kernel.close()


@pytest.mark.parametrize("press", ["interrupt", "end_of_input"])
@pytest.mark.parametrize(
    "source, message",
    [
        ("%secret create x KEY", "Cancelled at the prompt for KEY; nothing was stored."),
        ("%secret delete keep", "Not deleted."),
    ],
)
def test_cancelling_a_prompt_in_a_kernel_is_one_error_and_changes_nothing(
    stdin_kernel: StdinKernel, press: str, source: str, message: str
) -> None:
    reply, outputs = stdin_kernel.execute(source, answer=getattr(stdin_kernel, press))
    assert outputs == [
        {"type": "error", "ename": "SecretMagicError", "evalue": message, "traceback": [texts.error_line(message)]}
    ]
    assert reply["status"] == "error"
    # Nothing stored, nothing deleted, and the kernel carries on.
    reply, outputs = stdin_kernel.execute("%secret list --json")
    assert reply["status"] == "ok"
    assert [entry["name"] for entry in json.loads(outputs[0]["text"])] == ["keep"]
    with pytest.raises(queue.Empty):
        stdin_kernel.kc.get_stdin_msg(timeout=0)  # no question left unanswered
