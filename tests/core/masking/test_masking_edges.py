"""Edges of masking found by review: each test failed before the fix it names."""

from __future__ import annotations

import base64
import json

import pytest

from stream_feed import feed_all

from nbsecrets.core.masking import MaskConfig, Masker
from nbsecrets.core.registry import SecretRegistry

SECRET = "sk-test-Q7xK2mP9vL4nR8"


def masker_for(*values: str, **config: object) -> Masker:
    registry = SecretRegistry()
    for i, value in enumerate(values):
        registry.add(value, f"K{i}" if i else "KEY")
    return Masker(registry, MaskConfig(**config))  # type: ignore[arg-type]


def fed(masker: Masker, chunks: list[str], flush_between: bool = False) -> str:
    return feed_all(masker.stream(), chunks, flush_between)


def test_a_lone_surrogate_in_stream_text_is_passed_through() -> None:
    # os.fsdecode of an undecodable file name: a stream must not raise on it.
    masker = masker_for(SECRET)
    out = fed(masker, ["file\udcff.txt " + SECRET[:10], SECRET[10:] + " \ud800\n"])
    assert out == "file\udcff.txt [masked:KEY] \ud800\n"


def test_a_private_key_printed_line_by_line_with_pauses_never_shows_its_body() -> None:
    body = [base64.b64encode(bytes((i * 7 + j * 13) % 256 for j in range(48))).decode() for i in range(20)]
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END PRIVATE KEY-----\n"
    out = fed(masker_for(), pem.splitlines(keepends=True) + ["done\n"], flush_between=True)
    assert not [line for line in body if line in out]
    assert "[masked:private-key]" in out and out.endswith("done\n")


def test_an_overwrite_split_across_two_writes_is_masked() -> None:
    # Both halves are shorter than a fragment; the reader sees them as one line.
    out = fed(masker_for(SECRET), [" " * 11 + SECRET[11:] + "\r", SECRET[:11] + "\n"])
    assert SECRET[11:] not in out and SECRET[:11] not in out


@pytest.mark.parametrize(
    "text",
    ["Test status: SKIPPED", "Region: ASIA", "Loading SKUs", "x = AIza", "see -----BEGIN", "running test", "Logged in as admin"],
)
def test_words_at_the_end_of_a_cell_are_not_masked_by_the_last_flush(text: str) -> None:
    masker = masker_for(SECRET, "postgres://admin:Xq7v9Lm2zK@db.example.com:5432/prod")
    assert fed(masker, [text]) == text


def test_the_start_of_a_secret_held_at_the_end_is_masked_by_the_last_flush() -> None:
    assert fed(masker_for(SECRET), ["key " + SECRET[:4]]) == "key [masked:KEY]"


def test_public_urls_in_a_registered_service_account_are_everyday_text() -> None:
    account = json.dumps(
        {
            "type": "service_account",
            "private_key_id": "sk-test-4f9a1c7e2b6d8e0f1a3c5e7b9d2f4a6c",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        }
    )
    masker = masker_for(account)
    for text in ("certs from https://www.googleapis.com/oauth2/v1/certs", "open https://accounts.google.com/o/oauth2/auth"):
        assert masker.mask(text) == text
    assert masker.mask("id sk-test-4f9a1c7e2b6d8e0f1a3c5e7b9d2f4a6c") == "id [masked:KEY]"


def test_masked_bytes_stay_bytes_and_odd_keys_are_masked_as_sent() -> None:
    masker = masker_for(SECRET)
    data = masker.mask_data({"blob": b"\x89PNG" + SECRET.encode() + b"\xff", frozenset([SECRET]): 1})
    assert data["blob"] == b"\x89PNG[masked:KEY]\xff"
    assert "frozenset({'[masked:KEY]'})" in data


def test_many_secrets_with_one_ending_are_still_told_apart() -> None:
    secrets = [f"postgresql://svc{i}:Xq7v9Lm2zK{i:03d}@db-primary.internal.example.com:5432/analytics" for i in range(50)]
    masker = masker_for(*secrets)
    assert masker.mask("to db-primary.internal.example.com:5432/analytics") == "to db-primary.internal.example.com:5432/analytics"
    assert masker.mask(f"url {secrets[37]}") == "url [masked:K37]"
