"""A value printed through the real encoders is masked, and the text around it is kept."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import shlex
import sqlite3
import unicodedata
from urllib.parse import quote, quote_plus, urlencode

import pytest

from nbsecrets.core.masking import MaskConfig, Masker
from nbsecrets.core.registry import SecretRegistry

BEGIN = "QQBEGINQQ| "
END = " |QQENDQQ"
MASK = "[masked:K]"

PLAIN = "sk-test-9fK2xQ7mZ3pL8vR4"
SPECIAL = "sk-test-9f'K2\"x<Q7>&m$Z3 pL/8v,R4"
ACCENTED = "sk-tëst-9fK2xQ7mZ3-ñandú"


def make_masker(value: str, **config) -> Masker:
    reg = SecretRegistry()
    reg.add(value, "K")
    config.setdefault("patterns", False)
    return Masker(reg, MaskConfig(**config))


def assert_masked(value: str, printed: str, *, slack: int = 0, **config) -> str:
    """``printed`` inside markers: the markers kept, at most ``slack`` characters of it left over."""
    out = make_masker(value, **config).mask(BEGIN + printed + END)
    assert out.startswith(BEGIN) and out.endswith(END), out
    inner = out[len(BEGIN) : len(out) - len(END)]
    assert MASK in inner, out
    leftover = inner.replace(MASK, "")
    assert len(leftover) <= slack, (printed, out)
    return out


@pytest.mark.parametrize("value", [PLAIN, SPECIAL, ACCENTED])
def test_json(value: str) -> None:
    assert_masked(value, json.dumps(value), slack=2)
    assert_masked(value, json.dumps(value, ensure_ascii=False), slack=2)
    assert_masked(value, json.dumps(json.dumps(value)), slack=6)  # JSON inside JSON
    assert_masked(value, json.dumps({"token": value}), slack=len('{"token": ""}'))


@pytest.mark.parametrize("value", [PLAIN, SPECIAL, ACCENTED])
def test_repr_ascii_and_bytes_repr(value: str) -> None:
    assert_masked(value, repr(value), slack=2)
    assert_masked(value, ascii(value), slack=2)
    assert_masked(value, repr(value.encode("utf-8")), slack=3)
    assert_masked(value, value.encode("unicode_escape").decode("ascii"))


@pytest.mark.parametrize("value", [PLAIN, SPECIAL, ACCENTED])
def test_url_encodings(value: str) -> None:
    assert_masked(value, quote(value, safe=""))
    assert_masked(value, quote(quote(value, safe=""), safe=""))  # URL-encoded twice
    assert_masked(value, quote(value))
    assert_masked(value, quote_plus(value))
    assert_masked(value, "https://api.example.test/v1?" + urlencode({"key": value}), slack=len("https://api.example.test/v1?key="))


@pytest.mark.parametrize("value", [PLAIN, SPECIAL])
def test_html(value: str) -> None:
    assert_masked(value, html.escape(value))
    assert_masked(value, html.escape(value, quote=False))
    assert_masked(value, f"<td>{html.escape(value)}</td>", slack=len("<td></td>"))


def test_html_numeric_entities() -> None:
    markupsafe = pytest.importorskip("markupsafe")
    assert_masked(SPECIAL, str(markupsafe.escape(SPECIAL)))  # &#39; and &#34;
    decimal = "".join(f"&#{ord(ch)};" if ch in "&<>\"'" else ch for ch in SPECIAL)
    assert_masked(SPECIAL, decimal)
    assert_masked(SPECIAL, SPECIAL.encode("ascii", "xmlcharrefreplace").decode())


def test_csv() -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["name", SPECIAL, "end"])
    out = make_masker(SPECIAL).mask(buffer.getvalue())
    assert out == f'name,"{MASK}",end\r\n'


def test_shell_quoting() -> None:
    assert_masked(SPECIAL, shlex.quote(SPECIAL), slack=2)
    command = shlex.join(["curl", "-H", f"Authorization: {SPECIAL}"])
    out = make_masker(SPECIAL).mask(command)
    assert out.startswith("curl -H 'Authorization: ") and MASK in out and "K2" not in out
    # bash -x prints a single quote inside single quotes as '\''.
    assert_masked(SPECIAL, "'" + SPECIAL.replace("'", "'\\''") + "'", slack=2)


def test_dollar_doubling() -> None:
    assert_masked(SPECIAL, SPECIAL.replace("$", "$$"))


def test_doubled_single_quotes() -> None:
    quoted = sqlite3.connect(":memory:").execute("select quote(?)", (SPECIAL,)).fetchone()[0]
    assert "''" in quoted
    assert_masked(SPECIAL, quoted, slack=2)


def test_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    assert_masked(SPECIAL, yaml.safe_dump({"token": SPECIAL}).strip(), slack=len("token: ''"))
    assert_masked(ACCENTED, yaml.safe_dump({"token": ACCENTED}).strip(), slack=len('token: ""'))
    assert_masked(ACCENTED, yaml.safe_dump({"token": ACCENTED}, allow_unicode=True).strip(), slack=len("token: "))


def _latex(code: str) -> str:
    pytest.importorskip("pygments")
    from pygments import highlight
    from pygments.formatters import LatexFormatter
    from pygments.lexers import PythonLexer

    return highlight(code, PythonLexer(), LatexFormatter())


def test_pygments_latex() -> None:
    value = "sk-test-9fK2_xQ7mZ3$pL8~vR4"
    out = make_masker(value).mask(_latex(f"token = {value!r}\n"))
    assert MASK in out
    assert "9fK2" not in out and "pL8" not in out
    assert out.startswith("\\begin{Verbatim}") and out.rstrip().endswith("\\end{Verbatim}")


@pytest.mark.parametrize(
    "value", ['sk-test-9fK2x"Q7mZ3pL8', "sk-test-9fK%sQ7mZ3pL8", "sk-test-9f{K2}xQ7mZ3pL8", "sk-test-9f\\nK2xQ7mZ3pL8"]
)
def test_pygments_latex_of_a_string_split_into_tokens(value: str) -> None:
    # Pygments gives a quote, %s, {...} or an escape a token of its own: the value is read back across them.
    out = make_masker(value).mask(_latex(f"token = {value!r}\n"))
    assert "Q7mZ3pL8" not in out and "sk\\PYZhy{}test" not in out


@pytest.mark.parametrize("value", [PLAIN, SPECIAL, ACCENTED])
def test_base64(value: str) -> None:
    data = value.encode("utf-8")
    assert_masked(value, base64.b64encode(data).decode(), slack=3)
    assert_masked(value, base64.urlsafe_b64encode(data).decode(), slack=3)
    # Inside larger data, at each alignment.
    for prefix in (b"", b"u", b"us", b"user:"):
        assert_masked(value, base64.b64encode(prefix + data + b"\n").decode(), slack=12)
    # Printed from its second or third byte on.
    assert_masked(value, base64.b64encode(data[1:]).decode(), slack=3)
    assert_masked(value, base64.b64encode(data[2:]).decode(), slack=3)
    # Wrapped at 76 columns.
    wrapped = base64.encodebytes(b"x" * 50 + data + b"y" * 50).decode()
    out = make_masker(value).mask(wrapped)
    assert MASK in out
    assert base64.b64encode(data)[4:-4].decode() not in out.replace("\n", "")


@pytest.mark.parametrize("value", [PLAIN, SPECIAL, ACCENTED])
def test_hex(value: str) -> None:
    data = value.encode("utf-8")
    assert_masked(value, data.hex())
    assert_masked(value, data.hex().upper())
    assert_masked(value, "0x" + data.hex(), slack=2)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_unicode_normalisation(form: str) -> None:
    for value in (unicodedata.normalize("NFC", ACCENTED), unicodedata.normalize("NFD", ACCENTED)):
        assert_masked(value, unicodedata.normalize(form, value))


def test_each_line_of_a_multi_line_value() -> None:
    value = "-----BEGIN TEST KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+\n-----END TEST KEY-----"
    masker = make_masker(value)
    for line in value.splitlines()[1:3]:
        out = masker.mask(f"{BEGIN}{line}{END}")
        assert out == f"{BEGIN}{MASK}{END}"
    assert masker.mask("\r\n".join(value.splitlines())) == MASK
    assert masker.mask(json.dumps({"private_key": value})) == '{"private_key": "' + MASK + '"}'
    # An END line alone is no secret.
    text = "-----END TEST KEY-----"
    assert masker.mask(text) is text


def test_whitespace_free_form_of_a_value_with_spaces() -> None:
    value = "sk test 9fK2 xQ7m Z3pL"
    assert_masked(value, value)
    assert_masked(value, value.replace(" ", ""))


@pytest.mark.parametrize(
    "encode",
    [
        lambda v: json.dumps(v),
        lambda v: json.dumps(json.dumps(v)),
        lambda v: quote(v, safe=""),
        lambda v: base64.b64encode(v.encode()).decode(),
        lambda v: base64.b64encode(b"user:" + v.encode()).decode(),
        lambda v: v.encode().hex(),
    ],
    ids=["json", "json-twice", "url", "base64", "basic-auth", "hex"],
)
def test_short_value_with_a_low_min_length(encode) -> None:
    value = "k9#Qz"
    printed = encode(value)
    out = make_masker(value, min_length=4).mask(f"{BEGIN}{printed}{END}")
    assert out.startswith(BEGIN) and out.endswith(END)
    assert MASK in out, (printed, out)
    # Too short for the default min_length.
    text = f"{BEGIN}{printed}{END}"
    assert make_masker(value).mask(text) is text
