"""load / unload / with_secrets: ordered, all-or-nothing, and exactly undone."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

import nbsecrets
from nbsecrets import Secret, SecretNotFoundError, load, unload, with_secrets
from nbsecrets.core.environment import SessionEnvironment


@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch):
    """Each test starts and ends with no session loads, and its keys unset."""
    for key in ("NBS_A", "NBS_B", "NBS_C"):
        monkeypatch.delenv(key, raising=False)
    unload()
    yield
    unload()


def test_later_source_wins_and_report_says_who_overrode_whom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBS_C", "preexisting")
    first = Secret.from_dict({"NBS_A": "sk-test-first", "NBS_B": "sk-test-b"}).relabelled("first")
    second = Secret.from_dict({"NBS_A": "sk-test-second", "NBS_C": "sk-test-c"}).relabelled("second")
    report = load(first, second)
    assert os.environ["NBS_A"] == "sk-test-second"
    assert os.environ["NBS_B"] == "sk-test-b"
    assert os.environ["NBS_C"] == "sk-test-c"
    entries = {entry.key: (entry.source, entry.overrode) for entry in report}
    assert entries == {
        "NBS_A": ("second", "first"),
        "NBS_B": ("first", None),
        "NBS_C": ("second", "environment"),
    }
    text = str(report)
    assert "NBS_A" in text and "overrides first" in text
    assert "sk-test" not in text and "sk-test" not in repr(report)


def test_a_failing_source_leaves_environ_unchanged() -> None:
    before = dict(os.environ)
    with pytest.raises(SecretNotFoundError):
        load(Secret.from_dict({"NBS_A": "sk-test-a"}), Secret.from_name("does-not-exist"))
    assert dict(os.environ) == before
    assert nbsecrets.status() == ()


def test_unload_restores_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBS_B", "original-b")
    load(Secret.from_dict({"NBS_A": "sk-test-a", "NBS_B": "sk-test-b"}))
    load(Secret.from_dict({"NBS_B": "sk-test-b2"}).relabelled("again"))
    assert sorted(unload()) == ["NBS_A", "NBS_B"]
    assert "NBS_A" not in os.environ
    assert os.environ["NBS_B"] == "original-b"


def test_unload_one_source_uncovers_the_one_below() -> None:
    load(Secret.from_dict({"NBS_A": "sk-test-low"}).relabelled("low"))
    load(Secret.from_dict({"NBS_A": "sk-test-high", "NBS_B": "sk-test-only-high"}).relabelled("high"))
    status = {entry.key: (entry.source, entry.overrode) for entry in nbsecrets.status()}
    assert status["NBS_A"] == ("high", "low")
    unload("high")
    assert os.environ["NBS_A"] == "sk-test-low"
    assert "NBS_B" not in os.environ
    unload("low")
    assert "NBS_A" not in os.environ


def test_unloading_a_lower_source_keeps_the_top_value() -> None:
    load(Secret.from_dict({"NBS_A": "sk-test-low"}).relabelled("low"))
    load(Secret.from_dict({"NBS_A": "sk-test-high"}).relabelled("high"))
    unload("low")
    assert os.environ["NBS_A"] == "sk-test-high"
    unload("high")
    assert "NBS_A" not in os.environ


def test_session_environment_works_on_any_mapping() -> None:
    env: dict[str, str] = {"NBS_A": "base"}
    session = SessionEnvironment(env)
    session.load(Secret.from_dict({"NBS_A": "sk-test-x", "NBS_B": "sk-test-y"}))
    assert env == {"NBS_A": "sk-test-x", "NBS_B": "sk-test-y"}
    assert session.sources() == ["dict"]
    session.unload()
    assert env == {"NBS_A": "base"}


def test_with_secrets_restores_on_success_exception_and_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBS_B", "outer-b")
    secret = Secret.from_dict({"NBS_A": "sk-test-a", "NBS_B": "sk-test-b"})
    before = dict(os.environ)
    with with_secrets(secret) as report:
        assert os.environ["NBS_A"] == "sk-test-a"
        assert {entry.key: entry.overrode for entry in report} == {"NBS_A": None, "NBS_B": "environment"}
    assert dict(os.environ) == before
    for exc in (ValueError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with with_secrets(secret):
                raise exc
        assert dict(os.environ) == before


def test_with_secrets_restores_keys_the_block_changed_itself() -> None:
    before = dict(os.environ)
    with with_secrets(Secret.from_dict({"NBS_A": "sk-test-a"})):
        os.environ["NBS_A"] = "changed-inside"
    assert dict(os.environ) == before


def test_with_secrets_nests() -> None:
    outer = Secret.from_dict({"NBS_A": "sk-test-outer", "NBS_B": "sk-test-outer-b"})
    inner = Secret.from_dict({"NBS_A": "sk-test-inner"})
    with with_secrets(outer):
        with with_secrets(inner):
            assert os.environ["NBS_A"] == "sk-test-inner"
            assert os.environ["NBS_B"] == "sk-test-outer-b"
        assert os.environ["NBS_A"] == "sk-test-outer"
    assert "NBS_A" not in os.environ and "NBS_B" not in os.environ


def test_with_secrets_failing_source_changes_nothing() -> None:
    before = dict(os.environ)
    with pytest.raises(SecretNotFoundError):
        with with_secrets(Secret.from_dict({"NBS_A": "sk-test-a"}), Secret.from_name("missing")):
            pytest.fail("the block must not run")
    assert dict(os.environ) == before


def test_decorator_on_functions_methods_recursion_and_coroutines() -> None:
    secret = Secret.from_dict({"NBS_A": "sk-test-deco"})

    @with_secrets(secret)
    def read(depth: int = 0) -> str:
        if depth < 2:
            read(depth + 1)  # nested scopes from recursion must each restore correctly
        return os.environ["NBS_A"]

    class Client:
        @with_secrets(secret)
        def token(self) -> str:
            return os.environ["NBS_A"]

    @with_secrets(secret)
    async def read_async() -> str:
        await asyncio.sleep(0)
        return os.environ["NBS_A"]

    assert read() == "sk-test-deco"
    assert Client().token() == "sk-test-deco"
    assert asyncio.run(read_async()) == "sk-test-deco"
    assert read.__name__ == "read"
    assert "NBS_A" not in os.environ


def test_decorated_function_raising_restores() -> None:
    @with_secrets(Secret.from_dict({"NBS_A": "sk-test-a"}))
    def explode() -> None:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        explode()
    assert "NBS_A" not in os.environ


def test_an_active_block_cannot_be_reentered() -> None:
    block = with_secrets(Secret.from_dict({"NBS_A": "sk-test-a"}))
    with block:
        with pytest.raises(RuntimeError, match="already active"):
            block.__enter__()
    assert "NBS_A" not in os.environ


def test_concurrent_loads_keep_a_consistent_layer_stack() -> None:
    session = SessionEnvironment({})
    secrets = [Secret.from_dict({"NBS_A": f"sk-test-{i}"}).relabelled(f"s{i}") for i in range(20)]
    threads = [threading.Thread(target=session.load, args=(secret,)) for secret in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(session.sources()) == 20
    session.unload()
    assert session.status() == ()


def test_non_secret_argument_is_rejected() -> None:
    with pytest.raises(TypeError, match="nbsecrets.Secret"):
        load({"NBS_A": "x"})  # type: ignore[arg-type]


# -- what a report says a key overrode -------------------------------------------------------


def _overrode(report) -> dict[str, str | None]:
    return {entry.key: entry.overrode for entry in report}


def test_loading_the_same_source_again_does_not_override_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-run cell reloads its secret: "overrides openai" about openai itself would be noise, and wrong."""
    monkeypatch.setenv("NBS_C", "preexisting")
    source = Secret.from_dict({"NBS_A": "sk-test-reload-a", "NBS_C": "sk-test-reload-c"}).relabelled("openai")
    first = load(source)
    assert _overrode(first) == {"NBS_A": None, "NBS_C": "environment"}
    again = load(source)
    assert again.keys == ["NBS_A", "NBS_C"]
    assert again[0].overrode is None
    assert again[1].overrode in (None, "environment")  # what is under it, never itself
    assert all(entry.overrode != "openai" for entry in again)
    assert "overrides openai" not in str(again)
    assert all(entry.overrode != "openai" for entry in nbsecrets.status())
    unload()
    assert os.environ["NBS_C"] == "preexisting" and "NBS_A" not in os.environ


def test_reloading_the_top_source_still_names_the_one_underneath() -> None:
    load(Secret.from_dict({"NBS_A": "sk-test-low"}).relabelled("low"))
    load(Secret.from_dict({"NBS_A": "sk-test-high"}).relabelled("high"))
    again = load(Secret.from_dict({"NBS_A": "sk-test-high-2"}).relabelled("high"))
    assert _overrode(again) == {"NBS_A": "low"}
    assert _overrode(nbsecrets.status()) == {"NBS_A": "low"}


def test_a_stored_secret_reloaded_by_either_of_its_names_does_not_override_itself() -> None:
    """`local:db` and `db` are one secret with one label."""
    nbsecrets.get_store().create("db", {"NBS_A": "sk-test-stored-db"})
    load(Secret.from_name("db"))
    again = load(Secret.from_name("local:db"))
    assert [(entry.source, entry.overrode) for entry in again] == [("db", None)]
    from nbsecrets.core.environment import session

    assert session.sources() == ["db"]


def test_one_source_named_twice_in_one_load_does_not_override_itself() -> None:
    """`%secret load db db` (or `db local:db`) is one source; the second mention overrides nothing new."""
    source = Secret.from_dict({"NBS_A": "sk-test-twice"}).relabelled("db")
    report = load(source, source)
    assert _overrode(report) == {"NBS_A": None}


def test_one_source_named_twice_in_with_secrets_does_not_override_itself() -> None:
    source = Secret.from_dict({"NBS_A": "sk-test-twice-with"}).relabelled("db")
    with with_secrets(source, source) as report:
        assert _overrode(report) == {"NBS_A": None}


def test_loading_a_variable_from_the_environment_overrides_nothing() -> None:
    """`--env HOME` copies HOME onto itself: nothing was overridden, and status agrees."""
    from nbsecrets.core.source_spec import parse_sources

    home = os.environ["HOME"]
    for source in (Secret.from_local_environ(["HOME"]), *parse_sources(["--env", "HOME"])):
        report = load(source)
        assert [(entry.key, entry.overrode) for entry in report] == [("HOME", None)]
        assert "overrides" not in str(report)
        assert _overrode(nbsecrets.status())["HOME"] is None
        unload()
        assert os.environ["HOME"] == home


def test_an_equal_value_overrides_nothing_a_different_one_overrides_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBS_A", "sk-test-same-value")
    monkeypatch.setenv("NBS_B", "sk-test-old-value")
    report = load(Secret.from_dict({"NBS_A": "sk-test-same-value", "NBS_B": "sk-test-new-value"}).relabelled("s"))
    assert _overrode(report) == {"NBS_A": None, "NBS_B": "environment"}
    assert _overrode(nbsecrets.status()) == {"NBS_A": None, "NBS_B": "environment"}
    with with_secrets(Secret.from_dict({"NBS_A": "sk-test-same-value"})) as report:
        assert _overrode(report) == {"NBS_A": None}


def test_status_function_is_the_session_status() -> None:
    from nbsecrets.core import environment

    assert environment.status() == environment.session.status() == ()
    load(Secret.from_dict({"NBS_A": "sk-test-status-a"}).relabelled("first"))
    load(Secret.from_dict({"NBS_A": "sk-test-status-b", "NBS_B": "sk-test-status-c"}, settings=["NBS_B"]).relabelled("second"))
    assert environment.status() == environment.session.status()
    assert nbsecrets.status() == environment.session.status()
    assert str(nbsecrets.status()) == str(environment.session.status())
    assert [(e.key, e.source, e.overrode, e.setting) for e in nbsecrets.status()] == [
        ("NBS_A", "second", "first", False),
        ("NBS_B", "second", None, True),
    ]
