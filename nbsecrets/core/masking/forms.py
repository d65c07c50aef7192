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
import html
import json
from collections.abc import Iterable, Iterator
from urllib.parse import quote, quote_plus

DEFAULT_MIN_LENGTH = 6
"""Values shorter than this are not masked: they would mask ordinary words."""

DERIVED_MIN_LENGTH = 8
"""A derived form (a line, an encoding, a JSON field) must be at least this long.

Derived forms are shorter or more generic than the value they come from (a
line ``-----END KEY-----`` or a trimmed base64 run), so they get a stricter
bar; a stricter ``min_length`` raises it further.
"""

_MAX_JSON_DEPTH = 3
"""A JSON string that is itself JSON is expanded, but not without end."""

# Leading characters of base64 that still depend on the bytes before the value,
# for 0, 1 and 2 bytes of unknown prefix.
_B64_HEAD = (0, 2, 3)


def secret_forms(value: str, *, min_length: int = DEFAULT_MIN_LENGTH) -> list[str]:
    """All distinct forms to mask for ``value``; the value itself first; [] when too short."""
    if not isinstance(value, str) or len(value) < max(1, min_length):
        return []
    derived_min = max(DERIVED_MIN_LENGTH, min_length)
    forms: dict[str, None] = {value: None}
    for form in _derived(value, depth=0):
        if len(form) >= derived_min:
            forms.setdefault(form, None)
    return list(forms)


def _derived(value: str, depth: int) -> Iterator[str]:
    yield from _escapes(value)
    yield from base64_forms(value)
    if "\n" in value or "\r" in value:
        for line in value.splitlines():
            # Stripped, so an indented line (JSON key file, YAML) still matches;
            # the stripped line is a substring of the indented one.
            line = line.strip()
            yield line
            yield from _escapes(line)
    if depth < _MAX_JSON_DEPTH:
        for string in json_strings(value):
            yield string
            yield from _derived(string, depth + 1)


def _escapes(value: str) -> Iterator[str]:
    """The text escapes a value goes through when printed inside code or markup."""
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield repr(value)[1:-1]
    yield quote(value, safe="", errors="surrogatepass")
    yield quote(value, errors="surrogatepass")  # the default: '/' left as is, as in URL paths
    yield quote_plus(value, safe="", errors="surrogatepass")
    yield html.escape(value)
    yield html.escape(value, quote=False)


def base64_forms(value: str) -> list[str]:
    """Base64 runs that appear whenever ``value`` is base64-encoded inside larger data.

    The value can start at any of the three byte offsets of a base64 group,
    e.g. ``base64("user:" + secret)``. For each offset the characters that
    also depend on the neighbouring bytes (head and tail) are trimmed, and
    what remains appears in the encoding whatever surrounds the value.
    """
    data = value.encode("utf-8", "surrogatepass")
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
