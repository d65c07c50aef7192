"""Strict .env reading on top of python-dotenv's parser.

python-dotenv logs and skips lines it cannot parse and interpolates `${VAR}`
by default, which silently changes passwords containing `$`. Here a malformed
line is an error naming the file and line, and interpolation is opt-in.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from .display import shown_path
from .errors import DotenvError, SecretNotFoundError
from .rules import KEY_PATTERN, check_value


def is_dotenv_name(name: str, filename: str = ".env") -> bool:
    """Whether a file called `name` is a .env file in its own right rather than a place to start from.

    `filename` itself, a name ending in `.env` (`.env`, `prod.env`) or one
    starting with `.env.`, `.env-` or `.env_` (`.env.local`, `.env-dev`).
    `.envrc` (direnv's shell script) and `settings.py` are not.
    """
    return name == filename or name.endswith(".env") or name.startswith((".env.", ".env-", ".env_"))


def find_dotenv_file(
    path: str | os.PathLike[str] | None = None, filename: str = ".env", *, modal: bool = False
) -> Path:
    """Locate the .env file to read: the one place that decides, for the Python API and the command line.

    No path: the nearest `filename` from the working directory up, which is
    how a project's `.env` is found from anywhere inside it. On the command
    line (`--from-dotenv`, `--dotenv`) a path means what it names: a file is
    read as named, a directory must hold `filename`. With `modal`
    (`Secret.from_dotenv`, following Modal) a path is where the search
    starts: a directory, or the directory of a file that is not a .env file
    by its name (`is_dotenv_name`), such as a module's `__file__`. Nothing
    found is an error, never an empty result, so a missing file cannot pass
    for a missing key later.
    """
    if path is None:
        return _search_upwards(Path.cwd().resolve(), filename)
    given = Path(path).expanduser()
    if given.is_dir():
        if modal:
            return _search_upwards(given.resolve(), filename)
        if not (given / filename).is_file():
            raise SecretNotFoundError(f"No {filename} file in {shown_path(given.absolute())}; pass the file itself.")
        return (given / filename).resolve()
    if given.is_file():
        if not modal or is_dotenv_name(given.name, filename):
            return given.resolve()
        return _search_upwards(given.absolute().parent.resolve(), filename)
    if given.exists():
        raise SecretNotFoundError(f"{shown_path(given.absolute())} is neither a file nor a directory; pass a .env file or a directory.")
    raise SecretNotFoundError(f"{shown_path(given.absolute())} does not exist: pass an existing .env file or a directory.")


def _search_upwards(start: Path, filename: str) -> Path:
    for directory in (start, *start.parents):
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    raise SecretNotFoundError(
        f"No {filename} file found in {shown_path(start)} or any directory above it. "
        f"Create {filename} there (or in a parent), or pass the path of the file to read."
    )


def read_dotenv_file(path: Path, *, interpolate: bool = False) -> dict[str, str]:
    """Parse a .env file; keys with no value (`KEY` alone) are left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretNotFoundError(f".env file not found: {shown_path(path)}") from None
    except UnicodeDecodeError:
        raise DotenvError(f"{shown_path(path)} is not valid UTF-8 text.") from None
    except OSError as exc:
        raise DotenvError(f"Cannot read {shown_path(path)}: {exc.strerror}.") from None

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
            f"{shown_path(path)}: cannot parse line{plural} {', '.join(map(str, bad_lines))}; "
            "expected KEY=VALUE (quote values that contain spaces or '#')."
        )
    if bad_keys:
        line, _ = bad_keys[0]
        # The "key" is not quoted: a line without '=' (a wrapped value's second half) would be a value.
        raise DotenvError(
            f"{shown_path(path)}: line {line} is not KEY=VALUE: a key starts with a letter or '_' "
            "and holds only letters, digits and '_'."
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=interpolate)
    env = {key: value for key, value in values.items() if value is not None}
    for key, value in env.items():
        check_value(key, value)
    return env
