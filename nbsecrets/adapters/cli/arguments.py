"""The command line: argparse for structure and help, plus the two things it cannot do.

argparse cannot interleave positionals with options, yet `create`/`update`
merge `KEY` items and `--from-*` files in command-line order, so what follows
NAME is read here (and handed, in order, to the core, which also reads
`--template`, `--setting` and `--secret`). And `run`'s sources look like options (`--dotenv`,
`--env`), so argparse never sees them.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, NoReturn, Sequence

from ... import __version__
from . import commands
from .console import EXIT_USAGE, PROG, hide_pairs, usage_failure
from .run import run

VALUE_OPTIONS = ("--from-dotenv", "--from-json", "--template", "--setting", "--secret")
"""Options of create/update that take one argument and keep their place among the KEY items."""
_VALUES_USAGE = (
    "NAME [KEY | KEY=- | KEY=VALUE | --from-dotenv PATH | --from-json PATH]... "
    "[--setting KEY[,KEY...]] [--secret KEY[,KEY...]]"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(self, hide_pairs(message))


def _fail(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """A usage error in words of our own (argparse's go through `_Parser.error`, which hides pairs)."""
    usage_failure(parser, message)
    raise SystemExit(EXIT_USAGE)


class _AddSource(argparse.Action):
    """Value options given before NAME join the same ordered list as what follows it."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        namespace.sources = [*(namespace.sources or []), (option_string, values)]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parsed arguments with `handler` (the subcommand's function) and `parser` (for usage errors)."""
    parser, run_parser = build_parser()
    if list(argv[:1]) == ["run"]:
        return _parse_run(run_parser, list(argv[1:]))
    args = parser.parse_args(argv)
    if hasattr(args, "values"):
        _read_values(args)
    return args


def _parse_run(parser: argparse.ArgumentParser, tokens: list[str]) -> argparse.Namespace:
    cut = tokens.index("--") if "--" in tokens else len(tokens)
    sources, command = tokens[:cut], tokens[cut + 1:]
    if {"-h", "--help"} & set(sources):
        parser.print_help()
        parser.exit()
    if cut == len(tokens):
        _fail(parser, "put -- between the sources and the command, e.g. nbsecrets run openai -- python train.py")
    if not sources:
        _fail(parser, "name at least one source before --")
    if not command:
        _fail(parser, "give a command after --")
    return argparse.Namespace(handler=run, parser=parser, sources=sources, command=command)


def _read_values(args: argparse.Namespace) -> None:
    """Turn what follows NAME into `args.sources`: ("item", "KEY[=...]") or (option, argument), in order."""
    parser, sources = args.parser, list(args.sources or [])
    tokens = iter(args.values)
    for token in tokens:
        option, has_value, value = token.partition("=")
        if token == "--":
            sources.extend(("item", rest) for rest in tokens)
        elif token in ("-h", "--help"):
            parser.print_help()
            parser.exit()
        elif token == "--force" and "force" in args:
            args.force = True
        elif option in VALUE_OPTIONS:
            argument = value if has_value else next(tokens, None)
            if argument is None or (not has_value and argument.startswith("-")):
                parser.error(f"argument {option}: expected one argument")
            sources.append((option, argument))
        elif token.startswith("-"):
            parser.error(f"unrecognized arguments: {token}")
        else:
            sources.append(("item", token))
    if not sources:
        _fail(parser, "nothing to store: give KEY, KEY=-, KEY=VALUE, --from-dotenv PATH or --from-json PATH")
    args.sources = sources


def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The top-level parser, and `run`'s (which `parse_args` uses directly)."""
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add = _command_adder(subcommands)

    create = add("create", commands.create, "store a new secret",
                 "Store a new secret. Values merge in the order given; where two define a key, the later wins. "
                 "Every key is a secret (masked in output) unless it is a setting: --setting names some, "
                 "a --template marks its own, and --secret keeps one of those masked.",
                 "nbsecrets create openai OPENAI_API_KEY\nnbsecrets create gcp GOOGLE_CREDENTIALS=- < service-account.json\n"
                 "nbsecrets create db --template postgres",
                 usage=f"%(prog)s {_VALUES_USAGE} [--template T] [--force]")
    _add_value_arguments(create)
    create.add_argument("--template", metavar="T", action=_AddSource,
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
    show = add("show", commands.show, "show one secret's keys, settings and times",
               "Show one secret's keys, which are settings, and timestamps; values are never shown.",
               "nbsecrets show openai")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print a JSON object (times in ISO 8601, UTC)")
    delete = add("delete", commands.delete, "delete a secret",
                 "Delete a secret, after asking (the answer is read from stdin).", "nbsecrets delete openai -y")
    delete.add_argument("name", metavar="NAME")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask")
    delete.add_argument("--allow-missing", action="store_true", help="succeed when there is no such secret")
    add("rotate-key", commands.rotate_key, "re-encrypt the vault under a new key",
        "Re-encrypt the vault under a new key from the preferred source, then remove the old key.",
        "NBSECRETS_PASSPHRASE=... nbsecrets rotate-key   # move the key from a file to a passphrase")
    run_parser = add("run", run, "run a command with secrets in its environment",
                     "Run COMMAND with the secrets in its environment, in order (the later wins), and exit with "
                     "its status. A SOURCE is a secret's NAME, --dotenv [PATH] or --env KEY[,KEY...], each "
                     "optionally followed by --required KEY[,KEY...].",
                     "nbsecrets run openai --dotenv .env -- python train.py --epochs 3",
                     usage="%(prog)s SOURCE... -- COMMAND [ARG...]")
    return parser, run_parser


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


def _add_value_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(sources=None)
    parser.add_argument("name", metavar="NAME", help="the secret's name: letters, digits, '.', '_' and '-'")
    parser.add_argument(
        "values", nargs=argparse.REMAINDER, metavar="KEY[=-|=VALUE]",
        help="KEY prompts for the value without echo; KEY=- reads it from stdin (one per command); "
        "KEY=VALUE works but leaves the value in your shell history",
    )
    parser.add_argument("--from-dotenv", metavar="PATH", action=_AddSource, help="take the variables of a .env file")
    parser.add_argument("--from-json", metavar="PATH", action=_AddSource, help='take a JSON object {"KEY": "value", ...}')
    parser.add_argument("--setting", metavar="KEY[,KEY...]", action=_AddSource,
                        help="these keys are settings: loaded like any key, but their values are not masked "
                        "(repeatable; each must be a key of the secret)")
    parser.add_argument("--secret", metavar="KEY[,KEY...]", action=_AddSource,
                        help="these keys are secrets, masked in output (the default; turns a setting back into one)")

