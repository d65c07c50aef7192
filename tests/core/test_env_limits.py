"""Sizes in bytes: a value's limit in UTF-8, and whether a whole environment fits a new process.

The real-process tests build environments to the byte with their own count of
what Linux's execve charges (independent of env_limits' code), then start a
real interpreter: at the limit it starts, one byte over it fails with E2BIG,
and check_environment draws the line at the same place.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nbsecrets
from nbsecrets import InvalidSecretError, Secret, load, status, unload, with_secrets
from nbsecrets.core.env_limits import check_environment, platform_limits
from nbsecrets.core.rules import MAX_VALUE_BYTES

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's execve limits")

KEY_CHARACTER = "\U0001f511"  # four bytes in UTF-8
COMMAND = [sys.executable, "-c", "pass"]


def fake(size: int) -> str:
    """An obviously fake value of `size` ASCII bytes."""
    return ("sk-test-" + "x" * size)[:size]


@pytest.fixture(autouse=True)
def no_session_loads():
    unload()
    yield
    unload()


# -- the value rule counts UTF-8 bytes ---------------------------------------------


def test_a_value_of_32768_four_byte_characters_is_refused_naming_key_and_bytes() -> None:
    value = KEY_CHARACTER * MAX_VALUE_BYTES
    with pytest.raises(InvalidSecretError) as raised:
        Secret.from_dict({"API_KEY": value})
    message = str(raised.value)
    assert "API_KEY" in message
    assert "131072 bytes" in message and str(MAX_VALUE_BYTES) in message
    assert KEY_CHARACTER not in message


def test_the_store_refuses_it_too_and_keeps_nothing() -> None:
    store = nbsecrets.get_store()
    with pytest.raises(InvalidSecretError) as raised:
        store.create("too-wide", {"API_KEY": "sk-test-" + "€" * MAX_VALUE_BYTES})
    message = str(raised.value)
    assert "API_KEY" in message and "bytes" in message
    assert "sk-test" not in message and "€" not in message
    assert not store.exists("too-wide")


def test_32768_ascii_bytes_are_accepted_and_stored_unchanged() -> None:
    value = fake(MAX_VALUE_BYTES)
    assert Secret.from_dict({"API_KEY": value}).resolve() == {"API_KEY": value}
    store = nbsecrets.get_store()
    store.create("just-fits", {"API_KEY": value})
    assert store.get("just-fits") == {"API_KEY": value}


def test_one_byte_more_is_refused_however_it_is_made() -> None:
    for value in (fake(MAX_VALUE_BYTES + 1), "é" * (MAX_VALUE_BYTES // 2) + "x"):
        with pytest.raises(InvalidSecretError, match=f"{MAX_VALUE_BYTES + 1} bytes"):
            Secret.from_dict({"API_KEY": value})


def test_undecodable_bytes_count_as_the_bytes_they_stand_for() -> None:
    """os.environ carries a byte that is not UTF-8 as one surrogate; it is one byte in a child's environment."""
    value = "\udcff" * MAX_VALUE_BYTES
    assert Secret.from_dict({"RAW": value}).resolve() == {"RAW": value}
    with pytest.raises(InvalidSecretError, match=f"{MAX_VALUE_BYTES + 1} bytes"):
        Secret.from_dict({"RAW": value + "\udc80"})


# -- check_environment ---------------------------------------------------------------


@linux_only
def test_one_entry_over_the_per_string_limit_is_refused_naming_its_key() -> None:
    limit = platform_limits().entry
    assert limit == 32 * os.sysconf("SC_PAGE_SIZE") - 1
    value = fake(limit - len("HUGE_TOKEN="))
    check_environment({"HUGE_TOKEN": value})
    with pytest.raises(InvalidSecretError) as raised:
        check_environment({"SMALL": "sk-test-small", "HUGE_TOKEN": value + "x"})
    message = str(raised.value)
    assert "HUGE_TOKEN" in message and f"{limit + 1} bytes" in message and str(limit) in message
    assert "sk-test" not in message and "SMALL" not in message


@linux_only
def test_a_total_over_arg_max_is_refused_with_sizes_limit_and_largest_added_keys() -> None:
    limit = platform_limits().total
    count = limit // 100_000 + 2
    env = {f"NBS_BULK_{i:03d}": fake(90_000) for i in range(count)}
    env["NBS_LARGEST"] = fake(120_000)
    env["NBS_SECOND"] = fake(110_000)
    with pytest.raises(InvalidSecretError) as raised:
        check_environment({**os.environ, **env}, COMMAND)
    message = str(raised.value)
    assert str(limit) in message and "Argument list too long" in message
    assert "NBS_LARGEST (120012 bytes)" in message and "NBS_SECOND (110011 bytes)" in message
    assert "sk-test" not in message
    for key in os.environ:  # what was there already is not blamed
        assert f" {key} (" not in message


def test_an_ordinary_environment_passes() -> None:
    check_environment(dict(os.environ))
    check_environment({**os.environ, "OPENAI_API_KEY": fake(MAX_VALUE_BYTES)}, COMMAND)


# -- load and with_secrets refuse before changing anything ------------------------------


def too_much_for_arg_max() -> list[Secret]:
    """Secrets whose values each pass the rules but together exceed ARG_MAX (or, elsewhere, fit)."""
    limit = platform_limits().total or 2 * 1024 * 1024
    per_secret = 40
    secrets_needed = limit // (per_secret * MAX_VALUE_BYTES) + 1
    return [
        Secret.from_dict({f"NBS_PART{s}_{i:02d}": fake(MAX_VALUE_BYTES) for i in range(per_secret)}).relabelled(
            f"part{s}"
        )
        for s in range(secrets_needed)
    ]


@linux_only
def test_a_load_over_arg_max_is_refused_and_the_environment_is_unchanged() -> None:
    before = dict(os.environ)
    with pytest.raises(InvalidSecretError) as raised:
        load(*too_much_for_arg_max())
    assert dict(os.environ) == before
    assert list(status()) == []
    message = str(raised.value)
    assert "NBS_PART" in message and str(platform_limits().total) in message
    assert "sk-test" not in message
    # nothing half-recorded either: a later load and unload leave exactly what was there
    load(Secret.from_dict({"NBS_SMALL": "sk-test-small-value"}))
    assert status().keys == ["NBS_SMALL"]
    unload()
    assert dict(os.environ) == before


@linux_only
def test_with_secrets_over_arg_max_is_refused_before_entering() -> None:
    before = dict(os.environ)
    with pytest.raises(InvalidSecretError, match="NBS_PART"):
        with with_secrets(*too_much_for_arg_max()):
            pytest.fail("the block must not run")  # pragma: no cover
    assert dict(os.environ) == before


# -- the model matches the kernel: real processes -------------------------------------


POINTER = 8


def execve_charge(filename: str, argv: list[str], env: dict[str, str], interpreter: str | None = None) -> int:
    """What Linux (>= 5.1) charges against the limit, counted here from fs/exec.c and binfmt_script.c:
    the path, each argument and KEY=VALUE with its NUL, one pointer per argument and variable;
    a #! script swaps argv[0] for its path and adds the interpreter's (no new pointers)."""
    size = len(os.fsencode(filename)) + 1
    size += sum(len(os.fsencode(arg)) + 1 for arg in argv)
    size += sum(len(os.fsencode(f"{key}={value}")) + 1 for key, value in env.items())
    size += POINTER * (max(len(argv), 1) + len(env))
    if interpreter is not None:
        size += len(os.fsencode(interpreter)) + 1 + len(os.fsencode(filename)) + 1 - (len(os.fsencode(argv[0])) + 1)
    return size


def filled_to(charge: int, base: dict[str, str], measure) -> dict[str, str]:
    """`base` plus fake variables, so that measure(env) == charge exactly."""
    env = dict(base)
    for i in range(10_000):
        key = f"NBS_FILL_{i:03d}"
        env[key] = ""
        room = charge - measure(env)
        assert room >= 0, "the base environment is already over the limit"
        if room <= 100_000:
            env[key] = fake(room)
            break
        env[key] = fake(100_000)
    assert measure(env) == charge
    return env


def starts(argv: list[str], env: dict[str, str]) -> bool:
    """True if the program ran; False if execve refused it with E2BIG (any other failure is an error)."""
    try:
        completed = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    except OSError as exc:
        assert exc.errno == errno.E2BIG, exc
        return False
    assert completed.returncode == 0, completed.stderr[-2000:]
    return True


def accepted(env: dict[str, str], argv: list[str]) -> bool:
    try:
        check_environment(env, argv)
    except InvalidSecretError:
        return False
    return True


@linux_only
def test_one_variable_at_the_per_string_limit_starts_and_one_byte_more_fails_with_e2big() -> None:
    limit = platform_limits().entry
    at_limit = {**os.environ, "NBS_ENTRY": fake(limit - len("NBS_ENTRY="))}
    assert accepted(at_limit, COMMAND) and starts(COMMAND, at_limit)
    over = {**at_limit, "NBS_ENTRY": at_limit["NBS_ENTRY"] + "x"}
    assert not accepted(over, COMMAND)
    assert not starts(COMMAND, over)


@linux_only
def test_an_environment_at_arg_max_starts_and_one_byte_more_fails_with_e2big() -> None:
    limit = platform_limits().total
    measure = lambda env: execve_charge(sys.executable, COMMAND, env)  # noqa: E731
    at_limit = filled_to(limit, dict(os.environ), measure)
    assert accepted(at_limit, COMMAND) and starts(COMMAND, at_limit)
    over = filled_to(limit + 1, dict(os.environ), measure)
    assert not accepted(over, COMMAND)
    assert not starts(COMMAND, over)


@linux_only
def test_a_script_run_by_name_is_counted_with_its_interpreter(tmp_path: Path) -> None:
    """`nbsecrets run -- tool` where tool is a #! script found on PATH (as console scripts are)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "nbs-tool"
    script.write_text(f"#!{sys.executable}\npass\n")
    script.chmod(0o755)
    argv = ["nbs-tool"]
    base = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}
    limit = platform_limits().total
    measure = lambda env: execve_charge(str(script), argv, env, interpreter=sys.executable)  # noqa: E731
    at_limit = filled_to(limit, base, measure)
    assert accepted(at_limit, argv) and starts(argv, at_limit)
    over = filled_to(limit + 1, base, measure)
    assert not accepted(over, argv)
    assert not starts(argv, over)


@linux_only
def test_the_limit_follows_the_kernel_formula_for_this_stack_limit() -> None:
    """max(min(stack/4, 6 MiB), 128 KiB); glibc's SC_ARG_MAX agrees on this machine."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    quarter = 6 * 1024 * 1024 if soft == resource.RLIM_INFINITY else min(soft // 4, 6 * 1024 * 1024)
    assert platform_limits().total == max(quarter, 131_072)
