"""Which stores are configured (the local vault, a team store from the environment, config.toml),
and where the team token comes from.

A team store is configured from the variables people already set for the
`bao`/`vault` command line (BAO_ADDR, VAULT_ADDR ...), so a hub that hands a
user those variables needs no file. A config file may name more stores; it
holds addresses and paths, never a token, because it is the kind of file
that gets copied, shared and committed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Mapping

from ..display import shown_path
from ..errors import ConfigError
from ..registry import registry
from ..rules import NAME_PATTERN

TEAM = "team"
"""The name of the team store configured from the environment."""

TEAM_KIND = "openbao"
KIND_ALIASES = {"vault": TEAM_KIND}
"""HashiCorp Vault speaks the same API: `kind = "vault"` is the same store."""

ADDR_VARIABLES = ("NBSECRETS_TEAM_ADDR", "BAO_ADDR", "VAULT_ADDR")
NAMESPACE_VARIABLES = ("BAO_NAMESPACE", "VAULT_NAMESPACE")
CACERT_VARIABLES = ("BAO_CACERT", "VAULT_CACERT")
SKIP_VERIFY_VARIABLES = ("BAO_SKIP_VERIFY", "VAULT_SKIP_VERIFY")
TOKEN_VARIABLES = ("NBSECRETS_TEAM_TOKEN", "BAO_TOKEN", "VAULT_TOKEN")
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]{1,65536}")
"""What a token may look like: one word of printable ASCII (generated tokens, batch tokens with their
metadata, custom ids). Anything else (spaces, line breaks, a file of many lines) is not sent as one."""
TOKEN_FILE_VARIABLE = "NBSECRETS_TEAM_TOKEN_FILE"
DEFAULT_TOKEN_FILE = "~/.vault-token"
DEFAULT_MOUNT = "secret"
DEFAULT_PREFIX = "nbsecrets"

TEAM_OPTIONS = ("addr", "mount", "prefix", "namespace", "cacert", "skip_verify", "token_file")
"""What a `[stores.NAME]` table may set besides `kind`. A token is not among them."""

_TOKENISH = ("token", "secret_id", "password", "role_id")


def config_path() -> Path:
    """NBSECRETS_CONFIG, else `config.toml` in the platform's user config directory for nbsecrets."""
    configured = os.environ.get("NBSECRETS_CONFIG")
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_config_dir("nbsecrets", appauthor=False)) / "config.toml"


def first_set(variables: tuple[str, ...]) -> tuple[str, str] | None:
    """(variable, value) of the first of `variables` set to something other than blanks."""
    for variable in variables:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def is_true(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on", "t", "y")


def team_defaults() -> dict[str, Any]:
    """The team store's options as the environment gives them; a configured store starts from these."""
    addr = first_set(ADDR_VARIABLES)
    namespace = first_set(NAMESPACE_VARIABLES)
    cacert = first_set(CACERT_VARIABLES)
    skip = first_set(SKIP_VERIFY_VARIABLES)
    return {
        "addr": addr[1] if addr else None,
        "mount": os.environ.get("NBSECRETS_TEAM_MOUNT", "").strip() or DEFAULT_MOUNT,
        "prefix": os.environ.get("NBSECRETS_TEAM_PREFIX", "").strip() or DEFAULT_PREFIX,
        "namespace": namespace[1] if namespace else None,
        "cacert": cacert[1] if cacert else None,
        "skip_verify": bool(skip and is_true(skip[1])),
        "token_file": None,
    }


def file_stores(path: Path | None = None) -> dict[str, dict[str, Any] | ConfigError]:
    """The `[stores.NAME]` tables of the config file, each checked: kind plus options, or what is wrong
    with that table (a mistake in one table is an error for that store only); {} without a file.

    A table that cannot be a store (a name that cannot name one, `local`) is
    there too, as its problem. ConfigError for a file that cannot be read as a
    whole (unreadable, not TOML, other top-level tables)."""
    path = config_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"The config file {shown_path(path)} cannot be read ({exc.strerror or exc}).") from None
    where = shown_path(path)
    document = _parse_toml(raw, where)
    unknown = sorted(set(document) - {"stores"})
    if unknown:
        raise ConfigError(f"{where}: unknown table {unknown[0]!r}; the file holds [stores.NAME] tables only.")
    stores = document.get("stores", {})
    if not isinstance(stores, dict):
        raise ConfigError(f"{where}: 'stores' must be tables, written [stores.NAME].")
    checked: dict[str, dict[str, Any] | ConfigError] = {}
    for name, table in stores.items():
        if not NAME_PATTERN.fullmatch(name):
            checked[name] = ConfigError(f"{where}: {name!r} is not a store name (letters, digits, '.', '_', '-'; up to 64).")
            continue
        if name == "local":
            checked[name] = ConfigError(f"{where} [stores.local]: 'local' is the vault on this machine and cannot be configured here.")
            continue
        try:
            checked[name] = _checked_store(f"{where} [stores.{name}]", table, path.parent)
        except ConfigError as problem:
            checked[name] = problem
    return checked


def _parse_toml(raw: bytes, where: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        # The parser's message names a line and column, never the text found there.
        raise ConfigError(f"{where} is not valid TOML: {exc}.") from None


def _checked_store(label: str, table: Any, folder: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{label} must be a table of options.")
    tokenish = [key for key in table if any(word in str(key).lower() for word in _TOKENISH) and key != "token_file"]
    if tokenish:
        raise ConfigError(
            f"{label} holds {tokenish[0]!r}: the config file never holds a token. "
            "Set NBSECRETS_TEAM_TOKEN (or BAO_TOKEN, VAULT_TOKEN), or name a token_file."
        )
    kind = table.get("kind", TEAM_KIND)
    kind = KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    if kind != TEAM_KIND:
        raise ConfigError(f"{label}: kind must be 'openbao' or 'vault', not {kind!r}.")
    unknown = sorted(set(table) - {"kind", *TEAM_OPTIONS})
    if unknown:
        raise ConfigError(f"{label}: unknown option {unknown[0]!r}; the options are {', '.join(TEAM_OPTIONS)}.")
    options: dict[str, Any] = {}
    for key, value in table.items():
        if key == "kind":
            continue
        wanted = bool if key == "skip_verify" else str
        if not isinstance(value, wanted):
            raise ConfigError(f"{label}: {key} must be {'true or false' if wanted is bool else 'a string'}.")
        options[key] = value
    if "token_file" in options:  # a relative path is the config file's neighbour, wherever the notebook runs
        options["token_file"] = str(folder / Path(options["token_file"]).expanduser())
    return {"kind": kind, **options}


def team_options(overrides: Mapping[str, Any] = {}) -> dict[str, Any]:
    """A team store's options: the environment's, with what a config file set for it on top.

    `environment_token` says whether the tokens of the environment (and `bao
    login`'s token file) are for this store: only when it talks to the server
    the environment names, and trusts it as the environment does (a table may
    not turn verification off, or name another CA, and still get the token).
    A config file naming another server must never be handed the user's
    token; that store's token comes from its `token_file`.
    """
    defaults = team_defaults()
    options = {**defaults, **{key: value for key, value in overrides.items() if key != "kind"}}
    options["mount"] = str(options["mount"]).strip("/")
    options["prefix"] = str(options["prefix"]).strip("/")
    if isinstance(options["addr"], str):
        options["addr"] = options["addr"].strip().rstrip("/")
    options["environment_token"] = (
        bool(defaults["addr"])
        and options["addr"] == str(defaults["addr"]).strip().rstrip("/")
        and (options["cacert"], options["skip_verify"]) == (defaults["cacert"], defaults["skip_verify"])
    )
    return options


def environment_token_files() -> set[Path]:
    """The token files that hold the environment's token (a store on another server may not name them)."""
    named = os.environ.get(TOKEN_FILE_VARIABLE, "").strip()
    return {Path(DEFAULT_TOKEN_FILE).expanduser().resolve(), *([Path(named).expanduser().resolve()] if named else [])}


class Token:
    """A token and where it came from (a variable's name or a file's path), which messages may show."""

    def __init__(self, value: str, source: str) -> None:
        self.value = value
        self.source = source

    def __repr__(self) -> str:
        return f"<Token from {self.source}>"


def find_token(token_file: str | None = None, *, environment: bool = True) -> Token | None:
    """The token: a store's own `token_file` if it names one; else, for the server the environment
    names, the first of NBSECRETS_TEAM_TOKEN, BAO_TOKEN, VAULT_TOKEN, else the token file
    (NBSECRETS_TEAM_TOKEN_FILE, or `bao login`'s ~/.vault-token).

    Whatever is found is registered for masking: a token printed by accident
    leaks as much as any secret it opens.
    """
    if token_file:
        return _token_in(Path(token_file).expanduser(), private=True)
    if not environment:
        return None
    for variable in TOKEN_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            registry.add(value, variable)
            return Token(value, variable)
    return _token_in(Path(os.environ.get(TOKEN_FILE_VARIABLE, "").strip() or DEFAULT_TOKEN_FILE).expanduser())


def _token_in(path: Path, *, private: bool = False) -> Token | None:
    """The token in `path`. A store's own `token_file` (named in a config file, which may have come
    from someone else) must be the user's own private file, so the file cannot name, say, a service
    account's token that others may read, and have it sent to the server it names."""
    try:
        if private:
            status = path.stat()
            if status.st_uid != os.getuid() or status.st_mode & 0o077:
                raise ConfigError(
                    f"The token_file {shown_path(path)} must be a file of yours that only you can read "
                    "(chmod 600); it is not used."
                )
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not value:
        return None
    registry.add(value, "VAULT_TOKEN")
    return Token(value, shown_path(path))


def register_tokens() -> None:
    """Mask every team token the process could use, before any team operation reads one.

    A hub hands the token over in the environment, so it is there to be
    printed (`%env`, `os.environ`) before the notebook ever names a team store.
    """
    for variable in TOKEN_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            registry.add(value, variable)
    find_token()  # the token file, when no variable holds one
