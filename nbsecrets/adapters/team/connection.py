"""One OpenBao/Vault server as a store sees it: the client, the token, and what its answers mean.

Every request goes through `Server.call`, which reads the token anew (a hub
or `bao login` may have replaced it since), and turns whatever hvac and
requests raise into the house's errors. Those name the server, the path and
the operation; never the token, and never a response body (a server's words
may quote what was sent). Each thread has a client of its own, so two
threads never send, or get blamed for, each other's token. Redirects are not
followed: a token must not travel to a host nobody configured.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from ...core.errors import AccessDeniedError, ConfigError, StoreUnavailableError
from ...core.store.config import (
    DEFAULT_TOKEN_FILE,
    TOKEN_FILE_VARIABLE,
    TOKEN_PATTERN,
    Token,
    environment_token_files,
    find_token,
)

TIMEOUT = 10.0
"""Seconds to wait for the server; an unreachable one must not hang a notebook cell for long."""
DATA_CAS_MISMATCH = "check-and-set parameter did not match the current version"
"""The server's words for a data write whose `cas` lost to another writer (and only that)."""



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
        environment_token: bool = True,
    ) -> None:
        if not addr:
            raise ConfigError(
                f"The team store {store!r} has no server address: set addr in its [stores.{store}] table, "
                "or NBSECRETS_TEAM_ADDR, BAO_ADDR or VAULT_ADDR."
            )
        if not addr.startswith(("http://", "https://")):
            raise ConfigError(f"The team store {store!r}: the address must start with http:// or https://.")
        verify: bool | str = True
        if skip_verify:
            verify = False
        elif cacert:
            ca = Path(cacert).expanduser()
            if not ca.is_file():
                raise ConfigError(f"The team store {store!r}: the CA file {cacert!r} (BAO_CACERT, VAULT_CACERT or cacert) does not exist.")
            verify = str(ca)
        if token_file and not environment_token and Path(token_file).expanduser().resolve() in environment_token_files():
            raise ConfigError(
                f"The team store {store!r} talks to another server than the environment's, and its token_file "
                "names the environment's token file: that token is not for it. Name a file with its own token."
            )
        self.store = store
        self.addr = addr.rstrip("/")
        self.token_file = token_file
        self.environment_token = environment_token
        self._hvac = _hvac()
        self._options = {"url": self.addr, "namespace": namespace or None, "verify": verify, "timeout": TIMEOUT}
        self._local = threading.local()

    @property
    def client(self) -> Any:
        """This thread's hvac client (its own session and token)."""
        client = getattr(self._local, "client", None)
        if client is None:
            # token="": hvac would otherwise pick up VAULT_TOKEN or ~/.vault-token by itself, for any server.
            client = self._local.client = self._hvac.Client(token="", allow_redirects=False, **self._options)
        return client

    def token(self) -> Token:
        token = find_token(self.token_file, environment=self.environment_token)
        if token is not None:
            if not TOKEN_PATTERN.fullmatch(token.value):
                raise StoreUnavailableError(
                    f"The token from {token.source} for the team store {self.store!r} is not a token: it holds "
                    "characters no OpenBao or Vault token has (spaces, line breaks, punctuation), or is too long."
                )
            return token
        if self.token_file:
            where = f"its token_file {self.token_file!r} holds none"
        elif not self.environment_token:
            where = (
                f"it talks to another server than the environment's, so it is given no token from the "
                f"environment; name a token_file in its [stores.{self.store}] table"
            )
        else:
            file = os.environ.get(TOKEN_FILE_VARIABLE) or DEFAULT_TOKEN_FILE
            where = f"set NBSECRETS_TEAM_TOKEN (or BAO_TOKEN, VAULT_TOKEN), or log in with `bao login`, which writes {file}"
        raise StoreUnavailableError(f"No token for the team store {self.store!r} at {self.addr}: {where}.")

    def call(
        self,
        operation: str,
        path: str,
        request: Callable[..., Any],
        *args: Any,
        missing_ok: bool = False,
        empty_ok: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """`request(*args, **kwargs)` (a method of `self.client`) with the current token: the answer's JSON
        object.

        `operation` and `path` word its errors. With `missing_ok`, "nothing
        there" is None; with `empty_ok` (a delete, a patch), so is an answer
        without a body. Every other refusal, and every answer that is not what
        OpenBao or Vault sends, is an error.
        """
        token = self.token()
        self.client.token = token.value
        exceptions = self._hvac.exceptions
        try:
            answer = request(*args, **kwargs)
        except exceptions.Forbidden:
            raise self._refused(token, operation, path) from None
        except exceptions.InvalidPath as exc:
            if _no_route(exc):
                raise self._no_mount(path) from None
            if missing_ok:
                return None
            raise StoreUnavailableError(
                f"The team store {self.store!r}: {self.addr} answered 'not found' to {operation} {path}. "
                "Is it an OpenBao or Vault server, and is the mount right?"
            ) from None
        except exceptions.InvalidRequest as exc:
            if any(DATA_CAS_MISMATCH in str(error) for error in exc.errors or ()):
                raise CheckAndSetMismatch(path) from None
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} refused to {operation} {path} as a bad request "
                "(the server's reason is not shown: it may quote what was sent)."
            ) from None
        except exceptions.VaultDown:
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} is sealed or standing by; ask its operators to unseal it."
            ) from None
        except exceptions.VaultError as exc:
            raise StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} failed to {operation} {path} ({type(exc).__name__})."
            ) from None
        except Exception as exc:
            raise self._unanswered(exc) from None
        return self._json(answer, empty_ok=empty_ok)

    def _json(self, answer: Any, *, empty_ok: bool = False) -> dict[str, Any] | None:
        """The JSON object of an answer; None for one without a body where that is the answer expected;
        an error for anything else (a redirect, which is never followed, above all)."""
        if isinstance(answer, dict):
            return answer
        status = getattr(answer, "status_code", None)
        if status == 204 and empty_ok:
            return None
        if isinstance(status, int) and 300 <= status < 400:
            raise StoreUnavailableError(
                f"The team store {self.store!r}: {self.addr} answered with a redirect (HTTP {status}), which "
                "nbsecrets does not follow with a token; set the address to the server it redirects to "
                "(the active node)."
            )
        raise StoreUnavailableError(f"The team store {self.store!r}: {self.addr} does not answer as an OpenBao or Vault server would.")

    def plain(
        self, method: str, url: str, *, operation: str, path: str, missing_ok: bool = False, empty_ok: bool = False, **options: Any
    ) -> Any:
        """A request hvac has no method for (a merge patch, the mount's kind, capabilities)."""
        return self.call(
            operation, path, self.client.adapter.request, method, url, missing_ok=missing_ok, empty_ok=empty_ok, **options
        )

    def health(self) -> dict[str, Any]:
        """The server's health report (version, sealed, its clock). Sent with neither token nor namespace:
        it is about the server, and a namespace would have it refused."""
        import requests

        query = "standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200"
        options = self._options
        try:
            answer = requests.get(
                f"{self.addr}/v1/sys/health?{query}", verify=options["verify"], timeout=options["timeout"], allow_redirects=False
            )
            found = answer.json()
        except Exception as exc:
            raise self._unanswered(exc) from None
        if not isinstance(found, dict):
            raise StoreUnavailableError(f"The team store {self.store!r}: {self.addr} does not answer as an OpenBao or Vault server would.")
        return found

    def token_state(self) -> str:
        """How the current token stands, in words for `nbsecrets stores`: valid (and for how long), refused, missing."""
        token = find_token(self.token_file, environment=self.environment_token)
        if token is None:
            return "no token"
        try:
            answer = self.call("look up", "auth/token/lookup-self", self.client.auth.token.lookup_self)
        except (StoreUnavailableError, AccessDeniedError) as exc:
            if "refused the token" in str(exc):
                return f"token from {token.source} refused (invalid, expired, or without the default policy)"
            return f"token from {token.source} not checked: {exc}"
        data = (answer or {}).get("data")
        ttl = data.get("ttl") if isinstance(data, dict) else 0
        ttl = ttl if isinstance(ttl, int) else 0
        return f"token from {token.source} valid" + (f" for {_duration(ttl)}" if ttl else ", no expiry")

    # -- what an answer means ------------------------------------------------------------

    def _refused(self, token: Token, operation: str, path: str) -> Exception:
        """403 is the server's answer both to a bad token and to a good token without the right policy: ask which."""
        try:
            self.client.auth.token.lookup_self()
        except self._hvac.exceptions.Forbidden:
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr} refused the token from {token.source}: it is "
                "invalid or has expired (the server answers both the same way), or it may not even look "
                "itself up (a token without the default policy). Get a new token (e.g. `bao login`, or "
                "restart your server from the hub) and try again."
            )
        except Exception:  # the question failed too: say what is known
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

    def _unanswered(self, exc: Exception) -> Exception:
        """The error for a request that got no usable answer (no connection, TLS, a server that is not Vault)."""
        import requests

        if isinstance(exc, requests.exceptions.SSLError):
            return StoreUnavailableError(
                f"The team store {self.store!r} at {self.addr}: TLS failed (its certificate could not be "
                "verified, or it does not speak TLS). Set BAO_CACERT (or VAULT_CACERT, or cacert in "
                "config.toml) to the CA's file, or check the address."
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
        if isinstance(exc, (ValueError, requests.exceptions.RequestException, self._hvac.exceptions.VaultError)):
            return StoreUnavailableError(
                f"The team store {self.store!r}: {self.addr} does not answer as an OpenBao or Vault server "
                f"would ({type(exc).__name__})."
            )
        return exc


def _no_route(exc: Exception) -> bool:
    return any("no handler for route" in str(error) for error in getattr(exc, "errors", None) or ())


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
