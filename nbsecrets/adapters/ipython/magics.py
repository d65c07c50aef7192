"""`%secret` and `%%with_secrets`: the notebook face of the core.

Each subcommand parses its words and calls the same core functions as the
command line; nothing here decides anything the core does not. Errors become
one-line UsageErrors (the cell fails, so "Run all" stops, and no traceback
is shown). Magic lines are never `$`-expanded: `KEY=$VAR` must reach us
unexpanded, and a Python variable must not be pasted into the line.
"""

from __future__ import annotations

import getpass
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Callable

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand

from ...core import environment
from ...core.assignments import create_from_arguments, update_from_arguments
from ...core.errors import NbSecretsError
from ...core.registry import registry
from ...core.source_spec import USAGE as SOURCES_USAGE
from ...core.source_spec import parse_sources

if TYPE_CHECKING:
    from ...core.store import SecretInfo

SECRET_USAGE = f"""Manage secrets: named sets of environment variables, kept encrypted.

  %secret create NAME [KEY | KEY=$VAR | KEY=VALUE]... [--from-dotenv PATH]
                 [--from-json PATH] [--template T] [--setting KEY[,KEY...]]
                 [--secret KEY[,KEY...]] [--force]
        KEY alone asks for the value with a hidden prompt; KEY=$VAR takes it
        from the kernel's environment; an inline KEY=VALUE works but leaves the
        value in the notebook and in IPython's history.
        Every key is a secret (masked in all output) unless it is a setting:
        --setting PGHOST,PGPORT marks some (a template marks its own);
        --secret KEY keeps a template's setting masked.
  %secret update NAME [same forms]      add or replace some keys; --setting KEY
                                        and --secret KEY move existing keys
                                        between settings and secrets
  %secret list                          names, keys, settings, last update
  %secret show NAME                     keys, which are settings, timestamps
  %secret delete NAME [--yes]           asks first unless --yes
  %secret templates                     the services --template knows, and their settings
  %secret load SOURCE...                into os.environ for the rest of the session
  %secret unload [SOURCE...]            put back what load replaced (all by default)
  %secret status                        each loaded key, its source, what it overrode
  %secret mask VALUE_OR_VARIABLE        mask one more value in all output
  %secret panel                         the widget panel
  %secret help                          this text

Sources, applied in the order written, the later winning:
  {SOURCES_USAGE}

  %%with_secrets SOURCE...              run one cell with the sources loaded,
                                        then restore the environment exactly
"""

NO_STDIN = (
    "This kernel cannot prompt for a value (it has no stdin, e.g. nbclient or papermill). "
    "Create the secret from a terminal with `nbsecrets create NAME KEY`, or with `%secret panel`, "
    "or pass KEY=$VAR to take the value from the kernel's environment."
)


def _store() -> Any:
    """The store, imported on first use so that %load_ext stays quick."""
    from ...core.store import get_store

    return get_store()


def _fail(message: str) -> UsageError:
    return UsageError(message)


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise _fail(f"Cannot parse the line: {exc}.") from None


def _warn_inline(keys: list[str]) -> None:
    print(
        f"Warning: the value of {', '.join(keys)} is now in this notebook's source and IPython's history. "
        "Write KEY alone to be prompted, or KEY=$VAR, and clear this cell.",
        file=sys.stderr,
    )


def _settings_note(info: "SecretInfo") -> str:
    """Which keys are left unmasked, said each time a secret is written, so nobody is surprised later."""
    return f" Settings (not masked): {', '.join(info.settings)}." if info.settings else ""


def _ask(key: str) -> str:
    try:
        return getpass.getpass(f"{key}: ")
    except StdinNotImplementedError:
        raise _fail(NO_STDIN) from None


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
        handler: Callable[[list[str]], None] | None = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            raise _fail(f"Unknown subcommand {command!r}; see %secret help.")
        try:
            handler(args)
        except NbSecretsError as exc:
            raise _fail(str(exc)) from None

    secret.__doc__ = SECRET_USAGE

    @no_var_expand
    @cell_magic
    def with_secrets(self, line: str, cell: str) -> None:
        """Run the cell with SOURCE... in os.environ, restoring the environment exactly afterwards.

        %%with_secrets SOURCE...
        """
        try:
            block = environment.with_secrets(*parse_sources(_split(line), self.shell.user_ns))
            block.__enter__()
        except NbSecretsError as exc:
            raise _fail(str(exc)) from None
        try:
            result = self.shell.run_cell(cell)
        finally:
            block.__exit__(None, None, None)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            # The traceback is already shown; failing this cell too makes "Run all" stop here.
            raise _fail(f"The cell raised {type(error).__name__}; the environment was restored.")

    # -- subcommands ----------------------------------------------------------

    def _arguments(self, args: list[str]) -> tuple[str, list[str], bool]:
        """NAME, the words for the core (values, --template, --setting, --secret), and --force."""
        if not args or args[0].startswith("-"):
            raise _fail("Name the secret first, e.g. %secret create openai-keys OPENAI_API_KEY.")
        name, rest = args[0], args[1:]
        force = "--force" in rest
        tokens = [word for word in rest if word != "--force"]
        if not tokens:
            raise _fail("Give at least one KEY, KEY=$VAR, --from-dotenv PATH, --from-json PATH or --template.")
        return name, tokens, force

    @staticmethod
    def _suppliers() -> dict[str, Any]:
        """Where values come from in a notebook: a hidden prompt, or the kernel's environment."""
        return {"ask": _ask, "environ": os.environ, "on_inline": _warn_inline}

    def _cmd_create(self, args: list[str]) -> None:
        name, tokens, force = self._arguments(args)
        info = create_from_arguments(_store(), name, tokens, overwrite=force, **self._suppliers())
        print(f"Created secret {info.name!r} with {', '.join(info.keys)}.{_settings_note(info)}")

    def _cmd_update(self, args: list[str]) -> None:
        name, tokens, _ = self._arguments(args)
        info, changed = update_from_arguments(_store(), name, tokens, **self._suppliers())
        done = f": set {', '.join(changed)}" if changed else ""
        print(f"Updated secret {info.name!r}{done}; keys now {', '.join(info.keys)}.{_settings_note(info)}")

    def _cmd_list(self, args: list[str]) -> None:
        self._no_args("list", args)
        infos = _store().list()
        if not infos:
            print("No secrets yet. Create one with %secret create NAME KEY.")
            return
        from ..listing import secrets_table

        print(secrets_table(infos))

    def _cmd_show(self, args: list[str]) -> None:
        if len(args) != 1:
            raise _fail("Usage: %secret show NAME")
        from ..listing import local_time

        info = _store().info(args[0])
        width = max(len(key) for key in info.keys)
        print(f"Secret {info.name!r}")
        print(f"  created  {local_time(info.created_at)}")
        print(f"  updated  {local_time(info.updated_at)}")
        for key in info.keys:
            shown = "setting (not masked)" if info.is_setting(key) else "******** (masked)"
            print(f"  {key.ljust(width)}  {shown}")

    def _cmd_delete(self, args: list[str]) -> None:
        names = [word for word in args if word not in ("--yes", "-y")]
        if len(names) != 1:
            raise _fail("Usage: %secret delete NAME [--yes]")
        name = names[0]
        store = _store()
        info = store.info(name)
        if "--yes" not in args and "-y" not in args:
            try:
                answer = input(f"Delete secret {name!r} ({', '.join(info.keys)})? [y/N] ")
            except StdinNotImplementedError:
                raise _fail("This kernel cannot ask for confirmation; add --yes to delete.") from None
            if answer.strip().lower() not in ("y", "yes"):
                print("Not deleted.")
                return
        store.delete(name)
        print(f"Deleted secret {name!r}.")

    def _cmd_templates(self, args: list[str]) -> None:
        self._no_args("templates", args)
        from ..listing import templates_table

        print(templates_table())

    def _cmd_load(self, args: list[str]) -> None:
        if not args:
            raise _fail(f"Usage: %secret load SOURCE...   where SOURCE is {SOURCES_USAGE}")
        report = environment.load(*parse_sources(args, self.shell.user_ns))
        print(f"Loaded {len(report)} key{'s' if len(report) != 1 else ''}:\n{report}")

    def _cmd_unload(self, args: list[str]) -> None:
        known = environment.session.sources()
        unknown = [name for name in args if name not in known]
        if unknown:
            listed = ", ".join(known) if known else "none"
            raise _fail(f"Not loaded: {', '.join(unknown)}. Loaded sources: {listed}.")
        changed = environment.unload(*args)
        print(f"Restored {', '.join(changed)}." if changed else "Nothing was loaded.")

    def _cmd_status(self, args: list[str]) -> None:
        self._no_args("status", args)
        report = environment.session.status()
        print(str(report) if report else "Nothing loaded. Use %secret load SOURCE...")

    def _cmd_mask(self, args: list[str]) -> None:
        if len(args) != 1:
            raise _fail("Usage: %secret mask VALUE_OR_VARIABLE")
        word = args[0]
        if word.isidentifier() and word in self.shell.user_ns:
            value = self.shell.user_ns[word]
            if not isinstance(value, str):
                raise _fail(f"{word} is a {type(value).__name__}; %secret mask takes a string variable or value.")
            registry.add(value, word)
            print(f"The value of {word} is now masked in all output.")
        else:
            registry.add(word, None)
            print("Masked. The value itself is in this cell's source: clear the cell, or pass a variable name.")

    def _cmd_panel(self, args: list[str]) -> None:
        raise _fail("The widget panel is not part of this version yet; use %secret create/list/load, or the nbsecrets CLI.")

    @staticmethod
    def _no_args(command: str, args: list[str]) -> None:
        if args:
            raise _fail(f"%secret {command} takes no arguments.")
