"""Encodings: a secret written in any common encoding is masked, one encoding per cell.

Beyond JSON, repr, URL, HTML and base64 (the leak suite's forms): Python's
``ascii()``, ``unicode_escape`` and bytes reprs of a non-ASCII value, YAML
escapes, CSV's doubled quotes, shell quoting (``shlex``, bash -x's ``'\\''``),
``$``→``$$``, ``'``→``''``, JSON inside JSON (an AWS SecretString), double
URL-encoding, JSON's ``\\/``, numeric HTML references, Pygments' LaTeX in
``display(Code(...))``, base64 of the value without its first bytes, hex, and
the other Unicode normalisation of a value with accents.

Then short and multi-line values with ``configure_masking(min_length=4)``:
a 5- and a 7-character value and their encodings, each line of a multi-line
value printed alone, and the value with CRLF, CR and other whitespace
between its lines.
"""

from __future__ import annotations

import base64
import inspect
import json
import shlex
import unicodedata
from urllib.parse import quote

import pytest
from kernel_run import NotebookRun, code

pytest.register_assert_rewrite("readback_cells")

from readback_cells import (  # noqa: E402
    SECRET,
    Case,
    case_ids,
    check_masked,
    check_plain_shows,
    error_outputs,
    notebooks,
    output_scan,
    run_pair,
    secrets_of,
)

VARIABLES = ["KEY", "PW", "UNI", "ACC", "ACC_D", "PIN5", "PIN7", "MULTI"]
KEY, PW, UNI, ACC, ACC_D = (SECRET[v] for v in ("KEY", "PW", "UNI", "ACC", "ACC_D"))
PIN5, PIN7, MULTI = SECRET["PIN5"], SECRET["PIN7"], SECRET["MULTI"]
LINES = MULTI.split("\n")

CONFIGURE = code("nbsecrets.configure_masking(min_length=4)", "configure", "raises-exception")


def _yaml_scalar(value: str, style: str | None) -> str:
    """How PyYAML writes ``value`` (double-quoted when not ASCII, else in ``style``); by hand without it."""
    try:
        import yaml
    except ImportError:
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
        return '"' + "".join(
            c if ord(c) < 128 else (f"\\x{ord(c):02X}" if ord(c) < 256 else f"\\u{ord(c):04X}") for c in value
        ) + '"'
    return yaml.safe_dump({"k": value}, width=1000, default_style=style)[len("'k': " if style else "k: ") :].strip()


YAML_IN_KERNEL = inspect.getsource(_yaml_scalar)


def _markupsafe(value: str, dq: str, sq: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', dq).replace("'", sq)


def enc(marker: str, var: str, source: str, form: str, **kw: object) -> Case:
    """A case whose secret comes out as ``form``: the plain kernel shows it, the masked one must not."""
    return Case(marker, var, source, shows=form, forms=(form,), **kw)  # type: ignore[arg-type]


ENCODINGS = [
    enc("C1", "UNI", 'print("@@C1 " + ascii(UNI) + " C1@@")', ascii(UNI)[1:-1]),
    enc("C2", "UNI", 'print("@@C2 " + UNI.encode("unicode_escape").decode() + " C2@@")',
        UNI.encode("unicode_escape").decode()),
    enc("C3", "UNI", 'print("@@C3 " + repr(UNI.encode()) + " C3@@")', repr(UNI.encode())[2:-1]),
    enc("C4", "UNI", YAML_IN_KERNEL + '\nprint("@@C4 password: " + _yaml_scalar(UNI, None) + " C4@@")',
        _yaml_scalar(UNI, None)[1:-1]),
    enc("C4b", "PW", 'print("@@C4b password: " + _yaml_scalar(PW, "\'") + " C4b@@")', _yaml_scalar(PW, "'")[1:-1]),
    enc("C5", "PW", 'import csv, io\nbuf = io.StringIO()\ncsv.writer(buf).writerow(["admin", PW])\n'
        'print("@@C5 " + buf.getvalue().strip() + " C5@@")', PW.replace('"', '""')),
    enc("C6", "PW", 'import shlex\nprint("@@C6 PGPASSWORD=" + shlex.quote(PW) + " C6@@")', shlex.quote(PW)[1:-1]),
    enc("C7", "PW", 'print("@@C7 " + shlex.join(["psql", "-W", PW]) + " C7@@")', shlex.quote(PW)[1:-1]),
    enc("C8", "PW", "print(\"@@C8 + psql -W '\" + PW.replace(\"'\", \"'\\\\''\") + \"' C8@@\")",
        PW.replace("'", "'\\''")),
    enc("C9", "PW", 'print("@@C9 PGPASSWORD=" + PW.replace("$", "$$") + " C9@@")', PW.replace("$", "$$")),
    enc("C10", "PW", "print(\"@@C10 password = '\" + PW.replace(\"'\", \"''\") + \"' C10@@\")", PW.replace("'", "''")),
    enc("C11", "PW", 'print("@@C11 " + json.dumps({"SecretString": json.dumps({"password": PW})}) + " C11@@")',
        json.dumps(json.dumps(PW)[1:-1])[1:-1]),
    enc("C12", "PW", 'from urllib.parse import quote\nprint("@@C12 " + quote(quote(PW, safe=""), safe="") + " C12@@")',
        quote(quote(PW, safe=""), safe="")),
    enc("C13", "PW", 'print("@@C13 " + json.dumps({"password": PW}).replace("/", "\\\\/") + " C13@@")',
        json.dumps(PW)[1:-1].replace("/", "\\/")),
    enc("C14", "PW", 'print("@@C14 " + PW.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")'
        """.replace('"', "&#34;").replace("'", "&#39;") + " C14@@")""", _markupsafe(PW, "&#34;", "&#39;")),
    enc("C15", "PW", 'print("@@C15 " + PW.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")'
        """.replace('"', "&#x22;").replace("'", "&#x27;") + " C15@@")""", _markupsafe(PW, "&#x22;", "&#x27;")),
    enc("C16", "KEY", "from IPython.display import Code, display\n"
        "display(Code(\"# @@C16 settings\\napi_key = '\" + KEY + \"'\\n# end C16@@\", language=\"python\"))",
        KEY.replace("-", "\\PYZhy{}")),
    enc("C17", "KEY", 'print("@@C17 " + base64.b64encode(KEY.encode()[1:]).decode() + " C17@@")',
        base64.b64encode(KEY.encode()[1:]).decode()),
    enc("C17b", "KEY", 'print("@@C17b " + base64.b64encode(KEY.encode()[2:]).decode() + " C17b@@")',
        base64.b64encode(KEY.encode()[2:]).decode()),
    enc("C18", "KEY", 'print("@@C18 " + KEY.encode().hex() + " C18@@")', KEY.encode().hex()),
    enc("C18b", "KEY", 'print("@@C18b " + KEY.encode().hex().upper() + " C18b@@")', KEY.encode().hex().upper()),
    enc("C19", "ACC", 'print("@@C19 " + unicodedata.normalize("NFD", ACC) + " C19@@")',
        unicodedata.normalize("NFD", ACC)),
    enc("C19b", "ACC_D", 'print("@@C19b " + unicodedata.normalize("NFC", ACC_D) + " C19b@@")',
        unicodedata.normalize("NFC", ACC_D)),
]

SHORT_AND_MULTILINE = [
    enc("D1", "PIN5", 'print("@@D1 pin " + PIN5 + " D1@@")', PIN5),
    enc("D2", "PIN5", 'print("@@D2 " + json.dumps({"pin": PIN5}) + " D2@@")', json.dumps(PIN5)[1:-1]),
    enc("D3", "PIN5", 'print("@@D3 ?pin=" + quote(PIN5, safe="") + " D3@@")', quote(PIN5, safe="")),
    enc("D4", "PIN5", 'print("@@D4 " + base64.b64encode(PIN5.encode()).decode() + " D4@@")',
        base64.b64encode(PIN5.encode()).decode()),
    enc("D5", "PIN7", 'print("@@D5 pin " + PIN7 + " D5@@")', PIN7),
    enc("D6", "PIN7", 'print("@@D6 ?pin=" + quote(PIN7, safe="") + " D6@@")', quote(PIN7, safe="")),
    *(
        Case(f"D7{'abc'[i]}", "MULTI", f'print("@@D7{"abc"[i]} " + MULTI.split("\\n")[{i}] + " D7{"abc"[i]}@@")',
             shows=line, forms=(line,))
        for i, line in enumerate(LINES)
    ),
    Case("D8", "MULTI", 'print("@@D8\\n" + MULTI.replace("\\n", "\\r\\n") + "\\nD8@@")',
         shows=MULTI.replace("\n", "\r\n"), forms=tuple(LINES)),
    Case("D9", "MULTI", 'print("@@D9 " + MULTI.replace("\\n", "\\r") + " D9@@")',
         shows=MULTI.replace("\n", "\r"), forms=tuple(LINES)),
    Case("D10", "MULTI", 'print("@@D10\\n    " + MULTI.replace("\\n", "\\n    ") + "\\nD10@@")',
         shows=MULTI.replace("\n", "\n    "), forms=tuple(LINES)),
    Case("D11", "MULTI", 'print("@@D11 " + " ".join(MULTI.split("\\n")) + " D11@@")',
         shows=" ".join(LINES), forms=tuple(LINES)),
    Case("D12", "MULTI", 'print("@@D12 " + "\\t".join(MULTI.split("\\n")) + " D12@@")',
         shows="\t".join(LINES), forms=tuple(LINES)),
]

CASES = ENCODINGS + SHORT_AND_MULTILINE
SETUP = code("from urllib.parse import quote", "imports")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[NotebookRun, NotebookRun]:
    masked_cells, plain_cells = notebooks(VARIABLES, [SETUP, *CASES], before=[CONFIGURE])
    return run_pair(tmp_path_factory, "encodings", masked_cells, plain_cells)



def test_forms_are_really_encodings() -> None:
    """Each form differs from the value and from the leak suite's forms: exact matching cannot catch it."""
    from kernel_run import leak_forms

    for case in ENCODINGS:
        (form,) = case.forms
        assert form != case.value and form not in leak_forms(case.value), case.marker


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_plain_kernel_shows_the_encoding(case: Case, plain: NotebookRun) -> None:
    check_plain_shows(plain, case)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_encoding_is_masked_with_its_surroundings_intact(case: Case, masked: NotebookRun) -> None:
    check_masked(masked, case)


def test_min_length_four_masks_the_short_values_without_a_notice(masked: NotebookRun) -> None:
    assert error_outputs(masked, "configure") == []
    notices = "".join(o.get("text", "") for o in masked.cell("register").outputs)
    assert "PIN5" not in notices and "PIN7" not in notices


def test_no_output_holds_a_whole_secret(masked: NotebookRun, plain: NotebookRun) -> None:
    secrets = secrets_of(["KEY", "PW", "UNI", "ACC", "ACC_D", "MULTI"])
    assert output_scan(plain, secrets)
    assert output_scan(masked, secrets) == []
