"""The words of `create` and `update`, parsed once for every adapter.

    [STORE:]NAME [KEY | KEY=- | KEY=$VAR | KEY=VALUE | --from-dotenv PATH | --from-json PATH]...
                 [--template T] [--setting KEY[,KEY...]] [--secret KEY[,KEY...]]
                 [--store STORE] [--force] [--allow-empty] [-- KEY...]

`nbsecrets create/update`, `%secret create/update` and the panel hand their
words here raw, so all accept the same forms, apply values in the order
written (the later wins) and reject the same mistakes, before anyone types
a value. Where a value comes from (a hidden prompt, stdin, the kernel's
environment) is the adapter's, given as `Suppliers`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Mapping, NamedTuple, Sequence, Tuple, Union

from .errors import AlreadyExistsError, InvalidSecretError
from .display import shown, shown_path
from .rules import KEY_PATTERN, WRITTEN_KEY, check_key, check_settings, check_value, split_keys
from .store import get_store
from .suggestions import close_matches
from .store.base import one_store, split_reference

if TYPE_CHECKING:
    from .store.base import SecretInfo, SecretStore


class Template(NamedTuple):
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
    chosen = TEMPLATES.get(name.lower())
    if chosen is None:
        raise InvalidSecretError(f"Unknown template {shown(name)!r}; choose one of: {', '.join(sorted(TEMPLATES))}.")
    return chosen


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
"""What an environment variable's name usually looks like (the only ones an error may repeat)."""

OPTIONS_WITH_ARGUMENT = ("--from-dotenv", "--from-json", "--template", "--setting", "--secret", "--store")
"""Options of create/update that take one argument (`--opt ARG` or `--opt=ARG`), in their place among the values."""
FLAGS = ("--force", "--allow-empty")


class ValueForm(NamedTuple):
    """One place a value comes from, in the order written.

    `how` is "ask" (KEY: a hidden prompt), "stdin" (KEY=-), "environ"
    (KEY=$VAR, `text` the variable), "inline" (KEY=VALUE, `text` the value),
    "dotenv" or "json" (`text` the path; `key` is empty).
    """

    how: str
    key: str
    text: str = ""


class Suppliers(NamedTuple):
    """Where an adapter gets values: each None where that form is not available.

    `ask(key)` answers KEY with a hidden prompt; `read_stdin(key)` answers
    KEY=- (the core drops the one trailing newline `echo` adds); `environ`
    answers KEY=$VAR (without it `$VAR` is the value as typed, which is what
    a shell that did not expand it meant); `on_inline(keys)` is told of
    inline values, to warn that they now sit in a history.
    """

    ask: Callable[[str], str] | None = None
    read_stdin: Callable[[str], str] | None = None
    environ: Mapping[str, str] | None = None
    on_inline: Callable[[list[str]], None] | None = None


class WriteRequest(NamedTuple):
    """What a create/update command asks for, before any value is read.

    `settings` come from templates and `--setting`, less any key named with
    `--secret`; `secrets` are the keys named with `--secret`; a template's
    keys stand among `forms` as prompts, except keys the command gives itself.
    """

    command: str
    name: str
    store: str | None
    forms: tuple[ValueForm, ...]
    settings: tuple[str, ...]
    secrets: tuple[str, ...]
    force: bool = False
    allow_empty: bool = False


class WriteOutcome(NamedTuple):
    """What a create/update did: the secret as stored, the keys given values, whether it replaced one."""

    info: "SecretInfo"
    changed: tuple[str, ...]
    replaced: bool = False


def _value_form(word: str) -> ValueForm:
    key, has_value, value = word.partition("=")
    check_key(key)
    if not has_value:
        return ValueForm("ask", key)
    if value == "-":
        return ValueForm("stdin", key)
    if value.startswith("$") and KEY_PATTERN.fullmatch(value[1:]):
        return ValueForm("environ", key, value[1:])
    return ValueForm("inline", key, value)


def _rest_of_a_value(word: str) -> bool:
    """Whether `word`, right after an inline `KEY=VALUE`, reads as the rest of that value: the shell
    split an unquoted value with spaces (`PASSWORD=correct horse battery`), or a pasted value
    wrapped. A bare key must then be in capitals (`A=x B` prompts for B); any word that is no
    key, or ends in base64 padding (`bPxRfiCY==`), is the value's."""
    key, has_value, value = word.partition("=")
    if not has_value:
        return not re.fullmatch(r"[A-Z_][A-Z0-9_]*", key)
    return value.startswith("=") or not WRITTEN_KEY.fullmatch(key)


def parse_write(command: str, words: Sequence[str], *, store: str | None = None) -> WriteRequest:
    """Parse the words after `create`/`update` (`store` is a default from a `--store` given earlier).

    NAME is the first word that is not an option or an option's argument;
    after `--` every word is a KEY form. A template prompts for each of its
    keys, except those the command names itself (`--template postgres
    PGHOST=localhost` does not ask for PGHOST only to overwrite the answer).
    Its settings are defaults that `--secret` overrides; naming a key with
    both `--setting` and `--secret` is a contradiction and an error.
    """
    if command not in ("create", "update"):
        raise InvalidSecretError(f"parse_write handles create and update, not {command!r}.")
    name: str | None = None
    forms: list[ValueForm | Template] = []  # a Template stands where its keys go
    from_template: list[str] = []
    named_settings: list[str] = []
    named_secrets: list[str] = []
    flags: set[str] = set()
    chosen_store = store
    position, only_keys = 0, False
    inline_before: str | None = None  # the key of an inline value the word before gave
    while position < len(words):
        word = words[position]
        position += 1
        option, has_argument, argument = word.partition("=")
        if only_keys or not word.startswith("-"):
            if name is None and not only_keys:
                if "=" in word:
                    raise InvalidSecretError(
                        f"The secret's name comes first and cannot hold '=', e.g. {command} openai OPENAI_API_KEY."
                    )
                name = word
                continue
            if inline_before is not None and _rest_of_a_value(word):
                raise InvalidSecretError(
                    f"The words after {inline_before}=... look like the rest of its value (not shown): "
                    f"quote a value that holds spaces ({inline_before}='...'), or write {inline_before} "
                    "alone to be prompted for it. Nothing was stored."
                )
            form = _value_form(word)
            forms.append(form)
            inline_before = form.key if form.how == "inline" else None
            continue
        inline_before = None
        if word == "--":
            only_keys = True
            continue
        if option in FLAGS and has_argument:
            raise InvalidSecretError(f"{option} takes no value.")
        if word in FLAGS:
            if word == "--force" and command != "create":
                raise InvalidSecretError("--force is only for create (update never replaces a whole secret).")
            flags.add(word)
            continue
        if option not in OPTIONS_WITH_ARGUMENT:
            near = close_matches(option, [*OPTIONS_WITH_ARGUMENT, *FLAGS])
            hint = f" Did you mean {' or '.join(near)}?" if near else ""
            raise InvalidSecretError(f"Unknown option {option!r} for {command}.{hint}")
        if not has_argument:
            if position >= len(words) or (option not in ("--from-dotenv", "--from-json") and words[position].startswith("-")):
                wanted = {
                    "--template": f"a name: {', '.join(sorted(TEMPLATES))}",
                    "--from-dotenv": "a path",
                    "--from-json": "a path",
                    "--store": "a store's name",
                }.get(option, "KEY[,KEY...]")
                raise InvalidSecretError(f"{option} needs {wanted}.")
            argument = words[position]
            position += 1
        if option in ("--from-dotenv", "--from-json") and not argument.strip():
            # `--from-json=` (or `--from-json "$FILE"` with FILE unset) would read the working directory.
            raise InvalidSecretError(f"{option} needs a path, and the one given is empty.")
        if option == "--from-dotenv":
            forms.append(ValueForm("dotenv", "", argument))
        elif option == "--from-json":
            forms.append(ValueForm("json", "", argument))
        elif option == "--template":
            if command != "create":
                raise InvalidSecretError("--template is only for create.")
            chosen = template(argument)
            forms.append(chosen)
            from_template.extend(chosen.settings)
        elif option == "--setting":
            named_settings.extend(split_keys(option, argument))
        elif option == "--secret":
            named_secrets.extend(split_keys(option, argument))
        else:
            chosen_store = one_store(chosen_store, argument)
    if name is None:
        raise InvalidSecretError(f"Name the secret first, e.g. {command} openai OPENAI_API_KEY.")
    named_store, name = split_reference(name)
    chosen_store = one_store(chosen_store, named_store)
    explicit = {form.key for form in forms if isinstance(form, ValueForm)}
    expanded: list[ValueForm] = []
    for item in forms:
        if isinstance(item, Template):
            expanded.extend(ValueForm("ask", key) for key in item.keys if key not in explicit)
        else:
            expanded.append(item)
    both = [key for key in dict.fromkeys(named_settings) if key in named_secrets]
    if both:
        raise InvalidSecretError(f"{', '.join(both)}: named with both --setting and --secret.")
    secrets = tuple(dict.fromkeys(named_secrets))
    settings = tuple(key for key in dict.fromkeys([*from_template, *named_settings]) if key not in secrets)
    if not expanded and (command == "create" or not (settings or secrets)):
        given = "KEY, KEY=VALUE, --from-dotenv PATH, --from-json PATH"
        more = " or --template T" if command == "create" else ", or --setting/--secret KEY to move keys"
        raise InvalidSecretError(f"Nothing to {'store' if command == 'create' else 'update'}: give {given}{more}.")
    return WriteRequest(
        command, name, chosen_store, tuple(expanded), settings, secrets,
        force="--force" in flags, allow_empty="--allow-empty" in flags,
    )


class _JSONNumber:
    """Where a number stood: never converted, so no digit limit or huge exponent can fail the parse."""


_NUMBER = _JSONNumber()
_JSON_KINDS = {bool: "true or false", _JSONNumber: "a number", list: "a list", dict: "an object"}


def read_json_file(path: str | Path) -> dict[str, str]:
    """A JSON object of KEY: value pairs, as `--from-json PATH` takes it.

    The file is UTF-8 (a byte-order mark is skipped). Each key must be a
    variable name and each value a string; `null` leaves its key out (as
    None does in `Secret.from_dict`), and a number, `true`/`false`, a list or
    an object is refused: put the value in double quotes. Errors name the
    file and the key or the position at fault, never a value, and never a
    key that is not a variable name (it may be a value pasted in the wrong
    place).
    """
    from .dotenv_file import read_text_file

    if str(path) == "":
        raise InvalidSecretError("The path of the JSON file is empty: give the file to read.")
    file = Path(path).expanduser()
    where = shown_path(file)
    text = read_text_file(file, "JSON file")
    try:
        data = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_number)
    except json.JSONDecodeError as exc:  # its msg is ours to show; its doc is the file
        problem = exc.msg[: -len(" at")] if exc.msg.endswith(" at") else exc.msg  # "Invalid control character at"
        raise InvalidSecretError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}): {problem}.") from None
    except RecursionError:
        raise InvalidSecretError(f"{where} nests too deeply to read; it should hold one object of KEY: value pairs.") from None
    if not isinstance(data, dict):
        found = "a string" if isinstance(data, str) else _JSON_KINDS.get(type(data), "null")
        raise InvalidSecretError(f"{where} must hold a JSON object of KEY: value pairs, not {found}.")
    env: dict[str, str] = {}
    for position, (key, value) in enumerate(data.items(), 1):
        if not KEY_PATTERN.fullmatch(key):
            raise InvalidSecretError(
                f"{where}: key {position} of the object is not a variable name: "
                "a key starts with a letter or '_' and holds only letters, digits and '_'."
            )
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidSecretError(
                f"{where}: The value of {key} must be a string, not {_JSON_KINDS[type(value)]}: put it in double quotes."
            )
        try:
            env[key] = check_value(key, value)
        except InvalidSecretError as exc:
            raise InvalidSecretError(f"{where}: {exc}") from None
    return env


def _number(text: str) -> _JSONNumber:
    return _NUMBER


def _read_file(form: ValueForm) -> dict[str, str]:
    if form.how == "json":
        return read_json_file(form.text)
    from .dotenv_file import find_dotenv_file, read_dotenv_file

    return read_dotenv_file(find_dotenv_file(form.text))


def _refuse_empty(key: str, where: str = "") -> None:
    raise InvalidSecretError(
        f"The value of {key}{where} is empty, and nothing was stored. Give a value, "
        "or add --allow-empty to store an empty one."
    )


def collect(
    request: WriteRequest,
    suppliers: Suppliers,
    *,
    before_prompts: Callable[[list[str]], None] | None = None,
    settings: Iterable[str] = (),
) -> dict[str, str]:
    """The values, in the order written, the later winning.

    Everything that can be checked (files, variables, a second `KEY=-`, a
    form nobody can answer, a value that ends up empty) is checked before
    the first prompt, so a typo never costs retyping a secret, and nobody is
    asked for a value that a later form replaces. `before_prompts(keys)`
    gets the keys the result will have, to check more at that moment. An
    inline value of a setting (the request's, or one of `settings`, those
    the secret already has) is no harm in a history and is not reported to
    `on_inline`.
    """
    unwarned = {*request.settings, *settings} - set(request.secrets)
    steps: list[tuple[ValueForm, dict[str, str] | str | None]] = []  # None: asked or read from stdin later
    stdin_key: str | None = None
    inline: list[str] = []
    for form in request.forms:
        if form.how in ("dotenv", "json"):
            steps.append((form, _read_file(form)))
        elif form.how == "ask":
            if suppliers.ask is None:
                raise InvalidSecretError(f"{form.key}: no value given, and no way to prompt for it here.")
            steps.append((form, None))
        elif form.how == "stdin":
            if suppliers.read_stdin is None:
                raise InvalidSecretError(
                    f"{form.key}=- reads standard input, which is not available here: write {form.key} "
                    f"alone to be prompted, or {form.key}=$VAR to take the value from the environment."
                )
            if stdin_key is not None:
                raise InvalidSecretError(
                    f"Only one KEY=- per command: standard input holds one value ({stdin_key}, {form.key})."
                )
            stdin_key = form.key
            steps.append((form, None))
        elif form.how == "environ" and suppliers.environ is not None:
            if form.text not in suppliers.environ:
                # Named only if it looks like a variable: `A=$ecretP@ss` may be a password typed inline.
                named = f"${form.text}" if ENV_NAME.fullmatch(form.text) else "the variable"
                raise InvalidSecretError(
                    f"{form.key}=$...: {named} is not set in the environment; set it, or give the value another way."
                )
            steps.append((form, check_value(form.key, suppliers.environ[form.text])))
        else:  # inline, or `$VAR` where the shell has already expanded what it could
            literal = "$" + form.text if form.how == "environ" else form.text
            if form.key not in unwarned:
                inline.append(form.key)
            steps.append((form, check_value(form.key, literal)))
    steps = _without_overwritten_prompts(steps)
    if not request.allow_empty:
        _refuse_known_empty(steps)
    if before_prompts is not None:
        planned: dict[str, None] = {}
        for form, payload in steps:
            planned.update(dict.fromkeys(payload) if isinstance(payload, dict) else {form.key: None})
        before_prompts(list(planned))
    if inline and suppliers.on_inline is not None:
        suppliers.on_inline(inline)

    env: dict[str, str] = {}
    for form, payload in steps:
        if isinstance(payload, dict):
            env.update(payload)
        elif isinstance(payload, str):
            env[form.key] = payload
        elif form.how == "ask":
            env[form.key] = _checked(form.key, suppliers.ask(form.key), request.allow_empty)  # type: ignore[misc]
        else:
            text = _strip_one_newline(suppliers.read_stdin(form.key))  # type: ignore[misc]
            env[form.key] = _checked(form.key, text, request.allow_empty, " on standard input")
    return env


Step = Tuple[ValueForm, Union[Dict[str, str], str, None]]


def _without_overwritten_prompts(steps: list[Step]) -> list[Step]:
    """Drop each prompt (or stdin read) for a key that a later form sets: its answer would be lost."""
    later: set[str] = set()
    kept: list[Step] = []
    for form, payload in reversed(steps):
        if payload is None and form.key in later:
            continue
        later.update(payload if isinstance(payload, dict) else (form.key,))
        kept.append((form, payload))
    return kept[::-1]


def _refuse_known_empty(steps: list[Step]) -> None:
    """An empty value that is already known and that no later form replaces is refused now."""
    final: dict[str, tuple[str | None, str]] = {}  # key -> (value, where it comes from); None: a prompt
    for form, payload in steps:
        if isinstance(payload, dict):
            final.update({key: (value, f" in {shown_path(form.text)}") for key, value in payload.items()})
        else:
            final[form.key] = (payload, f" (${form.text})" if form.how == "environ" else "")
    for key, (value, where) in final.items():
        if value == "":
            _refuse_empty(key, where)


def _checked(key: str, value: str, allow_empty: bool, where: str = "") -> str:
    check_value(key, value)
    if value == "" and not allow_empty:
        _refuse_empty(key, where)
    return value


def _strip_one_newline(text: str) -> str:
    """The newline `echo` adds is not part of the value; inner ones are (PEM keys)."""
    for newline in ("\r\n", "\n"):
        if text.endswith(newline):
            return text[: -len(newline)]
    return text


def _check_marks(request: WriteRequest, keys: Iterable[str], owner: str) -> None:
    """Every key named by --setting or --secret must be a key of the secret (a template's always are)."""
    keys = list(keys)
    check_settings(request.settings, keys, owner, what="--setting")
    check_settings(request.secrets, keys, owner, what="--secret")


def _store_of(request: WriteRequest, store: "SecretStore | None") -> "SecretStore":
    return store if store is not None else get_store(request.store)


def create_secret(request: WriteRequest, suppliers: Suppliers, store: "SecretStore | None" = None) -> WriteOutcome:
    """`create`: an existing secret (without --force), or a --setting naming a key that is
    not given, is refused before anyone types a value."""
    target = _store_of(request, store)
    existed = target.exists(request.name)
    if existed and not request.force:
        raise AlreadyExistsError(request.name)
    owner = f"secret {request.name!r}"
    env = collect(request, suppliers, before_prompts=lambda keys: _check_marks(request, keys, owner))
    info = target.create(request.name, env, overwrite=request.force, settings=request.settings)
    return WriteOutcome(info, tuple(env), existed)


def update_secret(request: WriteRequest, suppliers: Suppliers, store: "SecretStore | None" = None) -> WriteOutcome:
    """`update`: a missing secret, or a --setting/--secret naming a key it will not have, is
    reported before anyone types a value. `--setting`/`--secret` alone move keys between
    the two sides without retyping them."""
    target = _store_of(request, store)
    existing = target.info(request.name)
    owner = f"secret {request.name!r}"
    env = collect(
        request,
        suppliers,
        before_prompts=lambda keys: _check_marks(request, [*existing.keys, *keys], owner),
        settings=existing.settings,
    )
    info = target.update(request.name, env, settings=request.settings, secrets=request.secrets)
    return WriteOutcome(info, tuple(env))
