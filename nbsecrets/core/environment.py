"""Applying secrets to os.environ, and taking them away again.

All sources are resolved before anything is written, so a failing source
leaves the environment untouched; so does a result too large for a new
process's environment (env_limits), which would make every later subprocess
fail. Sources apply in the order given; when two define a key the later wins.
What was there before is remembered per key so it can be put back exactly
(unset if it was unset).
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, MutableMapping, NamedTuple, TypeVar

from .env_limits import check_environment
from .secret import Secret
from .store.base import canonical

F = TypeVar("F", bound=Callable[..., Any])

ENVIRONMENT = "environment"
"""How a report names a value that was in the environment before nbsecrets set it."""


@dataclass(frozen=True)
class LoadedKey:
    """One key a load set: where it came from, what it replaced, and whether
    its value is a setting (loaded like any key, but not masked)."""

    key: str
    source: str
    overrode: str | None
    setting: bool = False


class LoadReport(tuple):
    """The keys a load set, in order; prints key names and sources, never values."""

    @property
    def keys(self) -> list[str]:
        return [entry.key for entry in self]

    @property
    def settings(self) -> list[str]:
        """The keys whose values are settings, not masked."""
        return [entry.key for entry in self if entry.setting]

    def __str__(self) -> str:
        if not self:
            return "No keys loaded."
        width = max(len(entry.key) for entry in self)
        lines = []
        for entry in self:
            notes = ["setting"] if entry.setting else []
            if entry.overrode:
                notes.append(f"overrides {entry.overrode}")
            line = f"{entry.key.ljust(width)}  from {entry.source}"
            if notes:
                line += f" ({', '.join(notes)})"
            lines.append(line)
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def resolve_all(secrets: Iterable[Secret]) -> list[tuple[Secret, dict[str, str]]]:
    """Resolve every source before anything is applied (all or nothing)."""
    resolved = []
    for secret in secrets:
        if not isinstance(secret, Secret):
            raise TypeError(f"Expected nbsecrets.Secret, got {type(secret).__name__}.")
        resolved.append((secret, secret.resolve()))
    return resolved


def merge(
    resolved: list[tuple[Secret, dict[str, str]]],
    before: Callable[[str], str | None],
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], LoadReport]:
    """Combine resolved sources in order, the later winning, and describe who overrode whom.

    `before(key)` names what held a key before this load (a source label,
    'environment', or None). A value equal to what `environ` already holds
    overrides nothing (`--env FOO` copies FOO onto itself).
    """
    final: dict[str, str] = {}
    origin: dict[str, str] = {}
    overrode: dict[str, str | None] = {}
    setting: dict[str, bool] = {}
    for secret, env in resolved:
        settings = set(secret.settings or ())
        for key, value in env.items():
            if key not in origin:
                overrode[key] = before(key)
            elif origin[key] != secret.label:  # a source named twice does not override itself
                overrode[key] = origin[key]
            if overrode[key] == ENVIRONMENT and environ is not None and environ.get(key) == value:
                overrode[key] = None
            final[key] = value
            origin[key] = secret.label
            setting[key] = key in settings
    report = LoadReport(LoadedKey(key, origin[key], overrode[key], setting[key]) for key in final)
    return final, report


class _Layer(NamedTuple):
    source: str
    value: str
    setting: bool


class _Stack(NamedTuple):
    """A key's value before nbsecrets, and every loaded source that set it, newest last."""

    base: str | None
    layers: list[_Layer]


class SessionEnvironment:
    """What `load` set for the rest of the session, layered so `unload` can undo
    any source and put back what was underneath."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._lock = threading.RLock()
        self._layers: dict[str, _Stack] = {}

    def load(self, *secrets: Secret) -> LoadReport:
        resolved = resolve_all(secrets)
        reloaded = {secret.label for secret in secrets}
        with self._lock:
            keys = {key for _, env in resolved for key in env}
            underneath = {key: value for key in keys if (value := self._underneath(key, reloaded)) is not None}
            final, report = merge(resolved, lambda key: self._holder(key, reloaded), underneath)
            check_environment({**self._environ, **final}, added=final)
            # Every source becomes a layer, not just the winner, so unloading the
            # top one uncovers the next one down.
            for secret, env in resolved:
                settings = set(secret.settings or ())
                for key, value in env.items():
                    if key not in self._layers:
                        self._layers[key] = _Stack(self._environ.get(key), [])
                    layers = self._layers[key].layers
                    layers[:] = [layer for layer in layers if layer.source != secret.label]
                    layers.append(_Layer(secret.label, value, key in settings))
            for key, value in final.items():
                self._environ[key] = value
        return report

    def unload(self, *sources: str) -> list[str]:
        """Undo the named sources (all when none are named); returns the keys changed.
        `local:NAME` names the source loaded as `NAME`."""
        sources = tuple(map(canonical, sources))
        changed = []
        with self._lock:
            for key in list(self._layers):
                base, layers = self._layers[key]
                kept = [layer for layer in layers if sources and layer.source not in sources]
                if len(kept) == len(layers):
                    continue
                changed.append(key)
                if kept:
                    layers[:] = kept
                    self._environ[key] = kept[-1].value
                else:
                    del self._layers[key]
                    _restore(self._environ, key, base)
        return changed

    def status(self) -> LoadReport:
        """Each loaded key, its current source and what that source overrode."""
        with self._lock:
            entries = []
            for key, (base, layers) in self._layers.items():
                top = layers[-1]
                if len(layers) > 1:
                    under: str | None = layers[-2].source
                else:
                    under = ENVIRONMENT if base is not None and base != top.value else None
                entries.append(LoadedKey(key, top.source, under, top.setting))
            return LoadReport(entries)

    def sources(self) -> list[str]:
        """Labels of the sources that still provide at least one key."""
        with self._lock:
            seen: dict[str, None] = {}
            for stack in self._layers.values():
                for layer in stack.layers:
                    seen[layer.source] = None
            return list(seen)

    def _underneath(self, key: str, reloaded: set[str]) -> str | None:
        """The value `key` has under the sources being loaded now (what unloading them would leave)."""
        stack = self._layers.get(key)
        if stack is None:
            return self._environ.get(key)
        return next((layer.value for layer in reversed(stack.layers) if layer.source not in reloaded), stack.base)

    def _holder(self, key: str, reloaded: set[str]) -> str | None:
        """What holds `key` under the sources being loaded now (a reload replaces itself, it overrides nothing)."""
        stack = self._layers.get(key)
        if stack is not None:
            for layer in reversed(stack.layers):
                if layer.source not in reloaded:
                    return layer.source
            return ENVIRONMENT if stack.base is not None else None
        return ENVIRONMENT if key in self._environ else None


def _restore(environ: MutableMapping[str, str], key: str, value: str | None) -> None:
    if value is None:
        environ.pop(key, None)
    else:
        environ[key] = value


session = SessionEnvironment()
"""The process's session-wide loads (what `nbsecrets.load` and `%secret load` change)."""


def load(*secrets: Secret) -> LoadReport:
    """Put secrets into os.environ for the rest of the session, in order, the later winning.

    Every source is resolved first; if any fails, os.environ is unchanged.
    """
    return session.load(*secrets)


def unload(*sources: str) -> list[str]:
    """Put back what `load` replaced: for the named sources, or for all of them."""
    return session.unload(*sources)


def status() -> LoadReport:
    """Each key `load` has set, its source, and what it overrode."""
    return session.status()


class with_secrets:
    """Secrets in os.environ for one block or call, restored exactly afterwards.

    Use as `with with_secrets(a, b):` or as a decorator. On exit, also by an
    exception or KeyboardInterrupt, each key it set gets back the value it had
    (or is removed if it was unset). Nests; each decorated call gets its own
    scope, so recursion and threads do not share state.
    """

    def __init__(self, *secrets: Secret) -> None:
        self._secrets = secrets
        self._saved: list[tuple[str, str | None]] | None = None

    def __enter__(self) -> LoadReport:
        if self._saved is not None:
            raise RuntimeError("This with_secrets block is already active; create a new one to nest.")
        resolved = resolve_all(self._secrets)
        final, report = merge(resolved, lambda key: ENVIRONMENT if key in os.environ else None, os.environ)
        check_environment({**os.environ, **final}, added=final)
        saved = [(key, os.environ.get(key)) for key in final]
        self._saved = saved
        try:
            os.environ.update(final)
        except BaseException:
            self._restore()
            raise
        return report

    def __exit__(self, *exc_info: object) -> None:
        self._restore()

    def _restore(self) -> None:
        saved, self._saved = self._saved or [], None
        for key, value in reversed(saved):
            _restore(os.environ, key, value)

    def __call__(self, func: F) -> F:
        secrets = self._secrets
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with with_secrets(*secrets):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with with_secrets(*secrets):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
