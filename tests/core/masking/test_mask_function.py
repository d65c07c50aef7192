"""`nbsecrets.mask()` and `configure_masking()`: the masking API a notebook calls itself.

`mask` says whether output will now be masked for the value, so a caller
(and `%secret mask`) can tell the user when a value is too short to mask
instead of letting them believe it is hidden.
"""

from __future__ import annotations

import uuid

import pytest

import nbsecrets
from nbsecrets.core.errors import InvalidSecretError
from nbsecrets.core.masking import Masker, configure_masking, get_masker, mask
from nbsecrets.core.registry import SecretRegistry, registry


def test_the_package_exports_the_masking_functions() -> None:
    assert nbsecrets.mask is mask and nbsecrets.configure_masking is configure_masking


def test_mask_registers_and_says_the_value_will_be_masked() -> None:
    value = f"sk-test-mask-{uuid.uuid4().hex[:10]}"
    assert mask(value, name="HAND") is True
    assert dict(registry.items())[value] == "HAND"
    assert get_masker().mask(f"<{value}>") == "<[masked:HAND]>"


def test_a_value_shorter_than_the_limit_is_kept_but_not_masked_until_the_limit_is_lowered() -> None:
    short = uuid.uuid4().hex[:4]
    assert mask(short, name="PIN") is False
    assert short in registry
    assert get_masker().mask(f"pin {short}") == f"pin {short}"
    configure_masking(min_length=4)
    assert mask(short, name="PIN") is True
    assert get_masker().mask(f"pin {short}") == "pin [masked:PIN]"


@pytest.mark.parametrize("value", ["", 42, None, b"sk-test-bytes"])
def test_nothing_to_mask_is_an_error(value: object) -> None:
    with pytest.raises(InvalidSecretError) as raised:
        mask(value)  # type: ignore[arg-type]
    assert "sk-test" not in str(raised.value)


def test_configure_masking_rejects_nonsense_and_keeps_the_old_settings() -> None:
    before = get_masker().config
    for bad in ({"min_length": 0}, {"min_length": True}, {"replacement": "{value}"}, {"patterns": "yes"}):
        with pytest.raises(InvalidSecretError):
            configure_masking(**bad)
    assert get_masker().config == before


def test_the_short_key_notice_says_how_to_lower_the_limit() -> None:
    own = SecretRegistry()
    own.add("pw1", "PIN")
    notice = Masker(own).take_short_key_notice()
    assert notice is not None
    assert "PIN" in notice and "pw1" not in notice and "shorter than 6 characters" in notice
    assert "nbsecrets.configure_masking(min_length=...) lowers that limit" in notice
