"""The command line: argparse for structure and help, the core for the words it cannot parse.

`create`/`update` merge `KEY` items and `--from-*` files in the order
written, and `run`'s sources look like options (`--dotenv`, `--env`), so the
words after those commands go to the core's parsers raw; their argparse
parsers exist to print help. `--store NAME` may stand before the command or
among its options.
"""

from __future__ import annotations

import argparse
import re
from typing import Any, Callable, NoReturn, Sequence

from ...core.display import words_after_a_value
from ...core.store.base import one_store
from ...core.suggestions import close_matches
from .. import texts
from . import commands
from .console import EXIT_USAGE, PROG, hide_pairs, usage_failure
from .run import EXIT_RUN_FAILED, run

RAW_COMMANDS = ("create", "update", "run")
"""Commands whose words after the command go to the core's parsers as they are."""
_VALUES_USAGE = (
    "[STORE:]NAME [KEY | KEY=- | KEY=VALUE | --from-dotenv PATH | --from-json PATH]... "
    "[--setting KEY[,KEY...]] [--secret KEY[,KEY...]] [--allow-empty]"
)


class _Version(argparse.Action):
    """`--version`, read from the package metadata only when asked (reading it costs more than a command)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from ...core.version import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(self, hide_value_words(hide_pairs(message), _words))


_words: list[str] = []
"""The command line being parsed, for `_Parser.error` (argparse does not pass it)."""
_SPLIT = re.compile(r"(\s+|,\s*|['\"])")


def hide_value_words(message: str, words: Sequence[str]) -> str:
    """No word from the first `KEY=VALUE` on comes back in a usage error: an unquoted value with
    spaces (`PASSWORD=correct horse battery`) reaches us as several words, and the rest of the
    value would be echoed as "unrecognized arguments"."""
    hidden = set(words_after_a_value(words))
    parts = _SPLIT.split(message)
    if not hidden & set(parts):
        return message
    shown = re.sub(r"\.\.\.(\s+\.\.\.)+", "...", "".join("..." if part in hidden else part for part in parts))
    return shown + " (words after a KEY=VALUE are not shown: they may be part of a value; quote a value that holds spaces)"


def _fail(parser: argparse.ArgumentParser, message: str, code: int = EXIT_USAGE) -> NoReturn:
    """A usage error in words of our own (argparse's go through `_Parser.error`, which hides pairs)."""
    usage_failure(parser, message)
    raise SystemExit(code)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parsed arguments with `handler` (the subcommand's function), `parser` (for usage errors) and `store`."""
    parser, subparsers = build_parser()
    words = list(argv)
    _words[:] = words
    store, words = _take_store(parser, words)
    command = next((word for word in words if not word.startswith("-")), None)
    if command is not None and command not in subparsers:
        _fail(parser, texts.unknown_command(command, close_matches(command, subparsers), f"{PROG} --help"))
    if words[:1] and words[0] in RAW_COMMANDS:
        name, rest = words[0], words[1:]
        subparser = subparsers[name]
        if name == "run":
            return _parse_run(subparser, rest, store)
        if {"-h", "--help"} & set(rest[: rest.index("--")] if "--" in rest else rest):
            subparser.print_help()
            subparser.exit()
        handler = commands.create if name == "create" else commands.update
        return argparse.Namespace(handler=handler, parser=subparser, words=rest, store=store, command=name)
    args = parser.parse_args(words)
    args.store = one_store(store, getattr(args, "store", None))
    return args


def _take_store(parser: argparse.ArgumentParser, words: list[str]) -> tuple[str | None, list[str]]:
    """`--store NAME` before the command (argparse would not let it reach a raw command's words)."""
    store = None
    while words and words[0].partition("=")[0] == "--store":
        _, has_value, value = words[0].partition("=")
        if not has_value:
            if len(words) < 2 or words[1].startswith("-"):
                _fail(parser, "argument --store: expected a store's name")
            value, words = words[1], words[1:]
        store, words = one_store(store, value), words[1:]
    return store, words


def _store_among(parser: argparse.ArgumentParser, words: list[str], store: str | None) -> tuple[list[str], str | None]:
    """`--store NAME` among run's sources, taken out (it names where bare names are looked up)."""
    kept: list[str] = []
    position = 0
    while position < len(words):
        option, has_value, value = words[position].partition("=")
        position += 1
        if option != "--store":
            kept.append(words[position - 1])
            continue
        if not has_value:
            if position >= len(words) or words[position].startswith("-"):
                _fail(parser, "argument --store: expected a store's name", EXIT_RUN_FAILED)
            value, position = words[position], position + 1
        store = one_store(store, value)
    return kept, store


def _parse_run(parser: argparse.ArgumentParser, tokens: list[str], store: str | None) -> argparse.Namespace:
    cut = tokens.index("--") if "--" in tokens else len(tokens)
    sources, command = tokens[:cut], tokens[cut + 1:]
    sources, store = _store_among(parser, sources, store)
    if {"-h", "--help"} & set(sources):
        parser.print_help()
        parser.exit()
    if cut == len(tokens):
        _fail(parser, "put -- between the sources and the command, e.g. nbsecrets run openai -- python train.py", EXIT_RUN_FAILED)
    if not sources:
        _fail(parser, "name at least one source before --", EXIT_RUN_FAILED)
    if not command:
        _fail(parser, "give a command after --", EXIT_RUN_FAILED)
    return argparse.Namespace(handler=run, parser=parser, sources=sources, command=command, store=store)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's (for help, usage errors and the raw commands)."""
    parser = _Parser(
        prog=PROG,
        description="Secrets as named sets of environment variables, encrypted in a local vault, "
        "for Jupyter (%secret, nbsecrets.load) and for any command (nbsecrets run).",
        epilog="example:\n  nbsecrets create openai OPENAI_API_KEY\n  nbsecrets run openai -- python train.py\n\n"
        "The vault lives in NBSECRETS_HOME. Its key is kept in the OS keyring, derived from\n"
        "NBSECRETS_PASSPHRASE, or kept in a file in NBSECRETS_KEY_DIR; NBSECRETS_KEY_SOURCE forces one.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--store", metavar="STORE", help="the store to use (default: local, the vault on this machine)")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add = _command_adder(subcommands)

    create = add("create", commands.create, "store a new secret",
                 "Store a new secret. Values merge in the order given; where two define a key, the later wins. "
                 "Every key is a secret (masked in output) unless it is a setting: --setting names some, "
                 "a --template marks its own, and --secret keeps one of those masked. Empty values are "
                 "refused unless --allow-empty.",
                 "nbsecrets create openai OPENAI_API_KEY\nnbsecrets create gcp GOOGLE_CREDENTIALS=- < service-account.json\n"
                 "nbsecrets create db --template postgres",
                 usage=f"%(prog)s {_VALUES_USAGE} [--template T] [--force]")
    _add_value_arguments(create)
    create.add_argument("--template", metavar="T",
                        help="prompt for the keys of a known service and mark its settings (see: nbsecrets templates)")
    create.add_argument("--force", action="store_true", help="replace the secret if it exists")
    update = add("update", commands.update, "add or replace some keys of a secret",
                 "Add or replace keys of an existing secret; the keys not named are kept, and keep being "
                 "a setting or a secret. --setting and --secret, with or without values, move keys between the two.",
                 "nbsecrets update openai OPENAI_ORG_ID --from-dotenv .env\nnbsecrets update db --setting PGHOST,PGPORT",
                 usage=f"%(prog)s {_VALUES_USAGE}")
    _add_value_arguments(update)
    add("templates", commands.templates, "list the services create --template knows",
        "List the templates of create --template: the keys each prompts for, and which are settings (not masked).",
        "nbsecrets templates")

    listing = add("list", commands.list_secrets, "list secrets: names, keys, settings, last update",
                  "List the stored secrets, their keys and which are settings; values are never shown.",
                  "nbsecrets list --json")
    listing.add_argument("--json", action="store_true", help="print a JSON list (times in ISO 8601, UTC)")
    _add_store_option(listing)
    show = add("show", commands.show, "show one secret's keys, settings and times",
               "Show one secret's keys, which are settings, and timestamps; values are never shown.",
               "nbsecrets show openai")
    show.add_argument("name", metavar="[STORE:]NAME")
    show.add_argument("--json", action="store_true", help="print a JSON object (times in ISO 8601, UTC)")
    _add_store_option(show)
    delete = add("delete", commands.delete, "delete a secret",
                 "Delete a secret, after asking (the answer is read from stdin). In a team store this "
                 "removes every version of it, unless --keep-versions.",
                 "nbsecrets delete openai -y\nnbsecrets delete team:db-creds --keep-versions")
    delete.add_argument("name", metavar="[STORE:]NAME")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask")
    delete.add_argument("--allow-missing", action="store_true", help="succeed when there is no such secret")
    delete.add_argument("--keep-versions", action="store_true",
                        help="team store: mark the current version deleted and keep the others (it can be undeleted)")
    _add_store_option(delete)
    add("stores", commands.stores, "list the configured stores and whether they answer",
        "List the stores that can be named: the local vault, the team store (from NBSECRETS_TEAM_ADDR, "
        "BAO_ADDR or VAULT_ADDR) and those in config.toml, with their kind, place, and whether they "
        "can be used now. No token and no value is shown.",
        "nbsecrets stores")
    rotate = add("rotate-key", commands.rotate_key, "re-encrypt the local vault under a new key",
                 "Re-encrypt the local vault under a new key, then remove the old key. The new key comes from "
                 "the preferred source (NBSECRETS_KEY_SOURCE, else NBSECRETS_PASSPHRASE, else the OS keyring, "
                 "else a key file), or from a new passphrase: --new-passphrase asks for it twice, or "
                 "NBSECRETS_NEW_PASSPHRASE gives it. To open a vault locked with a passphrase, "
                 "NBSECRETS_PASSPHRASE must hold the current one.",
                 "nbsecrets rotate-key --new-passphrase   # change the passphrase (or move to one)\n"
                 "NBSECRETS_KEY_SOURCE=keyring nbsecrets rotate-key   # move the key into the OS keyring")
    rotate.add_argument("--new-passphrase", action="store_true",
                        help="derive the new key from a new passphrase, asked for twice without echo")
    _add_store_option(rotate)
    add("run", run, "run a command with secrets in its environment",
        "Run COMMAND with the secrets in its environment, in order (the later wins), and exit with "
        "its status. A SOURCE is a secret's [STORE:]NAME, --dotenv [PATH] or --env KEY[,KEY...], each "
        "optionally followed by --required KEY[,KEY...].",
        "nbsecrets run openai --dotenv .env -- python train.py --epochs 3",
        usage="%(prog)s SOURCE... -- COMMAND [ARG...]")
    return parser, dict(subcommands.choices)


def _command_adder(subcommands: Any) -> Callable[..., argparse.ArgumentParser]:
    def add(name: str, handler: Callable[[argparse.Namespace], int], summary: str, description: str,
            examples: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser = subcommands.add_parser(
            name, help=summary, description=description, allow_abbrev=False,
            epilog="example:\n  " + examples.replace("\n", "\n  "),
            formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs,
        )
        parser.set_defaults(handler=handler, parser=parser)
        return parser

    return add


def _add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="STORE", default=argparse.SUPPRESS,
                        help="the store to use (default: local)")


def _add_value_arguments(parser: argparse.ArgumentParser) -> None:
    """What create and update take, for their --help (the core parses the words themselves)."""
    parser.add_argument("name", metavar="[STORE:]NAME", help="the secret's name: letters, digits, '.', '_' and '-'")
    parser.add_argument(
        "values", nargs="*", metavar="KEY[=-|=VALUE]",
        help="KEY prompts for the value without echo; KEY=- reads it from stdin (one per command); "
        "KEY=VALUE works but leaves the value in your shell history",
    )
    parser.add_argument("--from-dotenv", metavar="PATH", help="take the variables of a .env file")
    parser.add_argument("--from-json", metavar="PATH", help='take a JSON object {"KEY": "value", ...}')
    parser.add_argument("--setting", metavar="KEY[,KEY...]",
                        help="these keys are settings: loaded like any key, but their values are not masked "
                        "(repeatable; each must be a key of the secret)")
    parser.add_argument("--secret", metavar="KEY[,KEY...]",
                        help="these keys are secrets, masked in output (the default; turns a setting back into one)")
    parser.add_argument("--allow-empty", action="store_true", help="store empty values instead of refusing them")
    _add_store_option(parser)
