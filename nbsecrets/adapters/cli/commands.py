"""One function per subcommand: call the core, print what it did in the house's words."""

from __future__ import annotations

import argparse
import sys

from ...core.assignments import create_secret, parse_write, update_secret
from ...core.deletion import delete_secret
from ...core.errors import CancelledError, NbSecretsError
from ...core.store import get_store, reference, split_reference
from ...core.store.base import SecretInfo, one_store, shown_info
from .. import texts
from . import console
from .values import SUPPLIERS, ask_new_passphrase


def create(args: argparse.Namespace) -> int:
    outcome = create_secret(parse_write("create", args.words, store=args.store), SUPPLIERS)
    print(texts.written(outcome, "create"))
    return 0


def update(args: argparse.Namespace) -> int:
    outcome = update_secret(parse_write("update", args.words, store=args.store), SUPPLIERS)
    print(texts.written(outcome, "update"))
    return 0


def templates(args: argparse.Namespace) -> int:
    print(texts.templates_table())
    return 0


def list_secrets(args: argparse.Namespace) -> int:
    store = get_store(args.store)
    infos = store.list()
    if args.json:
        print(texts.json_text([texts.info_json(info) for info in infos]))
    elif infos:
        print(texts.secrets_table(infos))
    else:
        print(texts.no_secrets(texts.PROG, store.name))
    return 0


def _named(args: argparse.Namespace) -> tuple[str | None, str]:
    """[STORE:]NAME, with --store for a bare NAME."""
    named, name = split_reference(args.name)
    return one_store(named, args.store), name


def show(args: argparse.Namespace) -> int:
    store, name = _named(args)
    info = shown_info(get_store(store), name)
    if args.json:
        print(texts.json_text(texts.info_json(info)))
    else:
        print(texts.secret_details(info))
    return 0


def delete(args: argparse.Namespace) -> int:
    store_name, name = _named(args)
    store = get_store(store_name)
    outcome = delete_secret(
        store,
        name,
        confirm=None if args.yes else _confirm_delete,
        allow_missing=args.allow_missing,
        keep_versions=args.keep_versions,
    )
    print(texts.deleted(outcome, reference(store.name, name)))
    return 1 if outcome.result == "declined" else 0


def stores(args: argparse.Namespace) -> int:
    from ...core.store.kinds import report_stores

    print(texts.stores_table(report_stores()))
    return 0


def _confirm_delete(info: SecretInfo) -> bool:
    """Consent must be typed: a closed or empty stdin refuses rather than guesses.
    The question is for a person, so it is shown only on a terminal."""
    refusal = texts.no_answer(info.reference, "-y")
    if sys.stdin is None:
        raise NbSecretsError(refusal)
    interactive = sys.stdin.isatty()
    try:
        if interactive:
            sys.stderr.write(texts.delete_question(info))
            sys.stderr.flush()
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise CancelledError(texts.NOT_DELETED) from None
    if not answer:
        if interactive:
            sys.stderr.write("\n")  # Ctrl-D left the cursor after the question
            raise CancelledError(texts.NOT_DELETED)
        raise NbSecretsError(refusal)
    return answer.strip().lower() in ("y", "yes")


def rotate_key(args: argparse.Namespace) -> int:
    import os

    from ...core.display import shown_path
    from ...core.store.keys import check_passphrase, key_dir
    from ...core.store.local import LocalStore

    store = get_store(args.store)
    if not isinstance(store, LocalStore):
        raise console.UsageError(f"rotate-key is for the local vault; store {store.name!r} keeps its own keys")
    passphrase = os.environ.get("NBSECRETS_NEW_PASSPHRASE") or None
    if passphrase is not None:
        check_passphrase(passphrase, "NBSECRETS_NEW_PASSPHRASE")
    elif args.new_passphrase:
        if not store.path.exists():
            print(texts.nothing_to_rotate(shown_path(store.path)))
            return 0
        store.list()  # the current key must open the vault before anyone types a new passphrase
        passphrase = ask_new_passphrase()
    source = store.rotate_key(passphrase=passphrase)
    if source is None:
        print(texts.nothing_to_rotate(shown_path(store.path)))
        return 0
    print(texts.rotated(source, shown_path(key_dir()), new_passphrase=passphrase is not None))
    return 0
