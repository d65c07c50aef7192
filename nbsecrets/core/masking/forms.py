"""The printable forms of a secret value.

A secret rarely leaks verbatim only: it is printed inside a repr, a JSON
dump, a URL, an HTML page, an ``Authorization: Basic`` header, or line by
line out of a PEM file. Masking the value alone would let every one of those
through, so each value is expanded into the forms it is commonly printed in
(GitHub Actions' runner does the same). Everything here is pure and cheap to
call again; the masker caches the result per value.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator

from .fragments import specific_mask

DEFAULT_MIN_LENGTH = 6
"""Values shorter than this are not masked: they would mask ordinary words."""

_MAX_JSON_DEPTH = 3
"""A JSON string that is itself JSON is expanded, but not without end."""

# Leading characters of base64 that still depend on the bytes before the value,
# for 0, 1 and 2 bytes of unknown prefix.
_B64_HEAD = (0, 2, 3)

_LINE_BREAKS = ("\n", "\r\n", "\r")

# Pygments' LaTeX formatter (``display(Code(...))`` adds a text/latex part) writes these as commands.
PYGMENTS_TEX = {
    "\\": "bs", "{": "ob", "}": "cb", "^": "ca", "_": "us", "&": "am", "<": "lt", ">": "gt",
    "#": "sh", "%": "pc", "$": "dl", "-": "hy", "'": "sq", '"': "dq", "~": "ti",
}
_HTML_SPECIAL = "&<>\"'"


def secret_forms(value: str, *, min_length: int = DEFAULT_MIN_LENGTH) -> list[str]:
    """All distinct forms to mask for ``value``; the value itself first; [] when too short.

    A form shorter than ``min_length`` is dropped, as is a line of a
    multi-line value that holds nothing specific to the secret (a PEM
    ``-----END ... KEY-----`` line, a ``}``).
    """
    if not isinstance(value, str) or len(value) < max(1, min_length):
        return []
    forms: dict[str, None] = {value: None}
    for form in _derived(value, depth=0):
        if len(form) >= min_length:
            forms.setdefault(form, None)
    # The read-back view drops whitespace; its patterns are whitespace-free too.
    for form in list(forms):
        if _has_space(form):
            bare = "".join(form.split())
            if len(bare) >= min_length:
                forms.setdefault(bare, None)
    return list(forms)


def _has_space(text: str) -> bool:
    # str.split finds whitespace faster than a regex search: it cuts at the first or strips it away.
    parts = text.split(None, 1)
    return bool(text) and (len(parts) != 1 or parts[0] != text)


def _derived(value: str, depth: int) -> Iterator[str]:
    yield from _escapes(value)
    yield from _encodings(value)
    for normal in ("NFC", "NFD"):
        other = unicodedata.normalize(normal, value)
        if other != value:
            yield other
            yield from _escapes(other)
    if "\n" in value or "\r" in value:
        lines = value.splitlines()
        for sep in _LINE_BREAKS:
            joined = sep.join(lines)
            yield joined
            yield from _escapes(joined)
        for line in lines:
            # Stripped, so an indented line (JSON key file, YAML) still matches;
            # the stripped line is a substring of the indented one.
            line = line.strip()
            if any(specific_mask(line)):
                yield line
                yield from _escapes(line)
    if depth < _MAX_JSON_DEPTH:
        for string in json_strings(value):
            if any(specific_mask(string)):  # "service_account" is no secret
                yield string
                yield from _derived(string, depth + 1)


_UNESCAPED = re.compile(r"[A-Za-z0-9_.~-]*")
"""Characters that JSON, repr, URL quoting, HTML and shell quoting all leave as they are (most tokens)."""


def _escapes(value: str) -> Iterator[str]:
    """The text escapes a value goes through when printed inside code, data or markup."""
    if _UNESCAPED.fullmatch(value):
        # Every escape below gives the value itself; only Pygments' LaTeX writes - _ ~ as commands.
        yield value
        if any(ch in value for ch in PYGMENTS_TEX):
            yield _pygments_tex(value)
        return
    yield from _all_escapes(value)


def _all_escapes(value: str) -> Iterator[str]:
    import html  # here, not at import: %load_ext imports this module, and most values never get here

    once = json.dumps(value)[1:-1]
    yield once
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield json.dumps(once)[1:-1]  # JSON inside JSON (an AWS SecretString)
    yield once.replace("/", "\\/")  # JSON's optional escape of '/'
    yield repr(value)[1:-1]
    yield ascii(value)[1:-1]
    yield value.encode("unicode_escape", "backslashreplace").decode("ascii")
    yield repr(value.encode("utf-8", "surrogatepass"))[2:-1]  # bytes repr
    if not value.isascii():
        yield _yaml_escaped(value)
    single = _quote(value, "")
    yield single
    yield single.replace("%", "%25")  # URL-encoded twice: '%' is all that changes
    yield _quote(value, "/")  # quote()'s default: '/' left as is, as in URL paths
    yield _quote(value, " ").replace(" ", "+")  # quote_plus()
    yield html.escape(value)
    yield html.escape(value, quote=False)
    if any(ch in value for ch in _HTML_SPECIAL):
        yield value.translate(_HTML_DECIMAL)
        yield value.translate(_HTML_HEX)
    if '"' in value:
        yield value.replace('"', '""')  # CSV
    if "'" in value:
        yield value.replace("'", "''")  # SQL, YAML single-quoted, expression strings
        yield value.replace("'", "'\\''")  # bash -x and shlex.quote inside single quotes
        yield value.replace("'", "'\"'\"'")  # shlex.quote
    if "$" in value:
        yield value.replace("$", "$$")  # make, compose, Jenkins
    if any(ch in value for ch in PYGMENTS_TEX):
        yield _pygments_tex(value)


# Escapes written by ``str.translate``: one C-level pass, where a join over the characters takes a
# Python step per character (a 32k value has 32k).
_PYGMENTS_TABLE = {ord(ch): f"\\PYZ{name}{{}}" for ch, name in PYGMENTS_TEX.items()}
_HTML_DECIMAL = {ord(ch): f"&#{ord(ch)};" for ch in _HTML_SPECIAL}
_HTML_HEX = {ord(ch): f"&#x{ord(ch):x};" for ch in _HTML_SPECIAL}
_URL_UNSAFE: dict[str, re.Pattern[str]] = {
    safe: re.compile(rf"[^A-Za-z0-9_.~\-{re.escape(safe)}]") for safe in ("", "/", " ")
}
_YAML_ESCAPED = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')
"""What PyYAML escapes in a double-quoted scalar: the quote, the backslash, and all but printable ASCII."""


def _pygments_tex(value: str) -> str:
    return value.translate(_PYGMENTS_TABLE)


def _quote(value: str, safe: str) -> str:
    """``urllib.parse.quote(value, safe, errors="surrogatepass")``: UTF-8 encodes each character on its own."""
    unsafe = set(_URL_UNSAFE[safe].findall(value))
    return value.translate({ord(ch): "%" + ch.encode("utf-8", "surrogatepass").hex("%").upper() for ch in unsafe})


def _yaml_escaped(value: str) -> str:
    """A YAML double-quoted scalar's body as PyYAML writes it: upper-case hex escapes."""
    return value.translate({ord(ch): _yaml_escape(ch) for ch in set(_YAML_ESCAPED.findall(value))})


def _yaml_escape(ch: str) -> str:
    code = ord(ch)
    if ch in '"\\':
        return "\\" + ch
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _encodings(value: str) -> Iterator[str]:
    """Byte-level encodings: base64 (also of the value less its first bytes) and hex."""
    data = value.encode("utf-8", "surrogatepass")
    yield from base64_runs(data)
    # A value printed from its second or third byte on, then encoded.
    for drop in (1, 2):
        yield from base64_runs(data[drop:])
    hexed = data.hex()
    yield hexed
    yield hexed.upper()


def base64_runs(data: bytes) -> list[str]:
    """The stable base64 runs of ``data`` at each of the three byte offsets of a group.

    The value can start at any offset, e.g. ``base64("user:" + secret)``.
    For each offset the characters that also depend on the neighbouring
    bytes (head and tail) are trimmed, and what remains appears in the
    encoding whatever surrounds the value.
    """
    out: list[str] = []
    for offset, head in enumerate(_B64_HEAD):
        padded = b"\0" * offset + data
        stable_end = (8 * len(padded)) // 6
        standard = base64.b64encode(padded).decode("ascii")[head:stable_end]
        if standard:
            out.append(standard)
            urlsafe = standard.replace("+", "-").replace("/", "_")
            if urlsafe != standard:
                out.append(urlsafe)
    return out


def json_strings(value: str) -> list[str]:
    """Every string inside ``value`` when it is a JSON object or array (keys excluded).

    A JSON key file is printed field by field as often as whole: a
    ``private_key`` or ``client_secret`` alone must be caught too.
    """
    text = value.strip()
    if not text or text[0] not in "{[":
        return []
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return []
    return list(_walk_strings(document))


def _walk_strings(node: object) -> Iterable[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
