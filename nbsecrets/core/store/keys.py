"""Where a vault's key lives: a passphrase, the OS keyring, or a key file.

The vault header records which one a vault uses, so opening never guesses.
A new vault (or a rotated key) takes, unless NBSECRETS_KEY_SOURCE forces one:
NBSECRETS_PASSPHRASE if set, else the OS keyring if it really stores and
returns the key (keyring's fail and null backends do not), else a key file
kept apart from the vault, with a warning.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KeyUnavailableError, warn
from ..display import shown_path
from .files import DIR_MODE, FILE_MODE, ensure_private_dir, fsync_dir, make_private, replace_private

KEY_SOURCES = ("passphrase", "keyring", "file")
KEYRING_SERVICE = "nbsecrets"
KEY_BYTES = 32
SCRYPT_PARAMS = {"n": 2**17, "r": 8, "p": 1}

_cache: dict[tuple[Any, ...], bytes] = {}
_cache_lock = threading.Lock()
_warned: set[str] = set()


def key_id(key: bytes) -> str:
    """A public fingerprint of the key, stored in the header to tell a wrong key from damage."""
    return hashlib.sha256(b"nbsecrets key id\x00" + key).hexdigest()[:16]


@dataclass
class KeySpec:
    """What the header says about the key: enough to find it again."""

    source: str
    vault_id: str
    key_id: str
    kdf: dict[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> str:
        return f"vault-{self.vault_id}-{self.key_id}"


def key_dir() -> Path:
    """Where key files live: NBSECRETS_KEY_DIR, else the user config dir (apart from the vault)."""
    configured = os.environ.get("NBSECRETS_KEY_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("nbsecrets", appauthor=False)) / "keys"


def forced_source() -> str | None:
    value = os.environ.get("NBSECRETS_KEY_SOURCE", "").strip().lower()
    if not value:
        return None
    if value not in KEY_SOURCES:
        raise KeyUnavailableError(
            f"NBSECRETS_KEY_SOURCE must be one of {', '.join(KEY_SOURCES)}, not {value!r}."
        )
    return value


# -- passphrase ---------------------------------------------------------------


def _passphrase(variable: str = "NBSECRETS_PASSPHRASE") -> str | None:
    value = os.environ.get(variable) or None
    if value is not None:
        check_passphrase(value, variable)
    return value


def check_passphrase(passphrase: str, where: str) -> str:
    """A passphrase must be text: bytes that are not UTF-8 (os.environ keeps them as surrogates)
    would derive a key no other program, or a terminal, could type again."""
    try:
        passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyUnavailableError(f"{where} is not valid UTF-8 text; set it to a passphrase you can type.") from None
    return passphrase


def _nfc(passphrase: str) -> str:
    """The same passphrase typed on two systems can differ in Unicode form (macOS input gives
    decomposed accents); keys are derived from the composed (NFC) form."""
    return unicodedata.normalize("NFC", passphrase)


def _derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = base64.b64decode(kdf["salt"])
    secret = passphrase.encode("utf-8")
    cache_key = ("scrypt", salt, kdf["n"], kdf["r"], kdf["p"], hashlib.sha256(secret).digest())
    with _cache_lock:
        if cache_key in _cache:
            return _cache[cache_key]
    key = Scrypt(salt=salt, length=KEY_BYTES, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(secret)
    with _cache_lock:
        _cache[cache_key] = key
    return key


# -- keyring ------------------------------------------------------------------


def _keyring_backend() -> Any | None:
    """The keyring backend if it is a real one, else None (fail, null, or keyring missing)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except Exception:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    members = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    if not [m for m in members if not isinstance(m, (fail.Keyring, null.Keyring))]:
        return None
    return backend


def _warn_if_plaintext(backend: Any) -> None:
    from keyring.backends import chainer

    members = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    weak = [type(m).__name__ for m in members if "plaintext" in type(m).__name__.lower()]
    if weak and "plaintext-keyring" not in _warned:
        _warned.add("plaintext-keyring")
        warn(
            f"The keyring backend ({', '.join(weak)}) stores passwords without encryption; "
            "the vault key is only as safe as that file. Use a desktop keyring or set NBSECRETS_PASSPHRASE."
        )


def _store_in_keyring(spec: KeySpec, key: bytes) -> bool:
    """Store the key and read it back; False if the backend did not really keep it."""
    backend = _keyring_backend()
    if backend is None:
        return False
    encoded = base64.b64encode(key).decode()
    try:
        backend.set_password(KEYRING_SERVICE, spec.entry, encoded)
        stored = backend.get_password(KEYRING_SERVICE, spec.entry)
    except Exception:
        return False
    if stored != encoded:
        _forget_keyring(spec)
        return False
    _warn_if_plaintext(backend)
    return True


def _load_from_keyring(spec: KeySpec, vault: Path) -> bytes:
    backend = _keyring_backend()
    where = f"the OS keyring (service {KEYRING_SERVICE!r}, entry {spec.entry!r})"
    if backend is None:
        raise KeyUnavailableError(
            f"The key of the vault {shown_path(vault)} is kept in {where}, but no usable keyring is available "
            "in this process. Run where that keyring is reachable (or configure it with "
            "PYTHON_KEYRING_BACKEND); the vault was left untouched."
        )
    try:
        encoded = backend.get_password(KEYRING_SERVICE, spec.entry)
    except Exception as exc:
        raise KeyUnavailableError(f"Could not read {where}: {type(exc).__name__}. The vault {shown_path(vault)} was left untouched.") from None
    if encoded is None:
        raise KeyUnavailableError(
            f"The key of the vault {shown_path(vault)} was not found in {where}. Restore that entry to open "
            "the vault; nbsecrets will not replace a vault whose key is missing."
        )
    return _decode_key(encoded, where)


def _forget_keyring(spec: KeySpec) -> None:
    backend = _keyring_backend()
    if backend is None:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, spec.entry)
    except Exception:
        pass


# -- key file -----------------------------------------------------------------


def key_file_path(spec: KeySpec) -> Path:
    return key_dir() / f"{spec.entry}.key"


def _store_in_file(spec: KeySpec, key: bytes, *, chosen: bool) -> None:
    """Keep the key in a file; warn that this is weaker than a keyring unless the user chose it."""
    path = key_file_path(spec)
    ensure_private_dir(path.parent)
    replace_private(path, base64.b64encode(key) + b"\n")
    if not chosen and "key-file" not in _warned:
        _warned.add("key-file")
        where = "the folder NBSECRETS_KEY_DIR names" if os.environ.get("NBSECRETS_KEY_DIR") else shown_path(path.parent)
        warn(
            f"No OS keyring is available, so the vault key was saved in a key file in {where} (readable only by you). "
            "Anyone who can read that file can read your secrets. To do better, set NBSECRETS_PASSPHRASE "
            "or install a keyring backend, then run `nbsecrets rotate-key`."
        )


def _load_from_file(spec: KeySpec, vault: Path) -> bytes:
    path = key_file_path(spec)
    try:
        if path.parent.is_dir():
            make_private(path.parent, DIR_MODE)
        with open(path, "rb") as handle:
            make_private(path, FILE_MODE, st=os.fstat(handle.fileno()))
            encoded = handle.read().decode("ascii").strip()
    except FileNotFoundError:
        raise KeyUnavailableError(
            f"The key file of the vault {shown_path(vault)} was not found at {shown_path(path)}. Restore it (or set "
            "NBSECRETS_KEY_DIR to where it is); nbsecrets will not replace a vault whose key is missing."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyUnavailableError(f"Cannot read the key file {shown_path(path)}: {exc}.") from None
    return _decode_key(encoded, shown_path(path))


def _decode_key(encoded: str, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyUnavailableError(f"The key in {where} is not a valid nbsecrets key.")
    return key


# -- the two operations the store needs ---------------------------------------


def new_key(vault_id: str, *, passphrase: str | None = None) -> tuple[bytes, KeySpec]:
    """Make and keep a key for a new vault (or a rotation), from the preferred source,
    or derived from `passphrase` when one is given (a change of passphrase)."""
    forced = forced_source()
    if passphrase is not None:
        check_passphrase(passphrase, "The new passphrase")
        if not passphrase.strip():
            raise KeyUnavailableError("The new passphrase is empty or only spaces; choose a real passphrase.")
    elif forced == "passphrase" or (forced is None and _passphrase()):
        passphrase = _passphrase()
    if passphrase is not None or forced == "passphrase":
        if passphrase is None:
            raise KeyUnavailableError(
                "NBSECRETS_KEY_SOURCE=passphrase, but NBSECRETS_PASSPHRASE is not set. Set it to the passphrase to use."
            )
        kdf = {"name": "scrypt", "salt": base64.b64encode(os.urandom(16)).decode(), **SCRYPT_PARAMS}
        key = _derive(_nfc(passphrase), kdf)
        return key, KeySpec("passphrase", vault_id, key_id(key), kdf)

    key = os.urandom(KEY_BYTES)
    if forced in (None, "keyring"):
        spec = KeySpec("keyring", vault_id, key_id(key))
        if _store_in_keyring(spec, key):
            return key, spec
        if forced == "keyring":
            raise KeyUnavailableError(
                "NBSECRETS_KEY_SOURCE=keyring, but no OS keyring here stores and returns a key "
                "(keyring's fail and null backends do not). Install or configure a keyring backend, "
                "or choose NBSECRETS_KEY_SOURCE=passphrase or file."
            )
    spec = KeySpec("file", vault_id, key_id(key))
    _store_in_file(spec, key, chosen=forced == "file")
    return key, spec


def find_key(spec: KeySpec, vault: Path) -> bytes:
    """The key of an existing vault, checked against the fingerprint in its header."""
    cache_key = (spec.source, spec.vault_id, spec.key_id, str(key_dir()) if spec.source == "file" else "")
    if spec.source != "passphrase":
        with _cache_lock:
            if cache_key in _cache:
                return _cache[cache_key]
    if spec.source == "passphrase":
        passphrase = _passphrase()
        if passphrase is None:
            raise KeyUnavailableError(
                f"The vault {shown_path(vault)} is locked with a passphrase: set NBSECRETS_PASSPHRASE to open it."
            )
        key = _derive(_nfc(passphrase), spec.kdf)
        if key_id(key) != spec.key_id and _nfc(passphrase) != passphrase:
            key = _derive(passphrase, spec.kdf)  # a vault keyed before passphrases were normalised
        if key_id(key) != spec.key_id:
            raise KeyUnavailableError(
                f"NBSECRETS_PASSPHRASE does not match the passphrase of the vault {shown_path(vault)}; nothing was changed."
            )
        return key
    if spec.source == "keyring":
        key = _load_from_keyring(spec, vault)
    elif spec.source == "file":
        key = _load_from_file(spec, vault)
    else:
        raise KeyUnavailableError(f"The vault {shown_path(vault)} names an unknown key source {spec.source!r}.")
    if key_id(key) != spec.key_id:
        raise KeyUnavailableError(f"The key found for the vault {shown_path(vault)} does not match it; the vault was left untouched.")
    with _cache_lock:
        _cache[cache_key] = key
    return key


def forget_key(spec: KeySpec) -> None:
    """Remove a key that no vault uses any more (after a rotation)."""
    salt = base64.b64decode(spec.kdf["salt"]) if spec.source == "passphrase" else None
    with _cache_lock:
        # Entries of find_key name the key id; a derivation (scrypt) names its salt.
        for cached in [k for k in _cache if spec.key_id in k or (salt is not None and salt in k)]:
            del _cache[cached]
    if spec.source == "keyring":
        _forget_keyring(spec)
    elif spec.source == "file":
        path = key_file_path(spec)
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)


def forget_other_key_files(spec: KeySpec) -> None:
    """Remove this vault's key files other than `spec`'s: a rotation killed between making its
    key and writing the vault leaves one that no generation uses. Called under the vault's lock,
    right after a write, when the vault and its backup are both under `spec`'s key."""
    folder = key_dir()
    keep = key_file_path(spec).name
    try:
        stale = [path for path in folder.glob(f"vault-{spec.vault_id}-*.key") if path.name != keep]
    except OSError:
        return
    for path in stale:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # removed at a later write
    if stale:
        fsync_dir(folder)
