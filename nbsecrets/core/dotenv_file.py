"""Strict .env reading on top of python-dotenv's parser.

python-dotenv logs and skips lines it cannot parse and interpolates `${VAR}`
by default, which silently changes passwords containing `$`. Here a malformed
line is an error naming the file and line, and interpolation is opt-in.
"""

from __future__ import annotations

import io
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from .errors import DotenvError, SecretNotFoundError
from .rules import KEY_PATTERN, check_value


def find_dotenv_file(path: str | Path | None = None, filename: str = ".env") -> Path:
    """Locate the file: a given file, `filename` inside a given directory, or the
    nearest `filename` from the working directory upwards."""
    if path is not None:
        candidate = Path(path).expanduser()
        if candidate.is_dir():
            candidate = candidate / filename
        if not candidate.is_file():
            raise SecretNotFoundError(f".env file not found: {candidate}")
        return candidate.resolve()
    start = Path.cwd().resolve()
    for directory in (start, *start.parents):
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    raise SecretNotFoundError(f"No {filename} file found in {start} or any directory above it.")


def read_dotenv_file(path: Path, *, interpolate: bool = False) -> dict[str, str]:
    """Parse a .env file; keys with no value (`KEY` alone) are left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretNotFoundError(f".env file not found: {path}") from None
    except UnicodeDecodeError:
        raise DotenvError(f"{path} is not valid UTF-8 text.") from None
    except OSError as exc:
        raise DotenvError(f"Cannot read {path}: {exc.strerror}.") from None

    bad_lines: list[int] = []
    bad_keys: list[tuple[int, str]] = []
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            bad_lines.append(line)
        elif binding.key is not None and not KEY_PATTERN.fullmatch(binding.key):
            bad_keys.append((line, binding.key))
    if bad_lines:
        plural = "s" if len(bad_lines) > 1 else ""
        raise DotenvError(
            f"{path}: cannot parse line{plural} {', '.join(map(str, bad_lines))}; "
            "expected KEY=VALUE (quote values that contain spaces or '#')."
        )
    if bad_keys:
        line, key = bad_keys[0]
        raise DotenvError(
            f"{path}: line {line}: invalid key {key!r}; a key starts with a letter or '_' "
            "and holds only letters, digits and '_'."
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=interpolate)
    env = {key: value for key, value in values.items() if value is not None}
    for key, value in env.items():
        check_value(key, value)
    return env
