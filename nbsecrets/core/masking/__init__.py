"""Output masking: every form of every registered secret becomes ``[masked:KEY]``.

The masker reads the process registry and rebuilds its automaton only when
the registry's version moved, so the cost of a call with nothing to mask is
one integer comparison plus one linear scan. Pure: no IPython here, the
kernel and terminal hooks are adapters over this. The automaton's modules
are imported when the first automaton is built, not when this is imported:
``%load_ext`` installs the hooks long before anything is masked.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import gc
import json
import numbers
import string
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSecretError
from ..registry import SecretRegistry
from ..registry import registry as _process_registry
from .forms import DEFAULT_MIN_LENGTH
from .fragments import DEFAULT_FRAGMENT_LENGTH

if TYPE_CHECKING:
    from .fragments import SourceCache
    from .matcher import Matcher
    from .stream import StreamMasker

__all__ = ["MaskConfig", "Masker", "StreamMasker", "configure_masking", "get_masker", "mask", "secret_forms"]

UNNAMED = "secret"
"""The name a replacement shows for a value registered without a key name."""


@dataclasses.dataclass(frozen=True)
class MaskConfig:
    """How masking behaves; frozen so a snapshot of it can be compared by identity."""

    min_length: int = DEFAULT_MIN_LENGTH
    replacement: str = "[masked:{name}]"
    fragment_length: int = DEFAULT_FRAGMENT_LENGTH
    """Runs of this many characters of a secret are masked too (never fewer than ``min_length``)."""
    patterns: bool = True
    """Mask strings shaped like well-known credentials even if nbsecrets never saw them."""

    def __post_init__(self) -> None:
        for field in ("min_length", "fragment_length"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidSecretError(f"{field} must be a positive integer.")
        if not isinstance(self.patterns, bool):
            raise InvalidSecretError("patterns must be True or False.")
        if not isinstance(self.replacement, str):
            raise InvalidSecretError("replacement must be a string such as '[masked:{name}]'.")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(self.replacement) if f is not None}
            self.replacement.format(name="KEY")
        except (ValueError, IndexError, KeyError, AttributeError) as exc:
            raise InvalidSecretError(
                "replacement must be a format string whose only field is {name}."
            ) from exc
        if fields - {"name"}:
            raise InvalidSecretError("replacement must be a format string whose only field is {name}.")


_pauses = 0  # builds under way, in any masker
_was_enabled = False  # whether collection was on when the first of them began
_pause_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an automaton is built.

    A build allocates hundreds of thousands of tuples that all live on; each
    time their number crosses a threshold, the collector walks every object
    in the process, the previous automaton's included. For ten thousand
    secrets that was a third of the build time. Builds in two maskers at
    once share one pause, and the last to end puts collection back as the
    first found it.
    """
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


@dataclasses.dataclass(frozen=True)
class _Built:
    version: int
    config: MaskConfig
    matcher: Matcher | None  # None only before the first build
    short_keys: tuple[str, ...]


class Masker:
    """Masks text and data against the secrets of a registry.

    Safe to call from any number of threads: searches run on an immutable
    automaton, and a stale one is replaced (under a lock) by a new one built
    from a fresh snapshot of the registry. A call that starts after a value
    was added sees that value.
    """

    def __init__(self, registry: SecretRegistry = _process_registry, config: MaskConfig | None = None) -> None:
        self._registry = registry
        self._config = config or MaskConfig()
        self._lock = threading.Lock()
        self._forms_cache: dict[str, list[str]] = {}  # per value, for the min_length of the last build
        self._sources: SourceCache | None = None  # fragment sources of the last build
        self._noticed: set[str] = set()
        self._built = _Built(-1, self._config, None, ())

    # -- configuration -------------------------------------------------

    @property
    def config(self) -> MaskConfig:
        return self._config

    def configure(
        self,
        *,
        min_length: int | None = None,
        replacement: str | None = None,
        fragment_length: int | None = None,
        patterns: bool | None = None,
    ) -> None:
        """Change settings; the automaton is rebuilt on the next call."""
        given = {
            "min_length": min_length,
            "replacement": replacement,
            "fragment_length": fragment_length,
            "patterns": patterns,
        }
        changes = {key: value for key, value in given.items() if value is not None}
        if changes:
            self._config = dataclasses.replace(self._config, **changes)

    # -- state ---------------------------------------------------------

    @property
    def matcher(self) -> Matcher:
        """The up-to-date automaton (immutable; a later change builds a new one)."""
        return self._current().matcher

    def _current(self) -> _Built:
        built = self._built
        if built.version != self._registry.version or built.config is not self._config:
            built = self._rebuild()
        return built

    def _rebuild(self) -> _Built:
        with self._lock, _collector_paused():
            return self._build()

    def _build(self) -> _Built:
        from .forms import secret_forms
        from .fragments import SourceCache
        from .matcher import Matcher

        config = self._config
        # Version first: a value added meanwhile makes the next call rebuild again.
        version = self._registry.version
        built = self._built
        if built.version == version and built.config is config:
            return built
        # Forms and sources of the last build are reused; those of values no longer registered are let go.
        kept = self._forms_cache if config.min_length == built.config.min_length else {}
        self._forms_cache = {}
        if self._sources is None:
            self._sources = SourceCache()
        forms: list[tuple[str, str]] = []
        exact: list[tuple[str, str]] = []
        fragments: list[tuple[str, str]] = []
        short: dict[str, None] = {}
        for value, name in self._registry.items():
            label = name or UNNAMED
            if len(value) < config.min_length:
                if name:
                    short[name] = None
                continue
            value_forms = kept.get(value)
            if value_forms is None:
                value_forms = secret_forms(value, min_length=config.min_length)
            self._forms_cache[value] = value_forms
            exact.append((value, label))
            fragments.append((value, label))
            forms.extend((form, label) for form in value_forms[1:])
        # A registered value keeps its own name even when it is also a form of another value.
        try:
            matcher = Matcher(
                exact + forms,
                config.replacement,
                fragments=fragments,
                fragment_length=max(config.fragment_length, config.min_length),
                credentials=config.patterns,
                sources=self._sources,
            )
        finally:
            self._sources.settle()
        built = _Built(version, config, matcher, tuple(sorted(short)))
        self._built = built
        return built

    # -- masking -------------------------------------------------------

    def mask(self, text: str) -> str:
        """``text`` with every secret form replaced; the very same object when none is in it.

        Anything that is not a ``str`` comes back as it is: binary buffers are never rewritten.
        """
        if not isinstance(text, str) or not text:
            return text
        return self._current().matcher.replace(text)

    def mask_bytes(self, data: bytes) -> bytes:
        """``data`` (a binary buffer) with every secret in it masked; the same object when none is."""
        matcher = self._current().matcher
        if not matcher.active or not data:
            return data
        text = bytes(data).decode("utf-8", "surrogateescape")
        masked = matcher.replace(text)
        return data if masked is text else masked.encode("utf-8", "surrogateescape")

    def mask_data(self, obj: Any) -> Any:
        """Deep-mask a JSON-like structure as it will be serialised; the same object when nothing changed.

        Judged by what goes on the wire: nested dict keys are masked, a
        number whose digits hold a secret becomes the masked string, bytes
        (sent base64-encoded) are masked by their content, and sets (sent as
        lists) come back as lists when they changed, tuples as tuples. What
        changed is copied; the objects passed in are never modified.
        """
        matcher = self._current().matcher
        if not matcher.active:
            return obj
        return _mask_data(matcher, obj, set())

    def mask_values(self, mapping: Any) -> Any:
        """Like :meth:`mask_data` for a mapping whose own keys are names, not content (a mimebundle)."""
        matcher = self._current().matcher
        if not matcher.active or not isinstance(mapping, Mapping):
            return self.mask_data(mapping)
        out = {}
        changed = False
        active: set[int] = set()
        for key, value in mapping.items():
            new = _mask_data(matcher, value, active)
            changed = changed or new is not value
            out[key] = new
        return out if changed else mapping

    def stream(self) -> StreamMasker:
        """A fresh streaming state that always uses this masker's current automaton."""
        from .stream import StreamMasker

        return StreamMasker(lambda: self._current().matcher)

    # -- short values ----------------------------------------------------

    def mark_told(self, key: str) -> None:
        """The user was already told that `key`'s value is too short to mask: no notice repeats it."""
        with self._lock:
            self._noticed.add(key)

    def take_short_key_notice(self) -> str | None:
        """A notice naming short keys not reported before (names only, never values); None when there are none."""
        if not self._registry.items():
            return None  # nothing registered: no automaton to build for it
        built = self._current()
        with self._lock:
            new = [key for key in built.short_keys if key not in self._noticed]
            self._noticed.update(new)
        if not new:
            return None
        verb = "is" if len(new) == 1 else "are"
        return (
            f"{', '.join(new)} {verb} not masked in output: values shorter than "
            f"{built.config.min_length} characters are never masked "
            "(nbsecrets.configure_masking(min_length=...) lowers that limit)."
        )


def _mask_data(matcher: Matcher, obj: Any, active: set[int]) -> Any:
    if isinstance(obj, str):
        return matcher.replace(obj) if obj else obj
    if isinstance(obj, (bool, type(None))):
        return obj
    if isinstance(obj, numbers.Number):
        return _mask_number(matcher, obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _mask_binary(matcher, obj)
    if isinstance(obj, (set, frozenset)):
        items = list(obj)
        masked = _mask_data(matcher, items, active)
        return obj if masked is items else masked
    if not isinstance(obj, (dict, list, tuple)) or id(obj) in active:
        return obj
    active.add(id(obj))
    try:
        if isinstance(obj, dict):
            changed = False
            out: dict[Any, Any] = {}
            for key, value in obj.items():
                new_key = _mask_key(matcher, key, active)
                new_value = _mask_data(matcher, value, active)
                if isinstance(new_key, str):
                    # A masked key can collide with another key; keep both entries.
                    while new_key in out:
                        new_key += "~"
                changed = changed or new_key is not key or new_value is not value
                out[new_key] = new_value
            return out if changed else obj
        items = [_mask_data(matcher, item, active) for item in obj]
        if all(new is old for new, old in zip(items, obj)):
            return obj
        return items if isinstance(obj, list) else tuple(items)
    finally:
        active.discard(id(obj))


def _mask_key(matcher: Matcher, key: Any, active: set[int]) -> Any:
    """A dict key as it goes out: strings and numbers as such, anything else as its ``str()``."""
    if isinstance(key, (str, numbers.Number)) or key is None:
        return _mask_data(matcher, key, active)
    text = str(key)
    masked = matcher.replace(text)
    return key if masked is text else masked


def _mask_number(matcher: Matcher, number: Any) -> Any:
    if not matcher.numeric:
        return number
    try:
        text = json.dumps(number)
    except (TypeError, ValueError):
        text = str(number)
    masked = matcher.replace(text)
    return number if masked is text else masked


def _mask_binary(matcher: Matcher, data: Any) -> Any:
    """Bytes go out base64-encoded: mask by what they hold, and by their base64 text.

    Masked content stays bytes (the packer base64-encodes it as before); a
    match in the base64 text itself comes back as that text, masked.
    """
    raw = bytes(data)
    text = raw.decode("utf-8", "surrogateescape")
    masked = matcher.replace(text)
    if masked is not text:
        return masked.encode("utf-8", "surrogateescape")
    encoded = base64.b64encode(raw).decode("ascii")
    masked = matcher.replace(encoded)
    return data if masked is encoded else masked


def __getattr__(name: str) -> Any:
    """``StreamMasker`` and ``secret_forms``, imported on first use like the automaton they need."""
    if name == "StreamMasker":
        from .stream import StreamMasker

        return StreamMasker
    if name == "secret_forms":
        from .forms import secret_forms

        return secret_forms
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_masker: Masker | None = None
_masker_lock = threading.Lock()


def get_masker() -> Masker:
    """The process-wide masker over the process registry."""
    global _masker
    if _masker is None:
        with _masker_lock:
            if _masker is None:
                _masker = Masker()
    return _masker


def mask(value: str, name: str | None = None) -> bool:
    """Mask `value` in all output from now on; `name` labels the replacement (e.g. the key name).

    Returns whether output will be masked for it: a value shorter than
    `min_length` is kept, and masked once the limit is lowered, but not now.
    """
    if not isinstance(value, str):
        raise InvalidSecretError(f"mask() takes a string, not {type(value).__name__}.")
    if not value:
        raise InvalidSecretError("mask() was given an empty string; there is nothing to mask.")
    _process_registry.add(value, name)
    return len(value) >= get_masker().config.min_length


def configure_masking(
    *,
    min_length: int | None = None,
    replacement: str | None = None,
    fragment_length: int | None = None,
    patterns: bool | None = None,
) -> None:
    """Change how output is masked: values shorter than `min_length` (default 6) are
    left alone; `replacement` is a format with `{name}` (default "[masked:{name}]");
    runs of `fragment_length` (default 12, never below `min_length`) characters of a
    secret are masked too; `patterns` (default True) masks strings shaped like
    well-known credentials even if nbsecrets never saw them."""
    get_masker().configure(
        min_length=min_length, replacement=replacement, fragment_length=fragment_length, patterns=patterns
    )
