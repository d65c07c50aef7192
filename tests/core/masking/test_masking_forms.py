"""The forms a secret is printed in: each must be derived, none may be too generic."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets.core.masking import secret_forms
from nbsecrets.core.masking.forms import base64_runs, json_strings


def base64_forms(value: str) -> list[str]:
    """The base64 runs of a value's UTF-8 bytes: what appears wherever it is base64-encoded."""
    return base64_runs(value.encode("utf-8", "surrogatepass"))

SECRET = "sk-test-Zq81vB0xWmY4"
PEM = (
    "-----BEGIN TEST KEY-----\n"
    "sk-test-MIIEvQIBADANBgkqhkiG9w0B\n"
    "sk-test-AQEFAASCBKcwggSjAgEAAoIB\n"
    "-----END TEST KEY-----\n"
)

values = st.text(min_size=6, max_size=60)


def test_value_itself_comes_first() -> None:
    forms = secret_forms(SECRET)
    assert forms[0] == SECRET


def test_value_shorter_than_min_length_has_no_forms() -> None:
    assert secret_forms("sk-te") == []
    assert secret_forms("sk-tes") != []


def test_min_length_is_configurable() -> None:
    assert secret_forms("sk-test-a", min_length=10) == []
    assert secret_forms("sk-t", min_length=4)[0] == "sk-t"
    assert all(len(form) >= 4 for form in secret_forms("sk-t", min_length=4))


def test_each_line_of_a_multiline_value_is_a_form() -> None:
    forms = secret_forms(PEM)
    for line in PEM.splitlines()[1:-1]:
        assert line in forms


def test_lines_with_nothing_specific_are_not_forms() -> None:
    # The armour lines of a PEM block are in every PEM block: masking them would mask public keys too.
    forms = secret_forms(PEM)
    assert "-----BEGIN TEST KEY-----" not in forms
    assert "-----END TEST KEY-----" not in forms


def test_lines_are_stripped_so_indented_and_crlf_lines_match() -> None:
    value = '{\r\n    "token": "sk-test-4d6e8f0a1b2c"\r\n}'
    forms = secret_forms(value)
    assert '"token": "sk-test-4d6e8f0a1b2c"' in forms
    assert not any(form.endswith("\r") or form.startswith(" ") for form in forms[1:])


def test_short_lines_are_not_forms() -> None:
    value = "sk-test-first-line\nab\n}\nsk-test-last-line"
    forms = secret_forms(value)
    assert "ab" not in forms and "}" not in forms
    assert "sk-test-first-line" in forms


def test_json_escaped_both_ascii_and_unicode() -> None:
    value = 'sk-test-"quoted"\\slash\nnewline-é-ü'
    forms = secret_forms(value)
    assert json.dumps(value)[1:-1] in forms
    assert json.dumps(value, ensure_ascii=False)[1:-1] in forms
    assert json.dumps(value)[1:-1] != json.dumps(value, ensure_ascii=False)[1:-1]


def test_python_repr_escaped() -> None:
    value = "sk-test-it's\\a\ttab"
    assert repr(value)[1:-1] in secret_forms(value)
    both = "sk-test-\"and'"
    assert repr(both)[1:-1] in secret_forms(both)


def test_url_encoded_with_and_without_plus() -> None:
    value = "sk-test-a b/c?d=e&f+g"
    forms = secret_forms(value)
    assert quote(value, safe="") in forms
    assert quote_plus(value) in forms


def test_html_escaped() -> None:
    value = "sk-test-<a&b>\"c'"
    forms = secret_forms(value)
    assert html.escape(value) in forms
    assert html.escape(value, quote=False) in forms


def test_basic_auth_header_is_caught() -> None:
    header = base64.b64encode(f"user:{SECRET}".encode()).decode()
    assert any(form in header for form in secret_forms(SECRET))


def test_base64_value_alone_is_caught_without_padding() -> None:
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert any(form in encoded for form in base64_forms(SECRET))
    assert not any("=" in form for form in base64_forms(SECRET))


def test_urlsafe_base64_is_a_separate_form_when_it_differs() -> None:
    value = "sk-test-\xff\xfe\xfd>>>???"  # encodes to + and / characters
    forms = base64_forms(value)
    assert any("+" in f or "/" in f for f in forms)
    assert any("-" in f or "_" in f for f in forms if f not in (value,))
    encoded = base64.urlsafe_b64encode(b"xy" + value.encode()).decode()
    assert any(form in encoded for form in forms)


@given(
    value=st.text(min_size=3, max_size=40),
    before=st.binary(max_size=8),
    after=st.binary(max_size=8),
    urlsafe=st.booleans(),
)
def test_base64_forms_survive_any_surrounding_bytes(
    value: str, before: bytes, after: bytes, urlsafe: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    data = before + value.encode("utf-8", "surrogatepass") + after
    encoded = encode(data).decode()
    assert any(form in encoded for form in base64_forms(value))


def test_json_document_strings_are_forms_keys_and_everyday_words_are_not() -> None:
    doc = json.dumps(
        {
            "type": "service_account",
            "client_secret": "sk-test-client-9f8e7d",
            "nested": {"items": ["sk-test-item-one", {"deep": "sk-test-deep-value"}]},
            "short": "abc",
            "number": 12345678,
        }
    )
    forms = secret_forms(doc)
    for string in ("sk-test-client-9f8e7d", "sk-test-item-one", "sk-test-deep-value"):
        assert string in forms
    # A string of everyday words is no secret, even inside one: masking it would mask every such word.
    assert "service_account" not in forms
    assert "client_secret" not in forms
    assert "abc" not in forms
    assert "12345678" not in forms


def test_json_document_string_with_newlines_gets_its_own_forms() -> None:
    doc = json.dumps({"private_key": PEM, "project": "sk-test-project"}, indent=2)
    forms = secret_forms(doc)
    assert json.dumps(PEM)[1:-1] in forms  # how it appears inside the printed document
    assert PEM in forms
    assert "sk-test-MIIEvQIBADANBgkqhkiG9w0B" in forms


def test_json_inside_json_is_expanded() -> None:
    inner = json.dumps({"token": "sk-test-inner-token"})
    doc = json.dumps({"credentials": inner})
    assert "sk-test-inner-token" in secret_forms(doc)


def test_text_that_only_looks_like_json_is_not_parsed() -> None:
    assert json_strings("{not json at all sk-test-") == []
    assert json_strings("sk-test-plain") == []
    assert json_strings('"sk-test-a string"') == []
    assert secret_forms("{sk-test-broken")[0] == "{sk-test-broken"


def test_deeply_nested_json_does_not_crash() -> None:
    doc = "[" * 5000 + "]" * 5000
    assert secret_forms(doc)[0] == doc


def test_lone_surrogate_does_not_crash() -> None:
    value = "sk-test-\ud800-lone"
    forms = secret_forms(value)
    assert forms[0] == value
    assert base64_forms(value)


@given(values, st.integers(min_value=1, max_value=20))
def test_forms_are_distinct_and_derived_forms_are_long_enough(value: str, min_length: int) -> None:
    forms = secret_forms(value, min_length=min_length)
    if len(value) < min_length:
        assert forms == []
        return
    assert forms[0] == value
    assert len(forms) == len(set(forms))
    assert all(len(form) >= min_length for form in forms[1:])


def test_a_stricter_min_length_raises_the_bar_for_derived_forms() -> None:
    value = "sk-test-aaaa\nshort-Xq7z1\nsk-test-bbbb"
    assert "short-Xq7z1" in secret_forms(value)
    assert "short-Xq7z1" not in secret_forms(value, min_length=12)


def test_public_configure_masking_changes_replacement_and_minimum() -> None:
    import nbsecrets
    from nbsecrets.core.masking import get_masker

    masker = get_masker()
    before = masker.config
    try:
        nbsecrets.mask("sk-test-configurable-abc", name="CONF_KEY")
        nbsecrets.configure_masking(replacement="<hidden {name}>")
        assert masker.mask("x sk-test-configurable-abc y") == "x <hidden CONF_KEY> y"
        nbsecrets.configure_masking(min_length=40)
        assert masker.mask("sk-test-configurable-abc") == "sk-test-configurable-abc"
    finally:
        masker.configure(min_length=before.min_length, replacement=before.replacement)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcXYZ019_.~-", min_size=1, max_size=40))
def test_values_no_escape_changes_take_a_short_way_to_the_same_forms(value: str) -> None:
    """Most tokens are left as they are by every escape: the short way must give exactly the full way's forms."""
    from nbsecrets.core.masking import forms as forms_module

    assert list(dict.fromkeys(forms_module._escapes(value))) == list(dict.fromkeys(forms_module._all_escapes(value)))
    short = secret_forms(value, min_length=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forms_module, "_UNESCAPED", re.compile(r"(?!)"))
        assert secret_forms(value, min_length=1) == short


def _yaml_escaped_char_by_char(value: str) -> str:
    """PyYAML's double-quoted escapes one character at a time: the definition the fast version is held to."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("aZ09_.~-/ %+&<>\"'\\#{}^$é\u00ff\u0100\u20ac\U0001f600\x00\x1f\x7f\n\t"),
            st.characters(),  # lone surrogates included: output may hold them
        ),
        max_size=60,
    )
)
def test_escapes_written_a_run_at_a_time_agree_with_their_definitions(value: str) -> None:
    """URL quoting, YAML, Pygments' LaTeX and numeric entities are built in one pass; each must equal its definition."""
    from nbsecrets.core.masking import forms as forms_module

    for safe in ("", "/"):
        assert forms_module._quote(value, safe) == quote(value, safe=safe, errors="surrogatepass")
    assert forms_module._quote(value, " ").replace(" ", "+") == quote_plus(value, safe="", errors="surrogatepass")
    single = quote(value, safe="", errors="surrogatepass")
    assert single.replace("%", "%25") == quote(single, safe="")
    assert forms_module._yaml_escaped(value) == _yaml_escaped_char_by_char(value)
    tex = forms_module.PYGMENTS_TEX
    assert forms_module._pygments_tex(value) == "".join(f"\\PYZ{tex[ch]}{{}}" if ch in tex else ch for ch in value)
    special = "&<>\"'"
    assert value.translate(forms_module._HTML_DECIMAL) == "".join(
        f"&#{ord(ch)};" if ch in special else ch for ch in value
    )
    assert value.translate(forms_module._HTML_HEX) == "".join(
        f"&#x{ord(ch):x};" if ch in special else ch for ch in value
    )
