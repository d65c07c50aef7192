"""Strict .env reading on top of python-dotenv's parser.

python-dotenv logs and skips lines it cannot parse and interpolates `${VAR}`
by default, which silently changes passwords containing `$`. Here a malformed
line is an error naming the file and line, and interpolation is opt-in.
No message quotes a line of the file, and a value cut across two lines is
refused rather than stored truncated (see `read_dotenv_file`).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import NamedTuple

from dotenv import dotenv_values
from dotenv.parser import Binding, parse_stream

from .display import shown_path
from .errors import DotenvError, InvalidSecretError, SecretNotFoundError
from .rules import KEY_PATTERN, WRITTEN_KEY, check_value


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
    for a missing key later; so is an empty path (`--dotenv=$FILE` with
    FILE unset), which would otherwise quietly mean the working directory.
    """
    if path is None:
        return _search_upwards(Path.cwd().resolve(), filename)
    if os.fspath(path) == "":  # `--dotenv=$ENV_FILE` with the variable unset: not a quiet read of ./.env
        raise InvalidSecretError(
            f"The path of the {filename} file is empty: name a file or a directory, or give no path to use the nearest {filename}."
        )
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


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""How a UTF-16 file starts (what Windows PowerShell's `>` writes), to say so instead of 'not UTF-8'."""


def read_text_file(path: Path, what: str, error: type[InvalidSecretError] = InvalidSecretError) -> str:
    """A file's text as UTF-8 (a byte-order mark skipped, newlines as `\\n`), each failure one sentence naming the file.

    `what` names the kind of file in messages (".env file", "JSON file") and
    `error` is what is raised, except for a missing file (SecretNotFoundError).
    Shared by the .env and JSON readers so both refuse the same things alike.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SecretNotFoundError(f"{what[0].upper()}{what[1:]} not found: {shown_path(path)}") from None
    except IsADirectoryError:
        raise error(f"{shown_path(path)} is a directory: pass the {what} itself.") from None
    except OSError as exc:
        reason = f": {exc.strerror}" if exc.strerror else ""
        raise error(f"Cannot read {shown_path(path)}{reason}.") from None
    return decode_text(data, shown_path(path), error)


def decode_text(data: bytes, shown_file: str, error: type[InvalidSecretError] = InvalidSecretError) -> str:
    """Bytes of a text file (read from disk, or uploaded) as `read_text_file` reads them."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        found = " (it looks like UTF-16)" if data.startswith(UTF16_BOMS) else ""
        raise error(f"{shown_file} is not UTF-8 text{found}: save it as UTF-8.") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as Path.read_text reads it


# The start of a binding as python-dotenv reads it: `export`, the key (quoted or not), `=` and what follows it.
_BINDING_HEAD = re.compile(
    r"\s*(?P<export>export[^\S\r\n]+)?(?P<key>'[^']+'|[^=#\s]+)[^\S\r\n]*(?P<equals>=[^\S\r\n]*(?P<quote>['\"]?))?"
)


class _Line(NamedTuple):
    number: int  # where the binding's text starts, past the blank lines python-dotenv counts into it
    plain: bool  # no `export`, an unquoted key, and an unquoted value or none
    unquoted_value: bool  # KEY=VALUE with a non-empty, unquoted value (one that can be cut across lines)


def _describe(binding: Binding) -> _Line:
    text = binding.original.string
    leading = text[: len(text) - len(text.lstrip())]
    number = binding.original.line + leading.count("\n")  # newlines are `\n` here (read_text_file)
    head = _BINDING_HEAD.match(text) if binding.key is not None and not binding.error else None
    if head is None:
        return _Line(number, False, False)
    quoted = bool(head["quote"])
    plain = not head["export"] and not head["key"].startswith("'") and not quoted
    return _Line(number, plain, head["equals"] is not None and not quoted and bool(binding.value))


def _looks_like_the_rest(binding: Binding) -> bool:
    """Whether a plain line right below an unquoted value reads as that value's second half.

    Its value starts with `=` (`bPxRfiCYEXAMPLEKEY==`: base64 padding, and
    `...==;EndpointSuffix=...` in a connection string), or it has no value or
    an empty one and a key that is neither upper nor lower snake case
    (`bPxRfiCY`, `/bPxRfiCY`, `bPxRfiCY=`). A key with a real value is left
    alone whatever its case: a cut value rarely has an `=` inside, and keys
    such as `AWSRegion=us-east-1` are real.
    """
    key, value = binding.key or "", binding.value
    if value and value.startswith("="):
        return True
    return not value and not WRITTEN_KEY.fullmatch(key)


def _lines(numbers: list[int], verb: str = "") -> str:
    """`line 3`, `lines 3, 7`; with `verb` ("is") `line 3 is`, `lines 3, 7 are`."""
    several = len(numbers) > 1
    verb = {"is": " are" if several else " is"}.get(verb, "")
    return f"line{'s' if several else ''} {', '.join(map(str, numbers))}{verb}"


def read_dotenv_file(path: Path, *, interpolate: bool = False) -> dict[str, str]:
    """Parse a .env file, strictly; keys with no value (`KEY` alone) are left out.

    Every way nbsecrets reads a .env file comes here (`--from-dotenv`,
    `run --dotenv`, `Secret.from_dotenv`, the magics' `--dotenv`), and no
    message quotes a line of the file, only its number: a line that is not
    KEY=VALUE may well be part of a value.

    A value cut across lines is refused rather than stored truncated. Line N
    is taken for the rest of line N-1's value when line N-1 is KEY=VALUE with
    an unquoted, non-empty value and line N (right below it, no blank line or
    comment between) has no `export` and no quotes, and either
    - has a value that starts with `=` (`bPxRfiCYEXAMPLEKEY==`: base64 padding), or
    - has no value, or an empty one, and a key in neither upper nor lower
      snake case (`bPxRfiCY`, `bPxRfiCY=`; `DEBUG=` and `DEBUG` stay as they are).
    Quoting line N-1's value always settles it, as does joining the lines.
    A UTF-8 byte-order mark is skipped.
    """
    return parse_dotenv_text(read_text_file(path, ".env file", DotenvError), shown_path(path), interpolate=interpolate)


def parse_dotenv_text(text: str, shown_file: str, *, interpolate: bool = False) -> dict[str, str]:
    """The variables of .env text read from elsewhere (an upload), by the rules of `read_dotenv_file`;
    `shown_file` is how messages name it."""
    bad_lines: list[int] = []
    cut: list[tuple[int, int]] = []
    bad_keys: list[int] = []
    above: _Line | None = None  # the binding just read, if it holds a value that can be cut
    for binding in parse_stream(io.StringIO(text)):
        line = _describe(binding)
        follows_value = above is not None and line.number == above.number + 1
        if binding.error:
            bad_lines.append(line.number)
        elif binding.key is None:
            pass  # blank lines and comments
        elif follows_value and line.plain and _looks_like_the_rest(binding):
            cut.append((line.number, line.number - 1))
        elif not KEY_PATTERN.fullmatch(binding.key):
            bad_keys.append(line.number)
        above = line if line.unquoted_value else None
    if bad_lines:
        raise DotenvError(
            f"{shown_file}: cannot parse {_lines(bad_lines)}; expected KEY=VALUE (quote values that contain spaces or '#')."
        )
    if cut:
        (line, before), others = cut[0], [number for number, _ in cut[1:]]
        so_do = f", and so {'do' if len(others) > 1 else 'does'} {_lines(others)}" if others else ""
        raise DotenvError(
            f"{shown_file}: line {line} looks like the rest of the value on line {before}, cut across lines{so_do}. "
            f"Join {'each' if others else 'it'} onto the line above, or, if it is a variable of its own, quote the value above it."
        )
    if bad_keys:
        raise DotenvError(
            f"{shown_file}: {_lines(bad_keys, 'is')} not KEY=VALUE: a key starts with a letter or '_' "
            "and holds only letters, digits and '_'."
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=interpolate)
    env = {key: value for key, value in values.items() if value is not None}
    for key, value in env.items():
        check_value(key, value)
    return env
