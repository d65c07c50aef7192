"""Cells and scanning for the kernel suites of read-back, fragments, encodings and credential patterns.

Each suite runs one notebook in a kernel with nbsecrets and the same cells in
a plain kernel. A case is one cell that prints a secret in one shape,
wrapped in markers (``@@A7 `` ... `` A7@@``), so a test can find it in any
output and check that the text around it survived.

"Reading back" is what a person sees in JupyterLab or a program gets from
the saved notebook: ANSI colours dropped, ``\\r`` and ``\\b`` applied, HTML
tags dropped and entities decoded, Pygments' LaTeX macros decoded, lines a
formatter broke joined again. A case leaks when any reading of its output
holds the secret, a form of it, or a run of ``FRAGMENT`` characters of it.

The secrets are fake. They reach the kernel as hex, so no cell source holds
one and a traceback that quotes a source line cannot put one in the output.
"""

from __future__ import annotations

import copy
import html
import json
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kernel_run import NotebookRun, code, joined_cell_streams, leak_forms, output_texts, run_notebook, strings_in
from screens import ANSI, terminal

FRAGMENT = 12
"""nbsecrets' default fragment length: a run this long of a secret is a leak."""

# -- the fake secrets ------------------------------------------------------------------------------

_PEM_HEAD = "-----BEGIN " + "PRIVATE KEY-----"
_PEM_TAIL = "-----END " + "PRIVATE KEY-----"
PEM_BODY = [
    "ZDz/TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEP",
    "H1qhT61qtc4xatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY+",
    "uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt/PlJhx2jIclHkCiHp6bR1IqfEouHg",
    "xzNNAL5wIScGebcy8F5n3/YNBDRzrZSgqbjG3uhkWKFLf6xuI5aHUQPFeNBTxaQW",
    "k8JzFalHlsZfYcMMDktXP/tK",
]
PEM = "\n".join([_PEM_HEAD, *PEM_BODY, _PEM_TAIL]) + "\n"

SA_KEY_ID = "41d4072014b3ce107f80e222f828767efc2f9162"
SA_CLIENT_ID = "925449920707413748477"
SA = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo-proj-1234",
        "private_key_id": SA_KEY_ID,
        "private_key": PEM,
        "client_email": "svc-bot@demo-proj-1234.iam.gserviceaccount.com",
        "client_id": SA_CLIENT_ID,
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    indent=2,
)

# variable in the kernel -> (key name, value)
VALUES: dict[str, tuple[str, str]] = {
    "KEY": ("OPENAI_API_KEY", "sk-test-" + "Vq3Lm8Zt2Rk7Wx4Nb9Hd6Jf1"),
    "PW": ("DB_PASSWORD", "pw-test-Xq7#v9&Lm2\"Rk/4<tZ>8'wQ%$Ty!3"),
    # Digit groups bounded by '-', as rich's highlighter colours them; every piece shorter than FRAGMENT.
    "TOKEN": ("SERVICE_TOKEN", "tk-7Hq2-48213-9051-Vx8k-77310-zR4w"),
    "LONG": (
        "LONG_TOKEN",
        "lt-test-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7Dxtp"
        "YlSXpfKtHF4vUCsMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPKR0CsTy",
    ),
    "SPACED": (
        "PASSPHRASE",
        "aolftdp0 yjexhm6 cfomrien8 wnlvmhe1 ehvhap9 ijaenr5 skewqtuvx0 yvzrmmmm1 umbgcgof1 "
        "tbdaser1 tacgtme4 tlpddpo7 jcedxkxi7 qagqle8 yqjuc4 lflyhrryq5 tzzygz3",
    ),
    "PEM": ("TLS_KEY", PEM),
    "SA": ("GCP_SERVICE_ACCOUNT", SA),
    "URL": ("DATABASE_URL", "postgresql://admin:Pw-test-9xQ2vL7k@db.example.com:5432/analytics"),
    # A run of one character inside a secret is still ordinary text.
    "BANNER": ("BANNER_PW", "Rv7qN2" + "-" * 16 + "Lx9wK4pT"),
    "UNI": ("UNICODE_PW", "uni-test-\u00e49Q\u01427\u20acxZ2\u00fc4Lm8Rw"),
    "ACC": ("ACCENT_PW", unicodedata.normalize("NFC", "caf\u00e9-Cr\u00e8me-br\u00fbl\u00e9e-9Qx7Lm2")),
    "ACC_D": ("ACCENT_PW_NFD", unicodedata.normalize("NFD", "na\u00efve-\u00c9lan-7Zq4Wm8Kp")),
    "MULTI": ("MULTI_LINE", "Lq8vZ2xN\nR4tY7wK1pM\n9cB3hJ6sW2"),
    "PIN5": ("PIN5", 'r7"k/'),
    "PIN7": ("PIN7", "Zk4#q9w"),
}
NAMES = {var: name for var, (name, _) in VALUES.items()}
SECRET = {var: value for var, (_, value) in VALUES.items()}


def secrets_of(variables: Iterable[str]) -> dict[str, str]:
    """Key name -> value for the given kernel variables."""
    return {NAMES[v]: SECRET[v] for v in variables}


def define_cell(variables: Iterable[str]) -> Any:
    lines = ["import base64, html, json, os, re, sys, textwrap, unicodedata", "import nbsecrets"]
    lines += [f'{v} = bytes.fromhex("{SECRET[v].encode().hex()}").decode()' for v in variables]
    return code("\n".join(lines), "define")


def register_cell(variables: Iterable[str]) -> Any:
    return code("\n".join(f'nbsecrets.mask({v}, name="{NAMES[v]}")' for v in variables), "register")


# -- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One cell printing one secret in one shape.

    ``var``: the kernel variable holding the secret; ``source``: the cell;
    ``shows``: what the plain kernel must visibly put out (by default the
    whole value; for a fragment the fragment, for an encoding the encoded
    text); ``hidden``: ``shows`` is not in the raw text, only in a reading of
    it (a read-back case); ``probes``: strings no run of ``FRAGMENT`` of
    which may be read back (by default the value; for a PEM block its body
    lines, since its header and footer are ordinary text); ``forms``: encoded
    texts that may not appear whole; ``keep``: text around the secret that
    must survive; ``bounded``: the markers are in the output (else the whole
    cell's output is the case).
    """

    marker: str
    var: str
    source: str
    shows: str | None = None
    hidden: bool = False
    probes: tuple[str, ...] | None = None
    forms: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    bounded: bool = True
    needs: str | None = None
    raises: bool = False

    @property
    def name(self) -> str:
        return NAMES[self.var]

    @property
    def value(self) -> str:
        return SECRET[self.var]

    @property
    def expected(self) -> str:
        return self.value if self.shows is None else self.shows

    @property
    def fragment_probes(self) -> tuple[str, ...]:
        return (self.value,) if self.probes is None else self.probes

    def cell(self) -> Any:
        tags = [self.marker] + (["raises-exception"] if self.raises else [])
        return code(self.source, *tags)

    def __str__(self) -> str:
        return self.marker


def case_ids(cases: Iterable[Case]) -> list[str]:
    return [c.marker for c in cases]


# -- running -------------------------------------------------------------------------------------


def run_pair(
    tmp_path_factory: pytest.TempPathFactory, label: str, masked_cells: list[Any], plain_cells: list[Any]
) -> tuple[NotebookRun, NotebookRun]:
    """Run the masked notebook and its plain twin, each in a fresh kernel under a temporary folder.

    The connection files go to a temporary runtime directory too, not the user's.
    """
    base = tmp_path_factory.mktemp(label)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_RUNTIME_DIR", str(base / "runtime"))
        masked = run_notebook(masked_cells, base / "masked", "masked")
        plain = run_notebook(plain_cells, base / "plain", "plain")
    return masked, plain


def notebooks(
    variables: Iterable[str], cases: Iterable[Any], *, before: Iterable[Any] = ()
) -> tuple[list[Any], list[Any]]:
    """The masked notebook (extension loaded, values registered) and its plain twin.

    ``cases`` holds Case objects or ready cells. ``before`` runs after the
    extension is loaded and before the values are registered (configuration).
    """
    variables, cases, before = list(variables), list(cases), list(before)

    def cells() -> list[Any]:
        # Fresh cell objects for each notebook: nbclient writes the outputs into them.
        return [c.cell() if isinstance(c, Case) else copy.deepcopy(c) for c in cases]

    masked = [define_cell(variables), code("%load_ext nbsecrets", "load")]
    masked += [copy.deepcopy(c) for c in before] + [register_cell(variables)]
    plain = [define_cell(variables), code("pass", "load"), *[code("pass") for _ in before], code("pass")]
    return masked + cells(), plain + cells()


def skip_unless_available(run: NotebookRun, case: Case) -> None:
    if case.needs and f"@@{case.marker} missing {case.needs} {case.marker}@@" in "".join(units(run)):
        pytest.skip(f"{case.needs} is not installed in the kernel's environment")


# -- what came out -------------------------------------------------------------------------------

_OUTPUT_MESSAGES = {
    "stream",
    "display_data",
    "update_display_data",
    "execute_result",
    "error",
    "comm_open",
    "comm_msg",
}


def units(run: NotebookRun) -> list[str]:
    """Every text a reader can see: outputs of every mimetype, streams joined as JupyterLab joins
    them, tracebacks joined into one text, execute replies (pager included), widget state, and
    every output message the kernel sent (cell sources, i.e. execute_input, excepted)."""
    texts = output_texts(run)
    for cell in run.nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                texts.append("\n".join(output.get("traceback", [])))
    for message in run.messages:
        if message["msg_type"] in _OUTPUT_MESSAGES:
            texts.extend(strings_in(message["content"]))
    return texts


def cell_units(run: NotebookRun, tag: str) -> list[str]:
    cell = run.cell(tag)
    texts = list(strings_in(cell.get("outputs", [])))
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            texts.append("\n".join(output.get("traceback", [])))
    texts.extend(joined_cell_streams(cell))
    texts.extend(strings_in(run.reply(tag).get("content", {})))
    return texts


# -- reading it back -------------------------------------------------------------------------------

_TAG = re.compile(r"<[^<>]*>")
_PYGMENTS_LATEX = {
    "bs": "\\",
    "ob": "{",
    "cb": "}",
    "ca": "^",
    "us": "_",
    "am": "&",
    "lt": "<",
    "gt": ">",
    "sh": "#",
    "pc": "%",
    "dl": "$",
    "hy": "-",
    "sq": "'",
    "dq": '"',
    "ti": "~",
    "at": "@",
    "lb": "[",
    "rb": "]",
}
_PYZ = re.compile(r"\\PYZ([a-z]{2})\{\}")
_PY_WRAP = re.compile(r"\\PY\{[^{}]*\}\{((?:[^{}]|\\PYZ[a-z]{2}\{\})*)\}")
_REPLACEMENT = re.compile(r"\[masked:[^\]\s]*\]")


def jupyterlab(text: str) -> str:
    """What JupyterLab shows of a stream: ANSI rendered away, then its fixBackspace and
    fixCarriageReturn (a later segment of a line overwrites the start of the earlier one)."""
    text = ANSI.sub("", text)
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"[^\n]\x08", "", text)
    text = re.sub(r"\r+\n", "\n", text)
    lines = []
    for line in text.split("\n"):
        segments = line.split("\r")
        shown = segments[0]
        for segment in segments[1:]:
            shown = segment + shown[len(segment) :]
        lines.append(shown)
    return "\n".join(lines)


def html_text(text: str) -> str:
    """The text of rendered HTML: tags dropped, character references decoded."""
    return html.unescape(_TAG.sub("", text))


def latex_text(text: str) -> str:
    """Pygments' LaTeX (``\\PY{k}{...}``, ``\\PYZhy{}``) turned back into the code it shows."""
    text = _PY_WRAP.sub(lambda m: m.group(1), text)
    return _PYZ.sub(lambda m: _PYGMENTS_LATEX.get(m.group(1), m.group(0)), text)


def base_readings(text: str) -> set[str]:
    readings = {text, jupyterlab(text), terminal(text)}
    readings |= {html_text(r) for r in list(readings)}
    readings |= {latex_text(r) for r in list(readings)}
    return readings


def line_readings(text: str) -> set[str]:
    """The text with the line breaks a formatter added taken out again."""
    out = {text}
    out.add(re.sub(r"(['\"])[ \t]*\r?\n[ \t]*\1", "", text))  # pprint's adjacent literals
    out.add(re.sub(r"[ \t]*\r?\n[ \t]*", "", text))
    out.add(re.sub(r"[ \t]*\r?\n[ \t]*", " ", text))
    out.add(textwrap.dedent(text))
    out.add("\n".join(line.strip() for line in text.split("\n")))
    out.add(text.replace("\r\n", "\n"))
    return out


def middles(texts: Iterable[str], marker: str) -> list[str]:
    """What stands between ``@@marker`` and ``marker@@`` in every base reading of every text."""
    pattern = re.compile(rf"@@{re.escape(marker)}\s(.*?)\s{re.escape(marker)}@@", re.S)
    found: list[str] = []
    for text in texts:
        if f"@@{marker}" not in text:
            continue
        for reading in base_readings(text):
            found.extend(m.group(1) for m in pattern.finditer(reading))
    return found


def raw_middles(texts: Iterable[str], marker: str) -> list[str]:
    pattern = re.compile(rf"@@{re.escape(marker)}\s(.*?)\s{re.escape(marker)}@@", re.S)
    return [m.group(1) for text in texts for m in pattern.finditer(text)]


def case_texts(run: NotebookRun, case: Case) -> list[str]:
    """The middles of a bounded case, or every reading of an unbounded case's cell."""
    if case.bounded:
        return middles(units(run), case.marker)
    return [r for text in cell_units(run, case.marker) for r in base_readings(text)]


def runs_of(value: str, length: int = FRAGMENT) -> Iterator[tuple[int, str]]:
    for i in range(len(value) - length + 1):
        yield i, value[i : i + length]


def read_back(texts: Iterable[str], case: Case, length: int = FRAGMENT) -> list[str]:
    """How the secret of ``case`` can be read back from ``texts`` (descriptions, never values)."""
    found: set[str] = set()
    whole = [(f"form #{i}", form.strip() or form) for i, form in enumerate(leak_forms(case.value))]
    whole += [(f"case form #{i}", form.strip() or form) for i, form in enumerate(case.forms)]
    for text in texts:
        for reading in line_readings(text):
            reading = _REPLACEMENT.sub("\0", reading)
            for label, form in whole:
                if form and form in reading:
                    found.add(f"{case.name} {label} (length {len(form)})")
            for p, probe in enumerate(case.fragment_probes + tuple(f for f in case.forms if len(f) >= length)):
                for offset, run in runs_of(probe, length):
                    if run in reading:
                        found.add(f"{case.name} probe #{p}: {length} characters from offset {offset}")
                        break
    return sorted(found)


def shown(texts: Iterable[str], wanted: str) -> bool:
    wanted = wanted.strip() or wanted  # a middle loses one blank at each end
    return any(wanted in r for text in texts for r in line_readings(text))


def replacement_in(texts: Iterable[str], name: str | None = None) -> bool:
    target = f"[masked:{name}]" if name else "[masked:"
    return any(target in text for text in texts)


def output_scan(run: NotebookRun, secrets: dict[str, str]) -> list[str]:
    """Every whole form of every secret in any base reading of anything the kernel sent."""
    found = set()
    forms = {name: leak_forms(value) for name, value in secrets.items()}
    for text in units(run):
        for reading in base_readings(text):
            for name, value_forms in forms.items():
                for i, form in enumerate(value_forms):
                    if form in reading:
                        found.add(f"{name} form #{i} (length {len(form)})")
    return sorted(found)


# -- checks shared by the suites ---------------------------------------------------------------------


def check_plain_shows(plain: NotebookRun, case: Case) -> None:
    """Without nbsecrets the case really puts its secret out in its shape."""
    skip_unless_available(plain, case)
    texts = case_texts(plain, case)
    assert texts, f"{case.marker}: no output between the markers in the plain kernel"
    assert shown(texts, case.expected), f"{case.marker}: the plain kernel did not show the secret in this shape"
    if case.hidden:
        raw = raw_middles(units(plain), case.marker) if case.bounded else cell_units(plain, case.marker)
        assert not any(case.expected in t for t in raw), (
            f"{case.marker}: the raw output already holds it verbatim; the case tests nothing beyond exact matching"
        )
    assert not replacement_in(texts)


def check_masked(masked: NotebookRun, case: Case, length: int = FRAGMENT) -> None:
    """With nbsecrets nothing of the secret can be read back, and the text around it survived."""
    skip_unless_available(masked, case)
    texts = case_texts(masked, case)
    assert texts, f"{case.marker}: the text around the secret did not survive"
    assert read_back(texts, case, length) == []
    assert replacement_in(texts, case.name), f"{case.marker}: [masked:{case.name}] is not in the output"
    for kept in case.keep:
        assert any(kept in t for t in texts), f"{case.marker}: {kept!r} around the secret was lost"


def error_outputs(run: NotebookRun, tag: str) -> list[str]:
    """``ename: evalue`` of each error a cell raised."""
    return [
        f"{o['ename']}: {o['evalue']}" for o in run.cell(tag).get("outputs", []) if o.get("output_type") == "error"
    ]

