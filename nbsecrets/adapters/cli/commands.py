"""One function per subcommand: read the parsed arguments, call the store, confirm with key names."""

from __future__ import annotations

import argparse
import sys

from ...core.assignments import create_from_arguments, update_from_arguments
from ...core.errors import NbSecretsError, SecretNotFoundError
from ...core.store import get_store
from . import console
from .console import UsageError
from .values import SUPPLIERS, value_tokens


def checked_name(text: str) -> str:
    """A NAME holding '=' is a KEY=VALUE in the wrong place: refuse it without echoing it back."""
    if "=" in text:
        raise UsageError("NAME comes first and cannot hold '=', e.g. nbsecrets create openai OPENAI_API_KEY")
    return text


def create(args: argparse.Namespace) -> int:
    store, name = get_store(), checked_name(args.name)
    existed = args.force and store.exists(name)
    info = create_from_arguments(store, name, value_tokens(args.sources), overwrite=args.force, **SUPPLIERS)
    print(f"{'Replaced' if existed else 'Created'} secret {name!r} with keys: {', '.join(info.keys)}"
          + console.settings_note(info))
    return 0


def update(args: argparse.Namespace) -> int:
    name = checked_name(args.name)
    info, changed = update_from_arguments(get_store(), name, value_tokens(args.sources), **SUPPLIERS)
    done = f": set {', '.join(changed)}" if changed else ""
    print(f"Updated secret {name!r}{done}; keys now: {', '.join(info.keys)}" + console.settings_note(info))
    return 0


def templates(args: argparse.Namespace) -> int:
    from ..listing import templates_table

    print(templates_table())
    return 0


def list_secrets(args: argparse.Namespace) -> int:
    infos = get_store().list()
    if args.json:
        console.print_json([console.info_json(info) for info in infos])
    elif infos:
        console.print_table(infos)
    else:
        print("No secrets yet. Create one with: nbsecrets create NAME KEY")
    return 0


def show(args: argparse.Namespace) -> int:
    info = get_store().info(checked_name(args.name))
    if args.json:
        console.print_json(console.info_json(info))
    else:
        console.print_info(info)
    return 0


def delete(args: argparse.Namespace) -> int:
    store, name = get_store(), checked_name(args.name)
    try:
        info = store.info(name)
    except SecretNotFoundError:
        if not args.allow_missing:
            raise
        print(f"No secret named {name!r}; nothing deleted.")
        return 0
    question = f"Delete secret {name!r} (keys: {', '.join(info.keys)})? [y/N] "
    refusal = f"Not deleting {name!r}: no answer on stdin. Pass -y to delete without asking."
    if not args.yes and not confirm(question, refusal):
        print("Not deleted.")
        return 1
    deleted = store.delete(name, allow_missing=args.allow_missing)
    print(f"Deleted secret {name!r}." if deleted else f"No secret named {name!r}; nothing deleted.")
    return 0


def confirm(question: str, refusal: str) -> bool:
    """Consent must be typed: a closed or empty stdin refuses (with `refusal`) rather than guesses.
    The question is for a person, so it is shown only on a terminal."""
    if sys.stdin is None:
        raise NbSecretsError(refusal)
    interactive = sys.stdin.isatty()
    if interactive:
        sys.stderr.write(question)
        sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        if interactive:
            sys.stderr.write("\n")  # Ctrl-D left the cursor after the question
        raise NbSecretsError(refusal)
    return answer.strip().lower() in ("y", "yes")


def rotate_key(args: argparse.Namespace) -> int:
    from ...core.store.keys import key_dir

    store = get_store()
    source = store.rotate_key()
    if source is None:
        print(f"No vault at {store.path} yet; nothing to rotate.")
        return 0
    where = {"keyring": "kept in the OS keyring", "passphrase": "derived from NBSECRETS_PASSPHRASE"}
    print(f"Re-encrypted the vault under a new key, {where.get(source, f'kept in a key file in {key_dir()}')}; "
          "the old key was removed.")
    return 0
