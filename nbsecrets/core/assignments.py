"""Turn `KEY`, `KEY=VALUE`, `KEY=-`, `KEY=$VAR`, `--from-dotenv PATH` and
`--from-json PATH` arguments into one environment mapping.

Shared by `nbsecrets create/update` and `%secret create/update`, so both
accept the same forms, apply them in the order written (the later wins) and
reject the same mistakes. Where a value comes from (a prompt, stdin, the
environment) is supplied by the adapter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .errors import AlreadyExistsError, InvalidSecretError, SecretNotFoundError
from .rules import check_env, check_key, check_name, check_value

if TYPE_CHECKING:
    from .store import LocalStore, SecretInfo

TEMPLATES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "huggingface": ("HF_TOKEN",),
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    "postgres": ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"),
    "mongodb": ("MONGODB_URI",),
    "wandb": ("WANDB_API_KEY",),
    "github": ("GITHUB_TOKEN",),
}
"""Common services and the keys their client libraries read."""


def template_keys(name: str) -> tuple[str, ...]:
    try:
        return TEMPLATES[name.lower()]
    except KeyError:
        raise InvalidSecretError(
            f"Unknown template {name!r}; choose one of: {', '.join(sorted(TEMPLATES))}."
        ) from None


def read_json_file(path: str | Path) -> dict[str, str]:
    """A JSON object of string keys to string values."""
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretNotFoundError(f"JSON file not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidSecretError(f"Cannot read {file}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidSecretError(f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(data, dict):
        raise InvalidSecretError(f"{file} must hold a JSON object of KEY: value pairs.")
    try:
        return check_env(data, drop_none=True)
    except InvalidSecretError as exc:
        raise InvalidSecretError(f"{file}: {exc}") from None


def gather_env(
    tokens: Sequence[str],
    *,
    ask: Callable[[str], str] | None = None,
    read_stdin: Callable[[str], str] | None = None,
    environ: Mapping[str, str] | None = None,
    on_inline: Callable[[list[str]], None] | None = None,
) -> dict[str, str]:
    """Collect values in the order written, the later winning.

    `ask(key)` answers `KEY` (a hidden prompt); `read_stdin(key)` answers
    `KEY=-`; `environ` answers `KEY=$VAR`; `on_inline(keys)` is told of the
    inline `KEY=VALUE`s (so the adapter can warn that those values now sit in
    a history). Everything that can be checked — keys, files, variables, a
    second `KEY=-`, a form nobody can answer — is checked before the first
    prompt, so a typo never costs retyping a secret.
    """
    plan: list[tuple[str, str, object]] = []  # (how, key, payload)
    inline: list[str] = []
    stdin_key: str | None = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        option, has_value, value = token.partition("=")
        if option in ("--from-dotenv", "--from-json"):
            if not has_value:
                if position >= len(tokens):
                    raise InvalidSecretError(f"{option} needs a path.")
                value = tokens[position]
                position += 1
            if option == "--from-dotenv":
                from .dotenv_file import find_dotenv_file, read_dotenv_file

                loaded = read_dotenv_file(find_dotenv_file(value))
            else:
                loaded = read_json_file(value)
            plan.append(("file", option, loaded))
            continue
        if token.startswith("-"):
            raise InvalidSecretError(f"Unknown option {option!r}.")
        key = check_key(option)
        if not has_value:
            if ask is None:
                raise InvalidSecretError(f"{key}: no value given, and no way to prompt for it here.")
            plan.append(("ask", key, None))
        elif value == "-" and read_stdin is not None:
            if stdin_key is not None:
                raise InvalidSecretError(f"Only one KEY=- per command: standard input holds one value ({stdin_key}, {key}).")
            stdin_key = key
            plan.append(("stdin", key, None))
        elif value.startswith("$") and environ is not None:
            variable = value[1:]
            if variable not in environ:
                raise InvalidSecretError(f"{key}=${variable}: {variable} is not set in the environment.")
            plan.append(("value", key, check_value(key, environ[variable])))
        else:
            inline.append(key)
            plan.append(("value", key, check_value(key, value)))
    if inline and on_inline is not None:
        on_inline(inline)

    env: dict[str, str] = {}
    for how, key, payload in plan:
        if how == "file":
            env.update(payload)  # type: ignore[arg-type]
        elif how == "ask":
            env[key] = check_value(key, ask(key))  # type: ignore[misc]
        elif how == "stdin":
            env[key] = check_value(key, _strip_one_newline(read_stdin(key)))  # type: ignore[misc]
        else:
            env[key] = payload  # type: ignore[assignment]
    return env


def _strip_one_newline(text: str) -> str:
    """The newline `echo` adds is not part of the value; inner ones are (PEM keys)."""
    for newline in ("\r\n", "\n"):
        if text.endswith(newline):
            return text[: -len(newline)]
    return text


def create_from_arguments(
    store: "LocalStore", name: str, tokens: Sequence[str], *, overwrite: bool = False, **suppliers: Any
) -> "SecretInfo":
    """`create NAME ...` for every adapter: an existing secret is refused before anyone types a value."""
    check_name(name)
    if not overwrite and store.exists(name):
        raise AlreadyExistsError(
            f"Secret {name!r} already exists. Use update to change some of its keys, or --force to replace it."
        )
    return store.create(name, gather_env(tokens, **suppliers), overwrite=overwrite)


def update_from_arguments(
    store: "LocalStore", name: str, tokens: Sequence[str], **suppliers: Any
) -> tuple["SecretInfo", list[str]]:
    """`update NAME ...` for every adapter: a missing secret is reported before anyone types a value.

    Returns the secret's info and the keys that were set.
    """
    store.info(name)
    env = gather_env(tokens, **suppliers)
    return store.update(name, env), list(env)
