"""Secret constructors: Modal's API, with stricter errors that never show a value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbsecrets
from nbsecrets import InvalidSecretError, MissingKeysError, Secret, SecretNotFoundError
from nbsecrets.core.registry import registry

FAKE = "sk-test-sources-1234567890"


def test_from_dict_drops_none_and_copies() -> None:
    source = {"OPENAI_API_KEY": FAKE, "UNSET": None}
    secret = Secret.from_dict(source)
    source["OPENAI_API_KEY"] = "changed-later"
    assert secret.resolve() == {"OPENAI_API_KEY": FAKE}
    assert secret.keys == ("OPENAI_API_KEY",)


@pytest.mark.parametrize(
    "mapping, fragment",
    [
        ({1: "x"}, "must be a string"),
        ({"OK": 5}, "OK must be a string"),
        ({"9BAD": "x"}, "Invalid key (it starts with a digit)"),
        ({"A": "sk-test-\x00nul"}, "NUL"),
        ({"A": "x" * 32_769}, "32768"),
    ],
)
def test_from_dict_rejects_bad_input_without_showing_values(mapping: dict, fragment: str) -> None:
    with pytest.raises(InvalidSecretError) as info:
        Secret.from_dict(mapping)
    assert fragment in str(info.value)
    assert "sk-test" not in str(info.value)


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(InvalidSecretError, match="mapping"):
        Secret.from_dict([("A", "b")])  # type: ignore[arg-type]


def test_repr_shows_kind_and_keys_never_values() -> None:
    secret = Secret.from_dict({"OPENAI_API_KEY": FAKE})
    for text in (repr(secret), str(secret)):
        assert "OPENAI_API_KEY" in text and "dict" in text
        assert FAKE not in text


def test_from_name_validates_name_eagerly_and_resolves_lazily() -> None:
    with pytest.raises(InvalidSecretError, match="Invalid secret name"):
        Secret.from_name("bad name!")
    secret = Secret.from_name("later")
    nbsecrets.get_store().create("later", {"TOKEN": FAKE})
    assert secret.resolve() == {"TOKEN": FAKE}
    assert FAKE not in repr(secret)


def test_from_name_missing_suggests_close_names() -> None:
    nbsecrets.get_store().create("openai-keys", {"OPENAI_API_KEY": FAKE})
    with pytest.raises(SecretNotFoundError) as info:
        Secret.from_name("openai-key").resolve()
    assert "Secret 'openai-key' not found" in str(info.value)
    assert "openai-keys" in str(info.value)


def test_required_keys_name_every_missing_key() -> None:
    nbsecrets.get_store().create("db", {"PGHOST": "localhost"})
    with pytest.raises(MissingKeysError) as info:
        Secret.from_name("db", required_keys=["PGPASSWORD", "PGUSER"]).resolve()
    assert info.value.missing == ["PGPASSWORD", "PGUSER"]
    assert "PGPASSWORD" in str(info.value) and "PGUSER" in str(info.value)


def test_required_keys_must_be_a_list() -> None:
    with pytest.raises(InvalidSecretError, match="list of key names"):
        Secret.from_name("db", required_keys="PGHOST")


def test_from_local_environ_copies_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBS_TEST_TOKEN", FAKE)
    secret = Secret.from_local_environ(["NBS_TEST_TOKEN"])
    monkeypatch.setenv("NBS_TEST_TOKEN", "sk-test-changed-afterwards")
    assert secret.resolve() == {"NBS_TEST_TOKEN": FAKE}


def test_from_local_environ_names_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBS_NOT_SET_A", raising=False)
    monkeypatch.delenv("NBS_NOT_SET_B", raising=False)
    with pytest.raises(InvalidSecretError) as info:
        Secret.from_local_environ(["NBS_NOT_SET_A", "NBS_NOT_SET_B"])
    assert "NBS_NOT_SET_A" in str(info.value) and "NBS_NOT_SET_B" in str(info.value)


def test_resolved_values_are_registered_for_masking() -> None:
    value = "sk-test-registered-abcdef"
    assert value not in registry
    Secret.from_dict({"SOME_KEY": value}).resolve()
    assert value in registry
    assert dict(registry.items())[value] == "SOME_KEY"


def test_mask_registers_a_value() -> None:
    nbsecrets.mask("sk-test-mask-by-hand-123", name="HAND")
    assert "sk-test-mask-by-hand-123" in registry
    with pytest.raises(InvalidSecretError):
        nbsecrets.mask(123)  # type: ignore[arg-type]


def test_errors_form_one_hierarchy() -> None:
    for error in (
        nbsecrets.SecretNotFoundError,
        nbsecrets.MissingKeysError,
        nbsecrets.InvalidSecretError,
        nbsecrets.AlreadyExistsError,
        nbsecrets.DotenvError,
        nbsecrets.KeyUnavailableError,
        nbsecrets.VaultCorruptError,
    ):
        assert issubclass(error, nbsecrets.NbSecretsError)


def test_core_imports_without_ipython(tmp_path) -> None:
    """The core must work where IPython is not installed."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['IPython'] = None; sys.modules['ipywidgets'] = None; sys.modules['ipykernel'] = None\n"
        "import nbsecrets\n"
        "from nbsecrets.core import environment, secret, source_spec, store, registry, rules, dotenv_file\n"
        "s = nbsecrets.get_store(); s.create('x', {'A': 'sk-test-noipython'})\n"
        "with nbsecrets.with_secrets(nbsecrets.Secret.from_name('x')):\n"
        "    import os; assert os.environ['A'] == 'sk-test-noipython'\n"
        "print('ok', 'IPython' in sys.modules and sys.modules['IPython'] is not None)\n"
    )
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, env=os.environ)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok False"


# -- stores named in from_name ---------------------------------------------------------


def test_local_is_the_default_store_and_names_it_the_same_way() -> None:
    """`local:x`, `x` and store="local" are one secret, so reports and `unload` name it once: `x`."""
    nbsecrets.get_store().create("x", {"TOKEN": FAKE})
    sources = [Secret.from_name("local:x"), Secret.from_name("x"), Secret.from_name("x", store="local")]
    assert {source.label for source in sources} == {"x"}
    assert {source.describe() for source in sources} == {"Secret 'x'"}
    assert all(source.resolve() == {"TOKEN": FAKE} for source in sources)


def test_another_store_is_part_of_the_label_and_must_be_configured() -> None:
    """`team:x` is not the local `x`: its label says so, and with no store named team it cannot resolve."""
    nbsecrets.get_store().create("x", {"TOKEN": FAKE})
    for source in (Secret.from_name("team:x"), Secret.from_name("x", store="team")):
        assert source.label == "team:x" and source.describe() == "Secret 'team:x'"
        with pytest.raises(SecretNotFoundError, match="No store named 'team'") as raised:
            source.resolve()
        assert raised.value.name == "team"


@pytest.mark.parametrize(
    "name, store",
    [("team:x", "local"), ("local:x", "team"), ("team:x", "other")],
)
def test_two_different_stores_for_one_secret_is_an_error(name: str, store: str) -> None:
    with pytest.raises(InvalidSecretError, match="Two different stores were named"):
        Secret.from_name(name, store=store)


def test_agreeing_store_and_prefix_are_fine() -> None:
    assert Secret.from_name("team:x", store="team").label == "team:x"
    assert Secret.from_name("local:x", store="local").label == "x"


@pytest.mark.parametrize("name", [":", ":x", "x:", "team:", "bad store:x", "team:bad name"])
def test_a_malformed_store_reference_is_refused_at_once(name: str) -> None:
    with pytest.raises(InvalidSecretError):
        Secret.from_name(name)


def test_a_store_object_is_read_instead_of_the_configured_one(tmp_path) -> None:
    """The panel (and tests) pass the store they opened: the secret comes from there."""
    from nbsecrets.core.store.local import LocalStore

    other = LocalStore(tmp_path / "other-home")
    other.create("x", {"TOKEN": "sk-test-other-store"}, settings=())
    nbsecrets.get_store().create("x", {"TOKEN": "sk-test-default-store"})
    source = Secret.from_name("x", store=other)
    assert source.label == "x"
    assert source.resolve() == {"TOKEN": "sk-test-other-store"}
    assert Secret.from_name("local:x", store=other).resolve() == {"TOKEN": "sk-test-other-store"}
    with pytest.raises(InvalidSecretError, match="Two different stores were named"):
        Secret.from_name("team:x", store=other)
    # A store object under another name labels the secret with it.
    team = LocalStore(tmp_path / "team-home", name="team")
    team.create("x", {"TOKEN": "sk-test-team-store"})
    source = Secret.from_name("x", store=team)
    assert source.label == "team:x" and source.resolve() == {"TOKEN": "sk-test-team-store"}
    assert Secret.from_name("team:x", store=team).resolve() == {"TOKEN": "sk-test-team-store"}


@pytest.mark.parametrize("store", [123, Path("/tmp/somewhere"), ""])
def test_a_store_that_is_no_store_name_nor_store_is_a_clear_error(store: object) -> None:
    with pytest.raises(InvalidSecretError, match="store"):
        Secret.from_name("db", store=store)  # type: ignore[arg-type]


def test_a_name_that_is_not_a_string_is_a_clear_error() -> None:
    with pytest.raises(InvalidSecretError, match="must be a string"):
        Secret.from_name(123)  # type: ignore[arg-type]


def test_the_facade_shows_only_its_api() -> None:
    import nbsecrets
    from nbsecrets.core.errors import CancelledError

    assert nbsecrets.CancelledError is CancelledError
    assert all(not name.startswith("_") or name == "__version__" for name in dir(nbsecrets))
    assert {"Any", "importlib", "annotations", "core"}.isdisjoint(dir(nbsecrets))
