"""The vault file format: a versioned header bound to AES-256-GCM ciphertext.

    MAGIC | header length (4 bytes, big endian) | header (JSON) | ciphertext+tag

Everything before the ciphertext is the associated data, so the header
(format, version, vault id, generation, key id, nonce) cannot be changed
without the decryption failing.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from typing import Any, NamedTuple

from . import keys
from .keys import KeySpec

MAGIC = b"NBSECRETS-VAULT\n"
FORMAT = "nbsecrets-vault"
VERSION = 1
_LENGTH = struct.Struct(">I")
MAX_HEADER = 64 * 1024


class FormatError(Exception):
    """Internal: the bytes are not a well-formed vault (the store words it for the user)."""


class Header(NamedTuple):
    """The vault's identity, generation and key (the key spec holds the vault id), and the nonce."""

    generation: int
    key: KeySpec
    nonce: bytes

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "vault_id": self.key.vault_id,
            "generation": self.generation,
            "key_id": self.key.key_id,
            "key_source": self.key.source,
            "nonce": base64.b64encode(self.nonce).decode(),
        }
        if self.key.kdf:
            data["kdf"] = self.key.kdf
        return data


def read_header(blob: bytes) -> tuple[Header, memoryview, memoryview]:
    """Split a vault into (header, associated data, ciphertext) without decrypting or copying."""
    if not blob.startswith(MAGIC):
        raise FormatError("it does not start like an nbsecrets vault")
    start = len(MAGIC) + _LENGTH.size
    if len(blob) < start:
        raise FormatError("it is truncated")
    (length,) = _LENGTH.unpack_from(blob, len(MAGIC))
    if length > MAX_HEADER or len(blob) < start + length + 16:
        raise FormatError("it is truncated")
    try:
        data = json.loads(blob[start : start + length])
        if data["format"] != FORMAT:
            raise FormatError("it is not an nbsecrets vault")
        if data["version"] != VERSION:
            raise FormatError(f"it has format version {data['version']}, this nbsecrets reads version {VERSION}")
        spec = KeySpec(str(data["key_source"]), str(data["vault_id"]), str(data["key_id"]), dict(data.get("kdf") or {}))
        header = Header(int(data["generation"]), spec, base64.b64decode(data["nonce"]))
    except FormatError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"its header is damaged ({type(exc).__name__})") from None
    if len(header.nonce) != 12:
        raise FormatError("its header is damaged (nonce)")
    if spec.source == "passphrase" and not _sane_kdf(spec.kdf):
        raise FormatError("its header is damaged (kdf)")
    view = memoryview(blob)
    return header, view[: start + length], view[start + length :]


def _sane_kdf(kdf: dict[str, Any]) -> bool:
    """Whether these are the parameters nbsecrets writes. The header is untrusted and not
    authenticated until the key is derived: a header raised to n=2**20, p=16 would cost
    a minute and a gigabyte before the passphrase could be judged wrong."""
    n, r, p = (kdf.get(name) for name in ("n", "r", "p"))
    if kdf.get("name") != "scrypt" or not all(type(v) is int for v in (n, r, p)):
        return False
    if {"n": n, "r": r, "p": p} != keys.SCRYPT_PARAMS:
        return False
    encoded = kdf.get("salt")
    if not isinstance(encoded, str):
        return False
    try:
        salt = base64.b64decode(encoded, validate=True)
    except ValueError:
        return False
    return len(salt) >= 16


def decrypt(parts: tuple[Header, memoryview, memoryview], key: bytes) -> bytes:
    """Authenticate and decrypt what `read_header` split; FormatError if anything was changed."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, aad, ciphertext = parts
    try:
        plaintext = AESGCM(key).decrypt(header.nonce, ciphertext, aad)
    except InvalidTag:
        raise FormatError("its contents do not match its authentication tag") from None
    return plaintext


def encrypt(generation: int, spec: KeySpec, key: bytes, plaintext: bytes) -> bytes:
    """A complete vault file with a fresh nonce."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = Header(generation, spec, os.urandom(12))
    encoded = json.dumps(header.to_json(), sort_keys=True, separators=(",", ":")).encode()
    aad = MAGIC + _LENGTH.pack(len(encoded)) + encoded
    return aad + AESGCM(key).encrypt(header.nonce, plaintext, aad)
