"""Turn `KEY`, `KEY=VALUE`, `KEY=-`, `KEY=$VAR`, `--from-dotenv PATH` and
`--from-json PATH` arguments into one environment mapping, and `--template T`,
`--setting KEY[,KEY...]` and `--secret KEY[,KEY...]` into which of its keys
are settings.

Shared by `nbsecrets create/update` and `%secret create/update`, so both
accept the same forms, apply them in the order written (the later wins) and
reject the same mistakes. Where a value comes from (a prompt, stdin, the
environment) is supplied by the adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from .errors import AlreadyExistsError, InvalidSecretError, SecretNotFoundError
from .rules import check_env, check_key, check_name, check_settings, check_value

if TYPE_CHECKING:
    from .store import LocalStore, SecretInfo


@dataclass(frozen=True)
class Template:
    """The keys a service's client library reads, in prompt order, and which of them are settings."""

    keys: tuple[str, ...]
    settings: tuple[str, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(key for key in self.keys if key not in self.settings)


TEMPLATES: dict[str, Template] = {
    "openai": Template(("OPENAI_API_KEY",)),
    "anthropic": Template(("ANTHROPIC_API_KEY",)),
    "huggingface": Template(("HF_TOKEN",)),
    # The access key id is half of a credential pair and names the account: masked.
    "aws": Template(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
    "postgres": Template(
        ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"),
        settings=("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"),
    ),
    # A MongoDB URI usually carries user:password@: masked.
    "mongodb": Template(("MONGODB_URI",)),
    "wandb": Template(("WANDB_API_KEY",)),
    "github": Template(("GITHUB_TOKEN",)),
}
"""Common services: the keys their client libraries read, and which are settings (not masked)."""


def template(name: str) -> Template:
    try:
        return TEMPLATES[name.lower()]
    except KeyError:
        raise InvalidSecretError(
            f"Unknown template {name!r}; choose one of: {', '.join(sorted(TEMPLATES))}."
        ) from None


def template_keys(name: str) -> tuple[str, ...]:
    return template(name).keys


def template_settings(name: str) -> tuple[str, ...]:
    return template(name).settings


MARK_OPTIONS = ("--setting", "--secret")
"""Options that say which keys are settings: each takes KEY[,KEY...] and may be repeated."""


@dataclass(frozen=True)
class Arguments:
    """What create/update words mean once the options about keys are taken out.

    `tokens` are the value forms for `gather_env` (a template already
    expanded into its keys); `settings` come from templates and `--setting`,
    less any key named with `--secret`; `secrets` are the keys named with
    `--secret`.
    """

    tokens: tuple[str, ...]
    settings: tuple[str, ...]
    secrets: tuple[str, ...]


def _split_keys(option: str, text: str) -> list[str]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise InvalidSecretError(f"{option} needs KEY[,KEY...].")
    return [check_key(key) for key in keys]


def parse_arguments(tokens: Sequence[str], *, allow_template: bool = True) -> Arguments:
    """Take `--template`, `--setting` and `--secret` out of create/update words.

    A template prompts for each of its keys, except those the command names
    itself (`--template postgres PGHOST=localhost` does not ask for PGHOST
    only to overwrite the answer). Its settings are defaults that `--secret`
    overrides; naming the same key with both `--setting` and `--secret` is a
    contradiction and an error.
    """
    values: list[str | Template] = []  # a Template stands where its keys go
    explicit: set[str] = set()
    from_template: list[str] = []
    named_settings: list[str] = []
    named_secrets: list[str] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        option, has_value, value = token.partition("=")
        if option in ("--from-dotenv", "--from-json") and not has_value:
            values.append(token)  # its path follows, whatever it looks like
            if position < len(tokens):
                values.append(tokens[position])
                position += 1
            continue
        if option not in ("--template", *MARK_OPTIONS):
            values.append(token)
            if not token.startswith("-"):
                explicit.add(option)
            continue
        if not has_value:
            if position >= len(tokens):
                wanted = f"a name: {', '.join(sorted(TEMPLATES))}" if option == "--template" else "KEY[,KEY...]"
                raise InvalidSecretError(f"{option} needs {wanted}.")
            value = tokens[position]
            position += 1
        if option == "--template":
            if not allow_template:
                raise InvalidSecretError("--template is only for create.")
            chosen = template(value)
            values.append(chosen)
            from_template.extend(chosen.settings)
        elif option == "--setting":
            named_settings.extend(_split_keys(option, value))
        else:
            named_secrets.extend(_split_keys(option, value))
    expanded: list[str] = []
    for item in values:
        if isinstance(item, Template):
            expanded.extend(key for key in item.keys if key not in explicit)
        else:
            expanded.append(item)
    both = [key for key in dict.fromkeys(named_settings) if key in named_secrets]
    if both:
        raise InvalidSecretError(f"{', '.join(both)}: named with both --setting and --secret.")
    secrets = tuple(dict.fromkeys(named_secrets))
    settings = tuple(key for key in dict.fromkeys([*from_template, *named_settings]) if key not in secrets)
    return Arguments(tuple(expanded), settings, secrets)


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
    before_prompts: Callable[[list[str]], None] | None = None,
) -> dict[str, str]:
    """Collect values in the order written, the later winning.

    `ask(key)` answers `KEY` (a hidden prompt); `read_stdin(key)` answers
    `KEY=-`; `environ` answers `KEY=$VAR`; `on_inline(keys)` is told of the
    inline `KEY=VALUE`s (so the adapter can warn that those values now sit in
    a history). Everything that can be checked — keys, files, variables, a
    second `KEY=-`, a form nobody can answer — is checked before the first
    prompt, so a typo never costs retyping a secret; `before_prompts(keys)`
    gets the keys the result will have, to check more at that moment.
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
    if before_prompts is not None:
        planned: dict[str, None] = {}
        for how, key, payload in plan:
            planned.update(dict.fromkeys(payload) if how == "file" else {key: None})  # type: ignore[call-overload]
        before_prompts(list(planned))
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


def _check_marks(arguments: Arguments, keys: Iterable[str], owner: str) -> None:
    """Every key named by --setting or --secret must be a key of the secret (a template's always are)."""
    keys = list(keys)
    check_settings(arguments.settings, keys, owner, what="--setting")
    check_settings(arguments.secrets, keys, owner, what="--secret")


def create_from_arguments(
    store: "LocalStore", name: str, tokens: Sequence[str], *, overwrite: bool = False, **suppliers: Any
) -> "SecretInfo":
    """`create NAME ...` for every adapter: an existing secret, or a --setting naming a key
    that is not given, is refused before anyone types a value."""
    check_name(name)
    arguments = parse_arguments(tokens, allow_template=True)
    if not overwrite and store.exists(name):
        raise AlreadyExistsError(
            f"Secret {name!r} already exists. Use update to change some of its keys, or --force to replace it."
        )
    owner = f"secret {name!r}"
    env = gather_env(arguments.tokens, before_prompts=lambda keys: _check_marks(arguments, keys, owner), **suppliers)
    return store.create(name, env, overwrite=overwrite, settings=arguments.settings)


def update_from_arguments(
    store: "LocalStore", name: str, tokens: Sequence[str], **suppliers: Any
) -> tuple["SecretInfo", list[str]]:
    """`update NAME ...` for every adapter: a missing secret, or a --setting/--secret naming
    a key it will not have, is reported before anyone types a value.

    `--setting` and `--secret` alone (no values) move keys between the two
    sides without retyping them. Returns the secret's info and the keys that
    were given values.
    """
    arguments = parse_arguments(tokens, allow_template=False)
    existing = store.info(name).keys
    owner = f"secret {name!r}"
    env = gather_env(
        arguments.tokens,
        before_prompts=lambda keys: _check_marks(arguments, [*existing, *keys], owner),
        **suppliers,
    )
    info = store.update(name, env, settings=arguments.settings, secrets=arguments.secrets)
    return info, list(env)
