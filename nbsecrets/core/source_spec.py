"""One line of sources -> a list of Secrets, shared by the CLI and the magics.

    openai-keys --dotenv [PATH] --dict VARIABLE --env KEY[,KEY...] --required KEY[,KEY...]

Sources keep the order written (the later wins where two define a key);
`--required` applies to the source just before it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from .secret import Secret

from .errors import InvalidSecretError

USAGE = "NAME | --dotenv[=PATH] | --dict VARIABLE | --env KEY[,KEY...], each optionally followed by --required KEY[,KEY...]"


def _split_keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


def _looks_like_path(token: str) -> bool:
    return os.sep in token or "/" in token or token.endswith(".env") or token.startswith(".") or os.path.exists(token)


def parse_sources(tokens: Sequence[str], namespace: Mapping[str, Any] | None = None) -> list["Secret"]:
    """Build Secrets from tokens; `namespace` resolves --dict VARIABLE (the magics' user namespace)."""
    from .secret import Secret  # on first use, so adapters that only show USAGE stay light

    secrets: list[Secret] = []
    position = 0

    def argument(option: str) -> str:
        nonlocal position
        if position >= len(tokens) or tokens[position].startswith("--"):
            raise InvalidSecretError(f"{option} needs a value. Sources: {USAGE}")
        position += 1
        return tokens[position - 1]

    while position < len(tokens):
        token = tokens[position]
        position += 1
        option, has_value, value = token.partition("=")
        if option == "--dotenv":
            path = value if has_value else None
            if not has_value and position < len(tokens) and not tokens[position].startswith("--") and _looks_like_path(tokens[position]):
                path = tokens[position]
                position += 1
            secrets.append(Secret.from_dotenv(path))
        elif option == "--dict":
            variable = value if has_value else argument("--dict")
            if namespace is None:
                raise InvalidSecretError("--dict is only available in IPython, where it names a variable.")
            if variable not in namespace:
                raise InvalidSecretError(f"--dict {variable}: no variable named {variable!r}.")
            mapping = namespace[variable]
            if not isinstance(mapping, Mapping):
                raise InvalidSecretError(f"--dict {variable}: expected a dict, found {type(mapping).__name__}.")
            secrets.append(Secret.from_dict(mapping).relabelled(f"dict:{variable}"))
        elif option == "--env":
            keys = _split_keys(value if has_value else argument("--env"))
            secrets.append(Secret.from_local_environ(keys).relabelled("env:" + ",".join(keys)))
        elif option == "--required":
            keys = _split_keys(value if has_value else argument("--required"))
            if not secrets:
                raise InvalidSecretError("--required must follow the source it applies to.")
            secrets[-1] = secrets[-1].with_required_keys(keys)
        elif token.startswith("-"):
            raise InvalidSecretError(f"Unknown source option {token!r}. Sources: {USAGE}")
        else:
            secrets.append(Secret.from_name(token))
    return secrets
