"""`%secret` and `%%with_secrets`: the notebook face of the core.

Each subcommand hands its words to the same core functions as the command
line and prints the same texts (`adapters.texts`); nothing here decides
anything the core does not. A failure is one line, `nbsecrets: error: ...`,
sent as an error output, so the cell fails, "Run all" stops, and papermill,
nbconvert and JupyterLab all show why. Magic lines are never `$`-expanded:
`KEY=$VAR` must reach the core unexpanded, and a Python variable must not be
pasted into the line.

Each subcommand imports the core modules it uses when it first runs: the
stores, the environment and the write paths are not needed to register the
magics, and `%load_ext nbsecrets` should cost little more than the output
masking it installs (bench/bench_load_ext.py).
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand

from ...core.display import shown
from ...core.errors import CancelledError, NbSecretsError
from ...core.masking import get_masker, mask
from ...core.source_spec import USAGE as SOURCES_USAGE
from ...core.source_spec import parse_sources
from .. import texts

if TYPE_CHECKING:
    from ...core.assignments import Suppliers
    from ...core.store.base import SecretInfo

SECRET_USAGE = f"""Manage secrets: named sets of environment variables, kept encrypted.

  %secret create [STORE:]NAME [KEY | KEY=$VAR | KEY=VALUE]... [--from-dotenv PATH]
                 [--from-json PATH] [--template T] [--setting KEY[,KEY...]]
                 [--secret KEY[,KEY...]] [--store STORE] [--force] [--allow-empty]
        KEY alone asks for the value with a hidden prompt; KEY=$VAR takes it
        from the kernel's environment; an inline KEY=VALUE works but leaves the
        value in the notebook and in IPython's history. Empty values are
        refused unless --allow-empty.
        Every key is a secret (masked in all output) unless it is a setting:
        --setting PGHOST,PGPORT marks some (a template marks its own);
        --secret KEY keeps a template's setting masked.
  %secret update [STORE:]NAME [same forms]   add or replace some keys; --setting KEY
                                        and --secret KEY move existing keys
                                        between settings and secrets
  %secret list [--json] [--store STORE] names, keys, settings, last update
  %secret show [STORE:]NAME [--json]    keys, which are settings, timestamps
  %secret delete [STORE:]NAME [--yes] [--allow-missing] [--keep-versions]
                                        asks first unless --yes; in a team store removes
                                        every version unless --keep-versions
  %secret stores                        the configured stores and whether they answer
  %secret templates                     the services --template knows, and their settings
  %secret load SOURCE...                into os.environ for the rest of the session
  %secret unload [SOURCE...]            put back what load replaced (all by default)
  %secret status                        each loaded key, its source, what it overrode
  %secret mask VARIABLE                 mask the value of a variable in all output
  %secret mask --literal VALUE          mask a value typed here (it stays in the cell's source)
  %secret help                          this text

Sources, applied in the order written, the later winning:
  {SOURCES_USAGE}

  %%with_secrets SOURCE...              run one cell with the sources loaded,
                                        then restore the environment exactly
"""

NO_STDIN = (
    "This kernel cannot prompt for a value (it has no stdin, e.g. under nbclient or papermill). "
    "Create the secret from a terminal with `nbsecrets create NAME KEY`, "
    "or pass KEY=$VAR to take the value from the kernel's environment."
)


class SecretMagicError(UsageError):
    """A %secret failure. IPython shows a UsageError only on stderr, which papermill and nbclient
    do not report; a subclass with its own one-line traceback is sent as an error output."""

    def _render_traceback_(self) -> list[str]:
        return [get_masker().mask(texts.error_line(str(self)))]


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise SecretMagicError(f"Cannot parse the line: {exc}.") from None


def _options(
    command: str, words: Sequence[str], *, flags: Sequence[str] = (), values: Sequence[str] = ()
) -> tuple[list[str], dict[str, Any]]:
    """The plain words and the options of a small subcommand (`--flag`, `--option VALUE`, `--option=VALUE`)."""
    plain: list[str] = []
    chosen: dict[str, Any] = {}
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        option, has_value, value = word.partition("=")
        if option in values:
            if not has_value:
                if position >= len(words):
                    raise SecretMagicError(f"{option} needs a value.")
                value, position = words[position], position + 1
            chosen[option] = value
        elif word in flags:
            chosen[word] = True
        elif option in flags:
            raise SecretMagicError(f"{option} takes no value.")
        elif word.startswith("-"):
            from ...core.suggestions import close_matches

            known = [*flags, *values]
            near = close_matches(option, known)
            hint = f" Did you mean {' or '.join(near)}?" if near else (f" It takes: {', '.join(known)}." if known else "")
            raise SecretMagicError(f"%secret {command} has no option {shown(option)!r}.{hint}")
        else:
            plain.append(word)
    return plain, chosen


@magics_class
class SecretMagics(Magics):
    """The %secret line magic and the %%with_secrets cell magic."""

    @no_var_expand
    @line_magic
    def secret(self, line: str) -> None:
        words = _split(line)
        if not words or words[0] in ("help", "-h", "--help"):
            print(SECRET_USAGE)
            return
        command, args = words[0], words[1:]
        if {"-h", "--help"} & set(args):
            print(SECRET_USAGE)
            return
        handler: Callable[[list[str]], None] | None = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            from ...core.suggestions import close_matches

            raise SecretMagicError(texts.unknown_command(command, close_matches(command, _subcommands()), f"{texts.MAGIC} help"))
        try:
            handler(args)
        except NbSecretsError as exc:
            raise SecretMagicError(str(exc)) from None
        except OSError as exc:
            raise SecretMagicError(texts.os_failure(exc)) from None

    secret.__doc__ = SECRET_USAGE

    @no_var_expand
    @cell_magic
    def with_secrets(self, line: str, cell: str) -> None:
        """Run the cell with SOURCE... in os.environ, restoring the environment exactly afterwards.

        %%with_secrets SOURCE...
        """
        from ...core import environment
        from .cell_body import as_this_cell

        try:
            block = environment.with_secrets(*parse_sources(_split(line), self.shell.user_ns))
            block.__enter__()
        except NbSecretsError as exc:
            raise SecretMagicError(str(exc)) from None
        try:
            with as_this_cell(self.shell, f"%%with_secrets {line}".rstrip()) as outer:
                result = self.shell.run_cell(cell)
        finally:
            block.__exit__(None, None, None)
        error = result.error_before_exec or result.error_in_exec
        # The traceback is already shown; failing this cell too makes "Run all" stop here.
        if error is not None and not outer.fail_with(error):
            raise SecretMagicError(f"The cell raised {type(error).__name__}; the environment was restored.")

    # -- how this shell gets values ---------------------------------------------

    @property
    def _in_kernel(self) -> bool:
        return getattr(self.shell, "kernel", None) is not None

    def _suppliers(self) -> Suppliers:
        """Where values come from here: a hidden prompt, or the kernel's environment."""
        from ...core.assignments import Suppliers

        return Suppliers(ask=self._ask, environ=os.environ, on_inline=self._warn_inline)

    def _ask(self, key: str) -> str:
        import getpass

        try:
            return getpass.getpass(texts.value_prompt(key))
        except StdinNotImplementedError:
            raise SecretMagicError(NO_STDIN) from None
        except (EOFError, KeyboardInterrupt):
            self._end_prompt_line()
            raise CancelledError(texts.cancelled_at(key)) from None

    def _end_prompt_line(self) -> None:
        """In a terminal the cursor is still after the prompt (a kernel's frontend ends the line itself)."""
        if not self._in_kernel:
            sys.stderr.write("\n")

    @property
    def _source_place(self) -> str:
        """Where a value typed into a magic line stays."""
        return "this cell's source" if self._in_kernel else "IPython's history"

    def _warn_inline(self, keys: list[str]) -> None:
        where = "this notebook's source and IPython's history" if self._in_kernel else "IPython's history"
        line = texts.inline_values(keys, where, "KEY=$VAR to take it from the environment")
        print(texts.warning_line(line), file=sys.stderr)

    def _confirm_delete(self, info: SecretInfo) -> bool:
        try:
            answer = input(texts.delete_question(info))
        except StdinNotImplementedError:
            raise SecretMagicError(texts.no_answer(info.reference, "--yes")) from None
        except (EOFError, KeyboardInterrupt):
            self._end_prompt_line()
            raise CancelledError(texts.NOT_DELETED) from None
        return answer.strip().lower() in ("y", "yes")

    # -- subcommands ----------------------------------------------------------

    def _cmd_create(self, args: list[str]) -> None:
        from ...core.assignments import create_secret, parse_write

        print(texts.written(create_secret(parse_write("create", args), self._suppliers()), "create"))

    def _cmd_update(self, args: list[str]) -> None:
        from ...core.assignments import parse_write, update_secret

        print(texts.written(update_secret(parse_write("update", args), self._suppliers()), "update"))

    def _cmd_list(self, args: list[str]) -> None:
        from ...core.store import get_store

        plain, options = _options("list", args, flags=("--json",), values=("--store",))
        if plain:
            raise SecretMagicError("%secret list takes no names; use %secret show NAME for one secret.")
        store = get_store(options.get("--store"))
        infos = store.list()
        if options.get("--json"):
            print(texts.json_text([texts.info_json(info) for info in infos]))
        elif infos:
            print(texts.secrets_table(infos))
        else:
            print(texts.no_secrets(texts.MAGIC, store.name))

    def _named(self, command: str, args: list[str], **kinds: Sequence[str]) -> tuple[str | None, str, dict[str, Any]]:
        from ...core.store.base import one_store, split_reference

        plain, options = _options(command, args, values=("--store", *kinds.get("values", ())), flags=kinds.get("flags", ()))
        if len(plain) != 1:
            raise SecretMagicError(f"Name one secret, e.g. %secret {command} openai-keys.")
        named, name = split_reference(plain[0])
        return one_store(named, options.get("--store")), name, options

    def _cmd_show(self, args: list[str]) -> None:
        from ...core.store import get_store
        from ...core.store.base import shown_info

        store, name, options = self._named("show", args, flags=("--json",))
        info = shown_info(get_store(store), name)
        print(texts.json_text(texts.info_json(info)) if options.get("--json") else texts.secret_details(info))

    def _cmd_delete(self, args: list[str]) -> None:
        from ...core.deletion import delete_secret
        from ...core.store import get_store, reference

        store_name, name, options = self._named("delete", args, flags=("--yes", "-y", "--allow-missing", "--keep-versions"))
        store = get_store(store_name)
        asking = not (options.get("--yes") or options.get("-y"))
        outcome = delete_secret(
            store,
            name,
            confirm=self._confirm_delete if asking else None,
            allow_missing=bool(options.get("--allow-missing")),
            keep_versions=bool(options.get("--keep-versions")),
        )
        print(texts.deleted(outcome, reference(store.name, name)))

    def _cmd_stores(self, args: list[str]) -> None:
        from ...core.store.kinds import report_stores

        self._no_args("stores", args)
        print(texts.stores_table(report_stores()))

    def _cmd_templates(self, args: list[str]) -> None:
        self._no_args("templates", args)
        print(texts.templates_table())

    def _cmd_load(self, args: list[str]) -> None:
        from ...core import environment

        if not args:
            raise SecretMagicError(f"Name what to load: %secret load SOURCE...   where SOURCE is {SOURCES_USAGE}")
        print(texts.loaded(environment.load(*parse_sources(args, self.shell.user_ns))))

    def _cmd_unload(self, args: list[str]) -> None:
        from ...core import environment
        from ...core.store.base import canonical

        known = environment.session.sources()
        unknown = [name for name in args if canonical(name) not in known]
        if unknown:
            raise SecretMagicError(texts.not_loaded(unknown, known))
        print(texts.unloaded(environment.unload(*args)))

    def _cmd_status(self, args: list[str]) -> None:
        from ...core import environment

        self._no_args("status", args)
        print(texts.status(environment.status(), texts.MAGIC))

    def _cmd_mask(self, args: list[str]) -> None:
        plain, options = _options("mask", args, flags=("--literal",))
        if len(plain) != 1:
            raise SecretMagicError("Name one variable: %secret mask VARIABLE, or %secret mask --literal VALUE.")
        word, literal = plain[0], bool(options.get("--literal"))
        if literal:
            value, label = word, "the value"
        elif word.isidentifier() and word in self.shell.user_ns:
            value, label = self.shell.user_ns[word], word
            if not isinstance(value, str):
                raise SecretMagicError(f"{word} is not a string (it is {type(value).__name__}); %secret mask takes a string.")
        else:
            raise SecretMagicError(
                # Not echoed: the word may be the very value someone meant to mask.
                "No variable has that name; nothing was masked. To mask text typed here, "
                f"use %secret mask --literal VALUE (the value then stays in {self._source_place})."
            )
        will_mask = mask(value, None if literal else word)
        if not will_mask and not literal:
            get_masker().mark_told(word)  # said just below; the notice after the cell would say it again
        print(texts.masked(label, will_mask, get_masker().config.min_length, literal=literal, source=self._source_place))

    def _cmd_panel(self, args: list[str]) -> None:
        self._no_args("panel", args)
        from IPython.display import display

        from ..widgets import make_panel

        display(make_panel())

    @staticmethod
    def _no_args(command: str, args: list[str]) -> None:
        if args:
            raise SecretMagicError(f"%secret {command} takes no arguments.")


def _subcommands() -> list[str]:
    """The %secret subcommands: each `_cmd_NAME` method, and help."""
    return [name.removeprefix("_cmd_") for name in dir(SecretMagics) if name.startswith("_cmd_")] + ["help"]

