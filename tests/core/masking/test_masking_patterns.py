"""find_credentials(): credential-shaped strings found by their prefix, and ordinary text left alone.

Every credential here is assembled at test time from obviously fake parts
(FAKEtest..., deadbeef..., base64 of "FAKE key material"), so that no
literal in this file looks like a real key to a repository scanner; a test
below checks that.
"""

from __future__ import annotations

import base64
import json
import re
import string
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsecrets.core.masking import patterns as patterns_module
from nbsecrets.core.masking.patterns import PATTERNS, PREFIXES, CredentialPattern, find_credentials, match_at

ALNUM = string.ascii_letters + string.digits
TOKEN = ALNUM + "_-"
LETTERS = string.ascii_letters
HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"
BASE64 = ALNUM + "+/"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"

_SEED = "FAKEtest" + string.digits + string.ascii_lowercase + string.ascii_uppercase + "_-+/"


def fake(n: int, alphabet: str = ALNUM) -> str:
    """``n`` characters of ``alphabet``, visibly not random: FAKEtest0123...abc... as far as the alphabet allows."""
    chars = [c for c in dict.fromkeys(_SEED) if c in alphabet]
    chars += [c for c in alphabet if c not in chars]
    return "".join(chars[i % len(chars)] for i in range(n))


def fake_hex(n: int) -> str:
    return ("deadbeef" + "feedface" + HEX)[:n] if n <= 32 else (("deadbeef" + "feedface" + HEX) * (n // 32 + 1))[:n]


def b64_lines(n_lines: int = 4, width: int = 64) -> list[str]:
    raw = base64.b64encode(b"FAKE key material, for tests only. " * (n_lines * 2)).decode()
    return [raw[i : i + width] for i in range(0, width * n_lines, width)]


def pem(kind: str, newline: str = "\n", lines: list[str] | None = None) -> str:
    body = newline.join(lines if lines is not None else b64_lines())
    return "-----BEGIN " + kind + "-----" + newline + body + newline + "-----END " + kind + "-----"


def jwt(signature: str | None = None) -> str:
    def part(obj: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    sig = signature if signature is not None else fake(43, TOKEN)
    return part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": "fake-user", "note": "test only"}) + "." + sig


def samples() -> list[tuple[str, str]]:
    """(label, credential) for every prefix of every pattern."""
    out: list[tuple[str, str]] = []
    add = out.append
    for kind in (
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ):
        add(("private-key", pem(kind)))
    ssh2 = "---- BEGIN SSH2 " + "ENCRYPTED PRIVATE KEY ----"
    add(("private-key", ssh2 + "\nComment: fake\n" + "\n".join(b64_lines()) + "\n" + ssh2.replace("BEGIN", "END")))
    add(
        (
            "private-key",
            "PuTTY-User-Key-File-" + "3: ssh-ed25519\nEncryption: none\nComment: fake-test-key\nPublic-Lines: 2\n"
            + "\n".join(b64_lines(2))
            + "\nPrivate-Lines: 1\n"
            + b64_lines(1)[0]
            + "\nPrivate-MAC: "
            + fake_hex(64),
        )
    )
    add(("anthropic-key", "sk-ant-" + "api03-" + fake(93, TOKEN) + "AA"))
    add(("anthropic-key", "sk-ant-" + "admin01-" + fake(93, TOKEN) + "AA"))
    add(("openai-key", "sk-" + fake(48)))
    for kind in ("proj-", "svcacct-", "admin-"):
        add(("openai-key", "sk-" + kind + fake(74, TOKEN) + "T3Blbk" + "FJ" + fake(74, TOKEN)))
    add(("openai-key", "sk-" + "test-" + fake(40, TOKEN)))
    for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
        add(("github-token", prefix + fake(36)))
    add(("github-token", "github_pat_" + "11" + fake(20) + "_" + fake(59)))
    for prefix in ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-", "glffct-"):
        add(("gitlab-token", prefix + fake(20, TOKEN)))
    add(("gitlab-token", "glpat-" + fake(27, TOKEN) + ".01." + "0fake12"))
    add(("gitlab-token", "GR1348941" + fake(20, TOKEN)))
    for prefix in ("AKIA", "ASIA", "ABIA", "ACCA"):
        add(("aws-access-key-id", prefix + fake(16, BASE32)))
    add(("aws-access-key-id", "A3T" + "X" + fake(16, BASE32)))
    add(("slack-token", "xoxb-" + "1234567890-" + "1234567890123-" + fake(24)))
    add(("slack-token", "xoxp-" + "1234567890-" + "1234567890-" + "1234567890-" + fake(32, HEX)))
    for prefix in ("xoxa-", "xoxr-"):
        add(("slack-token", prefix + "2-" + fake(30)))
    for prefix in ("xoxs-", "xoxo-"):
        add(("slack-token", prefix + "1234-5678-9012-" + fake(32, HEX)))
    add(("slack-token", "xoxe-" + "1-" + fake(146)))
    add(("slack-token", "xapp-" + "1-A0FAKE12345-1234567890123-" + fake(64, HEX)))
    for scheme in ("https://", "http://", ""):
        add(("slack-webhook-url", scheme + "hooks.slack.com/" + "services/T0FAKE000/B0FAKE000/" + fake(24)))
    add(("huggingface-token", "hf_" + fake(34, LETTERS)))
    add(("huggingface-token", "api_org_" + fake(34, LETTERS)))
    for prefix in ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_"):
        add(("stripe-key", prefix + fake(24)))
    add(("stripe-webhook-secret", "whsec_" + fake(32)))
    add(("google-api-key", "AIza" + fake(35, TOKEN)))
    add(("npm-token", "npm_" + fake(36)))
    add(("pypi-token", "pypi-AgEIcHlwaS5vcmc" + fake(70, TOKEN)))
    add(("pypi-token", "pypi-AgENdGVzdC5weXBpLm9yZw" + fake(70, TOKEN)))
    add(("sendgrid-key", "SG." + fake(22, TOKEN) + "." + fake(43, TOKEN)))
    for prefix in ("dop_v1_", "doo_v1_", "dor_v1_"):
        add(("digitalocean-token", prefix + fake_hex(64)))
    add(("databricks-token", "dapi" + fake_hex(32)))
    add(("databricks-token", "dapi" + fake_hex(32) + "-2"))
    for prefix in ("shpat_", "shpss_", "shpca_", "shppa_"):
        add(("shopify-token", prefix + fake_hex(32)))
    add(("twilio-api-key", "SK" + fake_hex(32)))
    add(("age-secret-key", "AGE-SECRET-KEY-1" + fake(58, BECH32)))
    add(("jwt", jwt()))
    add(("perplexity-key", "pplx-" + fake(48)))
    add(("linear-key", "lin_api_" + fake(40)))
    add(("notion-token", "ntn_" + "12345678901" + fake(35)))
    add(("vault-token", "hvs." + fake(95, TOKEN)))
    add(("vault-token", "hvb." + fake(140, TOKEN)))
    add(("grafana-token", "glc_" + fake(40, BASE64) + "=="))
    add(("grafana-token", "glsa_" + fake(32) + "_" + fake_hex(8)))
    add(("sentry-token", "sntryu_" + fake_hex(64)))
    add(("sentry-token", "sntrys_" + "eyJ" + fake(80, BASE64)))
    add(("doppler-token", "dp.pt." + fake(43)))
    add(("postman-key", "PMAK-" + fake_hex(24) + "-" + fake_hex(34)))
    add(("pulumi-token", "pul-" + fake_hex(40)))
    add(("heroku-key", "HRKU-AA" + fake(58, TOKEN)))
    add(("1password-token", "ops_eyJ" + fake(260, BASE64)))
    add(("atlassian-token", "ATATT3" + fake(186, TOKEN)))
    for prefix in ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"):
        add(("planetscale-token", prefix + fake(43)))
    add(("rubygems-key", "rubygems_" + fake_hex(48)))
    add(("alibaba-access-key-id", "LTAI" + fake(20)))
    add(("sendinblue-key", "xkeysib-" + fake_hex(64) + "-" + fake(16)))
    add(("prefect-key", "pnu_" + fake(36)))
    add(("readme-key", "rdme_" + fake(70, string.ascii_lowercase + string.digits)))
    add(("square-token", "sq0atp-" + fake(22, TOKEN)))
    add(("square-token", "sq0csp-" + fake(43, TOKEN)))
    add(("dynatrace-token", "dt0c01." + fake(24) + "." + fake(64)))
    add(("flyio-token", "fo1_" + fake(43, TOKEN)))
    for prefix in ("fm1a_", "fm1r_", "fm2_"):
        add(("flyio-token", prefix + fake(120, BASE64)))
    add(("clojars-token", "CLOJARS_" + fake(60)))
    for prefix in ("duffel_test_", "duffel_live_"):
        add(("duffel-token", prefix + fake(43, TOKEN)))
    for prefix in ("EZAK", "EZTK"):
        add(("easypost-key", prefix + fake(54)))
    add(("scalingo-token", "tk-us-" + fake(48, TOKEN)))
    for prefix in ("shippo_live_", "shippo_test_"):
        add(("shippo-token", prefix + fake_hex(40)))
    add(("frameio-token", "fio-u-" + fake(64, TOKEN)))
    add(("typeform-token", "tfp_" + fake(59, TOKEN)))
    add(("infracost-token", "ico-" + fake(32)))
    add(("openshift-token", "sha256~" + fake(43, TOKEN)))
    return out


SAMPLES = samples()


def spans(text: str) -> list[tuple[str, str]]:
    """(label, matched text) of every credential found."""
    return [(label, text[start:end]) for start, end, label in find_credentials(text)]


# --- the pattern table ------------------------------------------------------------------


def test_every_prefix_has_a_positive_sample() -> None:
    for prefix, index in PREFIXES:
        label = PATTERNS[index].label
        if label == "url-credential":
            continue  # a URL parameter: its value alone is masked, see test_url_credentials
        assert any(value.startswith(prefix) and got == label for got, value in SAMPLES), prefix


@pytest.mark.parametrize("name", [p[: -1] for p, i in PREFIXES if PATTERNS[i].label == "url-credential"])
def test_url_credentials(name: str) -> None:
    value = "Fk" + fake(22, TOKEN)
    for url in (f"https://host.example/api?{name}={value}", f"https://host.example/api?a=1&{name}={value}&b=2"):
        assert spans(url) == [("url-credential", value)]
    # Not a URL parameter, or too short to be a credential: left alone.
    assert spans(f"{name}={value}") == []
    assert spans(f"https://host.example/?{name}=short") == []


def test_prefixes_are_unique_and_listed_with_their_pattern() -> None:
    names = [prefix for prefix, _ in PREFIXES]
    assert len(names) == len(set(names))
    assert [(p, i) for i, pattern in enumerate(PATTERNS) for p in pattern.prefixes] == list(PREFIXES)


def test_labels_are_short_kebab_case() -> None:
    for pattern in PATTERNS:
        assert isinstance(pattern, CredentialPattern)
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", pattern.label), pattern.label
        assert pattern.prefixes and all(pattern.prefixes)


def test_patterns_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PATTERNS[0].label = "other"  # type: ignore[misc]


# --- positives ----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "value"), SAMPLES, ids=[f"{label}:{value[:14]}" for label, value in SAMPLES])
def test_each_format_is_found_alone(label: str, value: str) -> None:
    assert find_credentials(value) == [(0, len(value), label)]


@pytest.mark.parametrize(("label", "value"), SAMPLES, ids=[f"{label}:{value[:14]}" for label, value in SAMPLES])
def test_span_leaves_quotes_equals_and_commas(label: str, value: str) -> None:
    for before, after in (('KEY="', '", next'), ("key = '", "',"), ("export KEY=", "\n"), ("[", "]"), ("(", ");"), ("{'k': '", "'}")):
        text = "first line\n" + before + value + after + " and the rest"
        start = text.index(value)
        assert find_credentials(text) == [(start, start + len(value), label)], before


def test_two_credentials_in_one_text_are_both_found_in_order() -> None:
    gh = "ghp_" + fake(36)
    aws = "AKIA" + fake(16, BASE32)
    text = f"GITHUB_TOKEN={gh}\nAWS_ACCESS_KEY_ID={aws}\n"
    assert find_credentials(text) == [
        (text.index(gh), text.index(gh) + len(gh), "github-token"),
        (text.index(aws), text.index(aws) + len(aws), "aws-access-key-id"),
    ]


def test_fake_keys_shaped_like_real_ones_are_masked() -> None:
    value = "sk-" + "test-" + "FAKE" + "9f2c1a7e5b3d8046" + "AbCdEfGhIjKl"
    assert spans(f"client = OpenAI(api_key='{value}')") == [("openai-key", value)]


def test_longer_than_documented_tokens_are_masked_whole() -> None:
    value = "ghp_" + fake(60)
    assert spans(value + " ") == [("github-token", value)]


def test_non_ascii_text_reports_character_offsets() -> None:
    value = "hf_" + fake(34, LETTERS)
    text = "ключ → «" + value + "» ✓ \ud800 é"
    start = text.index(value)
    assert find_credentials(text) == [(start, start + len(value), "huggingface-token")]


def test_match_at_confirms_a_prefix_position() -> None:
    value = "npm_" + fake(36)
    text = "token: " + value
    index = next(i for p, i in PREFIXES if p == "npm_")
    assert match_at(text, 7, index) == (7, len(text))
    assert match_at("x" + value, 1, index) is None
    assert match_at(text, 0, index) is None


# --- negatives ----------------------------------------------------------------------------

ORDINARY = [
    "task-force-alpha-bravo-charlie-delta-echo",
    "ask-me-anything-about-hyphenated-phrases",
    "sk-learn-is-a-library",
    "sk-learn-scikit-learn-machine-learning-toolkit-for-python",
    "sk-learn-2024-05-01-model-comparison-report-final",
    "sk-abcdefgh-12345678-abcdefgh-12345678-abcdefgh",
    "pip install scikit-learn==1.4.2",
    "sk- sk-1234 risk-free task-1234 task-20240501-abc123 desk-lamp-42",
    "the ghp_ prefix marks GitHub tokens; ghp_short is too short",
    "gho_away and ghs_ and github_pat_ alone",
    "AKIA keys start with AKIA; AKIAshort; ASIA PACIFIC; ASIAN markets; the A3T prefix",
    "https://example.com/api/v1/users?id=4711&sort=desc#section-2",
    "https://hooks.slack.com/services/ is the webhook host",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "commit e83c5163316f89bfbde7d9ab23ca2e25604af290 by someone",
    "id=123e4567-e89b-12d3-a456-426614174000 trace=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "hf_hub_download(repo_id='gpt2') and hf_" + "requiredCharacteristicTypesForDisplayMetadata",
    "HF_TOKEN=hf_" + "x" * 34,
    "api_org_name = 'acme'; npm_config_cache=/tmp/npm; pypi-simple index",
    "sk_live_ and rk_live_ prefixes; whsec_ENTER_YOURS_HERE; sk_test_short",
    "xoxb-your-token-here and xoxp-" + "XXXXXXXXXX-XXXXXXXXXX and xapp-level tokens",
    "glpat- tokens and glrt-runner; GR1348941 alone",
    "SKU-12345 SKIP SKIP_FLAG SKETCHY; SG.Bank; dapi_version; AIza alone",
    "eyJ alone, eyJhbGciOiJIUzI1NiJ9 without dots, eyJ.eyJ.x",
    "2024-05-01T12:00:00Z INFO GET /api/v1/users status=200 took 12 ms user_id=4711 request_id=req-0a1b2c3d",
    "dop_v1_ and do_v1_ and dapi and shpat_ and AGE-SECRET-KEY-1 alone",
    "-----BEGIN RSA PRIVATE KEY----- is how the header of such a file reads",
    "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + bytes(range(32))).decode() + " user@host",
    base64.b64encode(bytes(range(256)) * 8).decode(),
    "path/to/data-v2_final-copy/model.pkl, /usr/lib/python3.11/site-packages/",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert find_credentials(text) == []


@pytest.mark.parametrize("kind", ["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST", "PGP PUBLIC KEY BLOCK"])
def test_public_keys_and_certificates_are_not_secrets(kind: str) -> None:
    assert find_credentials(pem(kind)) == []


@pytest.mark.parametrize(("label", "value"), SAMPLES, ids=[f"{label}:{value[:14]}" for label, value in SAMPLES])
def test_a_prefix_inside_a_word_does_not_start_a_match(label: str, value: str) -> None:
    for before in ("x", "Z", "7"):
        found = find_credentials(before + value)
        assert all(start > 0 for start, _, _ in found)
        assert (1, 1 + len(value), label) not in found


def test_too_short_bodies_do_not_match() -> None:
    for value in ("sk-" + fake(12), "ghp_" + fake(20), "AKIA" + fake(10, BASE32), "glpat-" + fake(10), "npm_" + fake(20)):
        assert find_credentials(value + " ") == [], value


def test_escapes_before_a_prefix_are_not_words() -> None:
    value = "ghp_" + fake(36)
    for text in (repr("first line\n" + value), json.dumps({"log": "a\t" + value}), "\x1b[1;32m" + value + "\x1b[0m"):
        assert spans(text) == [("github-token", value)], text


def test_empty_text() -> None:
    assert find_credentials("") == []


# --- private key blocks -------------------------------------------------------------------


def test_pem_block_is_masked_from_begin_to_end_across_lines() -> None:
    block = pem("RSA PRIVATE KEY")
    text = "key file:\n" + block + "\nloaded.\n"
    start = text.index("-----BEGIN")
    end = text.index("PRIVATE KEY-----", start + 20) + len("PRIVATE KEY-----")
    assert find_credentials(text) == [(start, end, "private-key")]
    assert text[end:] == "\nloaded.\n"


def test_pem_block_with_crlf_line_ends() -> None:
    block = pem("OPENSSH PRIVATE KEY", newline="\r\n")
    text = "a\r\n" + block + "\r\nb"
    assert spans(text) == [("private-key", block)]


def test_pem_block_with_encryption_headers() -> None:
    lines = ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC," + fake_hex(32).upper(), ""] + b64_lines()
    block = pem("RSA PRIVATE KEY", lines=lines)
    assert spans(block) == [("private-key", block)]


def test_pem_block_printed_inside_a_json_string() -> None:
    block = pem("PRIVATE KEY")
    text = json.dumps({"type": "service_account", "private_key": block + "\n", "client_email": "x@example.com"})
    found = spans(text)
    assert len(found) == 1
    label, masked = found[0]
    assert label == "private-key"
    assert masked.startswith("-----BEGIN PRIVATE KEY-----\\n") and masked.endswith("-----END PRIVATE KEY-----")


def test_pem_block_without_end_masks_the_whole_body() -> None:
    lines = b64_lines(6)
    head = "-----BEGIN " + "PRIVATE KEY-----\n" + "\n".join(lines)
    text = "Out[3]: " + head + "\n\nIn [4]: print('done')\n"
    assert spans(text) == [("private-key", head)]


def test_pem_block_whose_end_is_too_far_masks_the_body() -> None:
    lines = b64_lines(320)  # about 20 KB, past the window for the END line
    block = pem("PRIVATE KEY", lines=lines)
    assert len(block) > 16 * 1024
    found = find_credentials(block)
    assert found == [(0, block.index("\n-----END"), "private-key")]


def test_truncated_blocks_in_a_row_are_masked_one_by_one() -> None:
    heads = ["-----BEGIN " + "PRIVATE KEY-----\n" + "\n".join(b64_lines(2)) for _ in range(3)]
    text = "\n".join(heads) + "\n"
    assert spans(text) == [("private-key", head) for head in heads]


def test_begin_and_end_lines_quoted_in_code_are_not_a_block() -> None:
    begin, end = "-----BEGIN " + "RSA PRIVATE KEY-----", "-----END " + "RSA PRIVATE KEY-----"
    text = f'if line == "{begin}":\n    start = True  # [1]\nelif line == "{end}":\n    stop()\n'
    assert find_credentials(text) == []


def test_two_pem_blocks_are_two_matches() -> None:
    first, second = pem("EC PRIVATE KEY"), pem("PRIVATE KEY")
    text = first + "\n" + pem("CERTIFICATE") + "\n" + second
    assert spans(text) == [("private-key", first), ("private-key", second)]


def test_pgp_private_key_block_with_armor_headers_and_checksum() -> None:
    lines = ["Version: FakePG v0", "Comment: test only", ""] + b64_lines() + ["=FAKE"]
    block = pem("PGP PRIVATE KEY BLOCK", lines=lines)
    assert spans("gpg --export-secret-keys:\n" + block + "\n") == [("private-key", block)]


# --- overlapping matches ------------------------------------------------------------------


def test_anthropic_key_is_named_anthropic_not_openai() -> None:
    value = "sk-ant-" + "api03-" + fake(93, TOKEN) + "AA"
    assert spans(value) == [("anthropic-key", value)]


def test_webhook_url_is_masked_with_its_scheme_once() -> None:
    value = "https://" + "hooks.slack.com/" + "services/T0FAKE000/B0FAKE000/" + fake(24)
    assert spans(f"url = '{value}'") == [("slack-webhook-url", value)]


def test_credential_inside_a_jwt_is_reported_as_the_jwt() -> None:
    token = jwt(signature=fake(10) + "-sk-" + fake(40))
    assert spans(f"Authorization: Bearer {token}\n") == [("jwt", token)]


def test_token_inside_a_private_key_block_is_reported_as_the_block() -> None:
    lines = b64_lines(2) + ["ghp_" + fake(36)] + b64_lines(1)
    block = pem("PRIVATE KEY", lines=lines)
    assert spans(block) == [("private-key", block)]


def test_resolve_keeps_the_longer_then_the_earlier_match() -> None:
    resolve = patterns_module._resolve
    assert resolve([(0, 10, 1), (5, 50, 2)]) == [(5, 50, 2)]
    assert resolve([(0, 10, 1), (5, 15, 2)]) == [(0, 10, 1)]
    assert resolve([(0, 10, 3), (0, 10, 2)]) == [(0, 10, 2)]
    assert resolve([(10, 20, 1), (0, 10, 2), (30, 40, 3)]) == [(0, 10, 2), (10, 20, 1), (30, 40, 3)]
    assert resolve([(0, 100, 1), (10, 20, 2), (90, 120, 3)]) == [(0, 100, 1)]


# --- properties ---------------------------------------------------------------------------

# Ordinary words, prefixes that occur in ordinary text, and fragments of
# credential prefixes. Words are at most 11 characters and none mixes letters
# and digits over 8 characters, so no random body can form: that is what
# "ordinary" means here.
_WORDS = [
    "the", "a", "model", "Training", "loss", "accuracy", "epoch", "status", "GET", "POST", "INFO", "WARNING",
    "user", "users", "api", "v1", "v2", "id", "4711", "200", "2024", "12", "ms", "took", "OK", "None", "True",
    "learn", "task", "risk", "desk", "sk", "ask", "hf", "hub", "org", "gh", "ghp", "npm", "pypi", "SK", "SKU",
    "AKIA", "ASIA", "Asia", "dapi", "slack", "hooks", "com", "BEGIN", "END", "PRIVATE", "KEY", "PUBLIC",
    "CERTIFICATE", "xox", "live", "test", "proj", "ant", "pat", "github", "gl", "deadbeef", "0x1F", "3.14",
    "e83c51", "pandas", "DataFrame", "scikit", "numpy", "Überblick", "résumé",
]
_SEPARATORS = [" ", "  ", "\n", "\r\n", "\t", ", ", ". ", ": ", "; ", "-", "_", "/", "=", "(", ")", "'", '"', "[", "]", "."]

ordinary_text = st.lists(
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=80
).map(lambda pairs: "".join(word + sep for word, sep in pairs))


@settings(max_examples=300, deadline=None)
@given(ordinary_text)
def test_property_ordinary_text_never_matches(text: str) -> None:
    assert find_credentials(text) == []


@settings(max_examples=300, deadline=None)
@given(
    before=ordinary_text,
    after=ordinary_text,
    sample=st.sampled_from(SAMPLES),
    left=st.sampled_from([" ", "\n", "=", ": ", "'", '"', "(", "[", ", ", "\\n", "\x1b[1;33m"]),
    right=st.sampled_from([" ", "\n", "\r\n", "'", '"', ")", "]", ", ", ";", "\\n", "\x1b[0m"]),
)
def test_property_inserted_credential_is_found_at_its_span(
    before: str, after: str, sample: tuple[str, str], left: str, right: str
) -> None:
    label, value = sample
    text = before + left + value + right + after
    start = len(before) + len(left)
    assert find_credentials(text) == [(start, start + len(value), label)]


# --- build and threads --------------------------------------------------------------------


def test_automaton_is_built_once_and_shared_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns_module, "_scanner", None)
    text = "\n".join(value for _, value in SAMPLES[:20])
    expected = find_credentials(text)
    monkeypatch.setattr(patterns_module, "_scanner", None)
    results: list[list[tuple[int, int, str]]] = []
    lock = threading.Lock()

    def run() -> None:
        got = find_credentials(text)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8
    assert patterns_module._scanner is not None


def test_a_large_text_searched_in_pieces_gives_every_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces searched at once on several cores: a prefix cut by the border of two is found, none twice."""
    from nbsecrets.core.masking import scanner

    text = "".join(f"{'filler ' * (i % 7)}{value}\n" for i, (_, value) in enumerate(SAMPLES * 3))
    expected = find_credentials(text)
    assert len(expected) >= len(SAMPLES)
    monkeypatch.setattr(scanner, "CORES", 2)
    for piece in (7, 13, 64, 301):
        monkeypatch.setattr(scanner, "PARALLEL_MIN_BYTES", piece)
        assert find_credentials(text) == expected, piece


# --- this file and the module hold no credential-shaped literal -----------------------------

_SCANNER = re.compile(r"(sk-(proj-)?[A-Za-z0-9]{32,}|ghp_[A-Za-z0-9]{36}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{34}|xox[bp]-[0-9A-Za-z-]{20,})")


@pytest.mark.parametrize("path", [Path(__file__), Path(patterns_module.__file__)], ids=["tests", "module"])
def test_sources_hold_no_credential_shaped_literal(path: Path) -> None:
    assert _SCANNER.search(path.read_text(encoding="utf-8")) is None


def test_this_file_holds_nothing_the_patterns_would_mask() -> None:
    assert find_credentials(Path(__file__).read_text(encoding="utf-8")) == []
