"""One OpenBao/Vault server as a store sees it: the client, the token, and what its refusals mean.

Every request goes through `Server.call`, which reads the token anew (a hub
or `bao login` may have replaced it since), and turns what hvac and requests
raise into the house's errors. Those name the server, the path and the
operation; never the token, and never a response body.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from ...core.errors import AccessDeniedError, ConfigError, StoreUnavailableError
from ...core.store.config import DEFAULT_TOKEN_FILE, TOKEN_FILE_VARIABLE, Token, find_token

TIMEOUT = 10.0
"""Seconds to wait for the server; an unreachable one must not hang a notebook cell for long."""

T = TypeVar("T")


class CheckAndSetMismatch(Exception):
    """Another writer changed the secret between our read and our write: read again and retry."""


def _hvac() -> Any:
    try:
        import hvac
    except ImportError:
        raise StoreUnavailableError(
            "The team store needs hvac, which is not installed: pip install 'nbsecrets[team]'."
        ) from None
    return hvac


class Server:
    """A store's connection to one server (address, namespace, TLS), shared by its operations."""

    def __init__(
        self,
        store: str,
        addr: str | None,
        *,
        namespace: str | None = None,
        cacert: str | None = None,
        skip_verify: bool = False,
        token_file: str | None = None,
    ) -> None:
        if not addr:
            raise ConfigError(
                f"The team store {store!r} has no server address: set addr in its [stores.{store}] table, "
                "or NBSECRETS_TEAM_ADDR, BAO_ADDR or VAULT_ADDR."
            )
        if not addr.startswith(("http://", "https://")):
            raise ConfigError(f"The team store {store!r}: the address must start with http:// or https://.")
        self.store = store
        self.addr = addr.rstrip("/")
        self.token_file = token_file
        self._hvac = _hvac()
        verify: bool | str = False if skip_verify else (str(Path(cacert).expanduser()) if cacert else True)
        self.client = self._hvac.Client(url=self.addr, namespace=namespace or None, verify=verify, timeout=TIMEOUT)
        self._lock = threading.Lock()

    def token(self) -> Token:
        token = find_token(self.token_file)
        if token is None:
            file = self.token_file or os.environ.get(TOKEN_FILE_VARIABLE) or DEFAULT_TOKEN_FILE
            raise StoreUnavailableError(
                f"No token for the team store {self.store!r} at {self.addr}: set NBSECRETS_TEAM_TOKEN "
                f"(or BAO_TOKEN, VAULT_TOKEN), or log in with `bao login`, which writes {file}."
            )
        return token

    def call(self, operation: str, path: str, request: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`request(*args, **kwargs)` with the current token; `operation` and `path` word its errors."""
        token = self.token()
        with self._lock:
            self.client.token = token.value
        try:
            return request(*args, **kwargs)
        except self._hvac.exceptions.Forbidden:
            raise self._refused(token, operation, path) from None
        except self._hvac.exceptions.InvalidPath as exc:
            if _no_route(exc):
                raise self._no_mount(path) from None
            raise
        except self._hvac.exceptions.VaultDown:
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} is sealed or standing by; ask its operators to unseal it."
            ) from None
        except self._hvac.exceptions.InvalidRequest as exc:
            if any("check-and-set" in str(error) for error in exc.errors or ()):
                raise CheckAndSetMismatch(path) from None
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} refused to {operation} {path} as a bad request; "
                "is the mount a KV version 2 engine?"
            ) from None
        except self._hvac.exceptions.VaultError as exc:
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} failed to {operation} {path} "
                f"({type(exc).__name__}); nothing was changed by nbsecrets."
            ) from None
        except Exception as exc:
            error = self._transport_error(exc)
            if error is None:
                raise
            raise error from None

    def plain(self, method: str, url: str, *, operation: str, path: str, json: Mapping[str, Any] | None = None) -> Any:
        """A request hvac has no method for (metadata without resetting its other fields, the mount's kind)."""
        send = getattr(self.client.adapter, method)
        return self.call(operation, path, send, url, **({"json": dict(json)} if json is not None else {}))

    def health(self) -> dict[str, Any]:
        """The server's unauthenticated health report (version, sealed); no token is sent."""
        try:
            return self.client.sys.read_health_status(method="GET", standby_ok=True, sealed_code=200, uninit_code=200)
        except Exception as exc:
            error = self._transport_error(exc)
            if error is None:
                raise
            raise error from None

    def token_state(self) -> str:
        """How the current token stands, in words for `nbsecrets stores`: valid (and for how long), refused, missing."""
        token = find_token(self.token_file)
        if token is None:
            return "no token"
        with self._lock:
            self.client.token = token.value
        try:
            data = self.client.auth.token.lookup_self()["data"]
        except self._hvac.exceptions.Forbidden:
            return f"token from {token.source} refused (invalid or expired)"
        ttl = data.get("ttl") or 0
        return f"token from {token.source} valid" + (f" for {_duration(int(ttl))}" if ttl else ", no expiry")

    # -- what a refusal means ------------------------------------------------------------

    def _refused(self, token: Token, operation: str, path: str) -> Exception:
        """403 is the server's answer both to a bad token and to a good token without the right policy: ask which."""
        try:
            self.client.auth.token.lookup_self()
        except self._hvac.exceptions.Forbidden:
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} refused the token from {token.source}: it is "
                "invalid or has expired (the server answers both the same way). Get a new token "
                "(e.g. `bao login`, or restart your server from the hub) and try again."
            )
        except Exception:
            pass
        return AccessDeniedError(
            f"Permission denied: the token from {token.source} may not {operation} {path} "
            f"on the team store {self.store!r} ({self.addr}). Ask for a policy that allows it."
        )

    def _no_mount(self, path: str) -> Exception:
        mount = path.split("/", 1)[0]
        return StoreUnavailableError(
            f"The team store {self.store!r}: {self.addr} has no secrets engine mounted at {mount!r}. "
            f"Set the mount (NBSECRETS_TEAM_MOUNT, or mount in config.toml), or enable one: "
            f"bao secrets enable -path={mount} kv-v2."
        )

    def _transport_error(self, exc: Exception) -> Exception | None:
        """The error for a request that never got an answer; None when `exc` is not about the transport."""
        import requests

        if isinstance(exc, requests.exceptions.SSLError):
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr}: its TLS certificate could not be verified. "
                "Set BAO_CACERT (or VAULT_CACERT, or cacert in config.toml) to the CA's file."
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} did not answer within {TIMEOUT:.0f} s."
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            reason = "connection refused" if "refused" in str(exc).lower() else "no connection"
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} cannot be reached ({reason}). Is the server "
                "running, and is the address (NBSECRETS_TEAM_ADDR, BAO_ADDR or VAULT_ADDR) right? "
                "Local secrets still work."
            )
        if isinstance(exc, requests.exceptions.RequestException):
            return StoreUnavailableError(f"The team store {self.store!r} at {self.addr} failed ({type(exc).__name__}).")
        return None


def _no_route(exc: Exception) -> bool:
    return any("no handler for route" in str(error) for error in getattr(exc, "errors", None) or ())


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
