"""One line of sources -> a list of Secrets, shared by the CLI and the magics.

    openai-keys team:db-creds --dotenv [PATH] --dict VARIABLE --env KEY[,KEY...] --required KEY[,KEY...]

Sources keep the order written (the later wins where two define a key);
`--required` applies to the source just before it. A stored secret is named
`NAME` (in the default store) or `STORE:NAME`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Sequence

from .errors import InvalidSecretError
from .display import shown
from .rules import KEY_PATTERN, split_keys
from .secret import Secret, dotenv_secret

USAGE = (
    "[STORE:]NAME | --dotenv[=PATH] | --dict VARIABLE | --env KEY[,KEY...], "
    "each optionally followed by --required KEY[,KEY...]"
)

_LOOKS_LIKE_PAIR = re.compile(rf"{KEY_PATTERN.pattern}=")


def _looks_like_path(token: str) -> bool:
    return os.sep in token or "/" in token or token.endswith(".env") or token.startswith(".") or os.path.exists(token)


def _refuse_inline_values(tokens: Sequence[str]) -> None:
    """A KEY=VALUE among sources would otherwise be quoted back as a bad name, value included."""
    for token in tokens:
        body = token.partition("=")[2] if token.startswith("--") else token  # --env=KEY=VALUE too
        if _LOOKS_LIKE_PAIR.match(body):
            key = body.partition("=")[0]
            raise InvalidSecretError(
                f"Sources are names of secrets or files, not KEY=VALUE ({key}=...): "
                "store the value first, or use --dotenv or --env."
            )


def parse_sources(
    tokens: Sequence[str], namespace: Mapping[str, Any] | None = None, *, store: str | None = None
) -> list[Secret]:
    """Build Secrets from tokens; `namespace` resolves --dict VARIABLE (the magics' user namespace);
    `store` is where a bare NAME is looked up (default: the local vault)."""
    from .dotenv_file import find_dotenv_file  # python-dotenv, only when a source is parsed

    _refuse_inline_values(tokens)
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
            secrets.append(dotenv_secret(find_dotenv_file(path)))  # a file named here is read as named
        elif option == "--dict":
            variable = value if has_value else argument("--dict")
            if namespace is None:
                raise InvalidSecretError("--dict is only available in IPython, where it names a variable.")
            if variable not in namespace:
                named = f" {variable!r}" if variable.isidentifier() else ""  # a value typed here is not echoed
                raise InvalidSecretError(f"--dict: no variable named{named}; it takes the name of a dict.")
            mapping = namespace[variable]
            if not isinstance(mapping, Mapping):
                raise InvalidSecretError(f"--dict {variable}: expected a dict, found {type(mapping).__name__}.")
            secrets.append(Secret.from_dict(mapping).relabelled(f"dict:{variable}"))
        elif option == "--env":
            keys = split_keys("--env", value if has_value else argument("--env"))
            secrets.append(Secret.from_local_environ(keys).relabelled("env:" + ",".join(keys)))
        elif option == "--required":
            keys = split_keys("--required", value if has_value else argument("--required"))
            if not secrets:
                raise InvalidSecretError("--required must follow the source it applies to.")
            secrets[-1] = secrets[-1].with_required_keys(keys)
        elif token.startswith("-"):
            raise InvalidSecretError(f"Unknown source option {shown(option)!r}. Sources: {USAGE}")
        else:
            named = ":" in token
            secrets.append(Secret.from_name(token, store=None if named else store))
    return secrets
