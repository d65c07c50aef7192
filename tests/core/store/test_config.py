"""Which stores are configured: the team store from the variables `bao`/`vault` users already set,
more stores from config.toml, and the local vault whatever the file says.

Nothing here talks to a server: configuration is read, checked and named;
opening a team store is tests/adapters/team's business.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsecrets.core.errors import ConfigError, SecretNotFoundError
from nbsecrets.core.store import LOCAL, configured_stores, get_store
from nbsecrets.core.store.config import config_path, file_stores, team_defaults
from nbsecrets.core.store.kinds import report_stores

ADDRESS = "http://127.0.0.1:8200"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("NBSECRETS_CONFIG", str(path))
    return path


def test_without_an_address_only_the_local_vault_is_configured() -> None:
    assert list(configured_stores()) == [LOCAL]


def test_an_address_configures_the_team_store_with_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAO_ADDR", ADDRESS)
    stores = configured_stores()
    assert list(stores) == [LOCAL, "team"]
    team = stores["team"]
    assert team.kind == "openbao"
    assert team.options == {
        "addr": ADDRESS, "mount": "secret", "prefix": "nbsecrets", "namespace": None,
        "cacert": None, "skip_verify": False, "token_file": None, "environment_token": True,
    }


@pytest.mark.parametrize(
    "set_, expected",
    [
        ({"NBSECRETS_TEAM_ADDR": "http://a:1", "BAO_ADDR": "http://b:2", "VAULT_ADDR": "http://c:3"}, "http://a:1"),
        ({"BAO_ADDR": "http://b:2", "VAULT_ADDR": "http://c:3"}, "http://b:2"),
        ({"VAULT_ADDR": "http://c:3"}, "http://c:3"),
        ({"NBSECRETS_TEAM_ADDR": "  ", "VAULT_ADDR": "http://c:3"}, "http://c:3"),  # blank counts as unset
    ],
)
def test_the_address_comes_from_the_first_variable_set(
    set_: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in set_.items():
        monkeypatch.setenv(variable, value)
    assert configured_stores()["team"].options["addr"] == expected


def test_namespace_tls_mount_and_prefix_come_from_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", ADDRESS)
    monkeypatch.setenv("VAULT_NAMESPACE", "team-a")
    monkeypatch.setenv("BAO_CACERT", "/etc/ca.pem")
    monkeypatch.setenv("VAULT_SKIP_VERIFY", "true")
    monkeypatch.setenv("NBSECRETS_TEAM_MOUNT", "/kv/")
    monkeypatch.setenv("NBSECRETS_TEAM_PREFIX", "nbsecrets/users/alice/")
    options = configured_stores()["team"].options
    assert (options["namespace"], options["cacert"], options["skip_verify"]) == ("team-a", "/etc/ca.pem", True)
    assert (options["mount"], options["prefix"]) == ("kv", "nbsecrets/users/alice")
    monkeypatch.setenv("VAULT_SKIP_VERIFY", "0")
    assert team_defaults()["skip_verify"] is False


def test_the_config_file_is_in_the_user_config_directory_unless_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBSECRETS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "nbsecrets" / "config.toml"
    monkeypatch.setenv("NBSECRETS_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path() == tmp_path / "elsewhere.toml"


def test_config_file_stores_start_from_the_environment(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAO_ADDR", ADDRESS)
    monkeypatch.setenv("BAO_NAMESPACE", "ns")
    config_file.write_text(
        '[stores.shared]\nprefix = "nbsecrets/shared"\n\n'
        '[stores.staging]\nkind = "vault"\naddr = "https://vault.test.invalid:8200"\nmount = "kv"\nskip_verify = true\n'
    )
    stores = configured_stores()
    assert list(stores) == [LOCAL, "team", "shared", "staging"]
    shared, staging = stores["shared"].options, stores["staging"]
    assert (shared["addr"], shared["prefix"], shared["mount"], shared["namespace"]) == (ADDRESS, "nbsecrets/shared", "secret", "ns")
    assert staging.kind == "openbao"  # "vault" is the same API
    assert (staging.options["addr"], staging.options["mount"], staging.options["skip_verify"]) == (
        "https://vault.test.invalid:8200", "kv", True
    )


def test_a_config_file_table_named_team_is_the_team_store_when_the_environment_names_none(config_file: Path) -> None:
    config_file.write_text('[stores.team]\naddr = "http://127.0.0.1:8200"\nprefix = "nbsecrets/users/alice"\n')
    team = configured_stores()["team"]
    assert (team.options["addr"], team.options["prefix"]) == (ADDRESS, "nbsecrets/users/alice")
    assert team.options["environment_token"] is False  # no server named by the environment: no token from it


def test_only_the_environments_server_is_given_the_environments_token(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config file is copied and shared: one naming another server must not collect the user's token."""
    monkeypatch.setenv("BAO_ADDR", ADDRESS + "/")
    config_file.write_text(
        '[stores.shared]\nprefix = "nbsecrets/shared"\n\n'
        '[stores.elsewhere]\naddr = "https://vault.test.invalid:8200"\n\n'
        '[stores.same]\naddr = "http://127.0.0.1:8200"\n'
    )
    stores = configured_stores()
    assert stores["team"].options["environment_token"] is True
    assert stores["shared"].options["environment_token"] is True
    assert stores["same"].options["environment_token"] is True
    assert stores["elsewhere"].options["environment_token"] is False


def test_a_file_store_without_any_address_is_configured_but_says_so_when_opened(config_file: Path) -> None:
    config_file.write_text('[stores.shared]\nprefix = "nbsecrets/shared"\n')
    assert configured_stores()["shared"].options["addr"] is None
    pytest.importorskip("hvac")
    with pytest.raises(ConfigError, match="no server address.*BAO_ADDR"):
        get_store("shared")


@pytest.mark.parametrize(
    "text, complaint",
    [
        ('[stores.other]\ntoken = "s.sk-test-token-in-file"\n', "never holds a token"),
        ('[stores.other]\nvault_token = "s.sk-test-token-in-file"\n', "never holds a token"),
        ('[stores.other]\nsecret_id = "sk-test-token-in-file"\n', "never holds a token"),
        ('[stores.other]\npassword = "sk-test-token-in-file"\n', "never holds a token"),
        ('[stores.other]\nadress = "http://x:1"\n', "unknown option 'adress'"),
        ('[stores.other]\nkind = "consul"\n', "kind must be 'openbao' or 'vault'"),
        ('[stores.other]\nskip_verify = "yes"\n', "skip_verify must be true or false"),
        ('[stores.other]\nmount = 3\n', "mount must be a string"),
        ("[stores]\nother = 3\n", "must be a table"),
    ],
)
def test_a_mistake_in_one_table_is_an_error_for_that_store_only(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, text: str, complaint: str
) -> None:
    """The store named says what is wrong, without the text written there; the other stores are untouched."""
    monkeypatch.setenv("BAO_ADDR", ADDRESS)
    config_file.write_text(text + '\n[stores.shared]\nprefix = "nbsecrets/shared"\n')
    stores = configured_stores()
    assert stores["shared"].options["prefix"] == "nbsecrets/shared"
    with pytest.raises(ConfigError) as raised:
        get_store("other")
    message = str(raised.value)
    assert complaint in message
    assert "config.toml" in message and "[stores.other]" in message
    assert "sk-test-token-in-file" not in message
    assert stores["team"].kind == "openbao"  # the environment's store does not depend on the file


@pytest.mark.parametrize(
    "text, complaint",
    [
        ('[other]\nx = 1\n', "unknown table 'other'"),
        ('[stores.team\nprefix = "sk-test-token-in-file"\n', "is not valid TOML"),
        ('[stores.other]\nprefix = "sk-test-token-in-file\n', "is not valid TOML"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_an_error_for_every_store_but_local(
    config_file: Path, text: str, complaint: str
) -> None:
    pytest.importorskip("hvac")
    config_file.write_text(text)
    with pytest.raises(ConfigError) as raised:
        configured_stores()
    with pytest.raises(ConfigError):
        get_store("team")
    assert get_store(LOCAL).name == LOCAL
    message = str(raised.value)
    assert complaint in message
    assert "config.toml" in message  # the file is named, so the user knows where to look
    assert "sk-test-token-in-file" not in message


@pytest.mark.parametrize(
    "text, complaint",
    [
        ('[stores.local]\nprefix = "x"\n', "'local' is the vault on this machine"),
        ('[stores."bad name"]\nprefix = "x"\n', "is not a store name"),
        ('[stores.team]\nprefix = "nbsecrets/users/alice"\n', "is not used: the team store is the one BAO_ADDR names"),
    ],
)
def test_a_table_that_can_be_no_store_is_skipped_and_reported(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, text: str, complaint: str
) -> None:
    """Such a table changes no store (the local vault, and the team store the environment names, above
    all: a copied config must not point `team:` elsewhere); `nbsecrets stores` says why it is unused."""
    pytest.importorskip("hvac")
    monkeypatch.setenv("BAO_ADDR", ADDRESS)
    config_file.write_text(text + '\n[stores.shared]\nprefix = "nbsecrets/shared"\n')
    stores = configured_stores()
    assert list(stores) == [LOCAL, "team", "shared"]
    assert stores["team"].options["prefix"] == "nbsecrets" and stores[LOCAL].kind == "local"
    reports = report_stores()
    unused = [report for report in reports if report.name == "config.toml"]
    assert len(unused) == 1 and complaint in unused[0].detail and not unused[0].answers
    assert reports[0].name == LOCAL


def test_a_config_file_that_is_not_text_is_named(config_file: Path) -> None:
    config_file.write_bytes(b'[stores.team]\nprefix = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        file_stores()


def test_a_broken_config_file_never_stops_the_local_vault(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is about other stores: local secrets keep working while it is being fixed."""
    config_file.write_text("[stores.team\n")
    local = get_store()
    local.create("still-works", {"TOKEN": "sk-test-local-while-config-broken"})
    assert get_store(LOCAL).get("still-works") == {"TOKEN": "sk-test-local-while-config-broken"}
    with pytest.raises(ConfigError):
        get_store("team")


def test_naming_the_team_store_without_an_address_says_how_to_configure_it() -> None:
    with pytest.raises(SecretNotFoundError) as raised:
        get_store("team")
    assert "BAO_ADDR" in str(raised.value) and "local" in str(raised.value)


def test_an_unreadable_config_file_is_an_error_naming_it(config_file: Path) -> None:
    config_file.mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        configured_stores()
