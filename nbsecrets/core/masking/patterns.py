"""Find strings shaped like well-known credentials that nbsecrets never loaded.

Registered secrets are masked by value (see ``matcher``). That misses a key
pasted into a cell, printed from a config file, or put in the environment by
something other than nbsecrets. Many providers issue credentials with a
distinctive literal prefix (``ghp_``, ``AKIA``, ``-----BEGIN ... PRIVATE
KEY-----``), so a credential of theirs can be recognised by its shape alone.
The formats here follow public secret-scanning rule sets (gitleaks,
detect-secrets, GitHub's and GitLab's documented token formats); only
formats with a literal prefix are included, because rules that guess from
context ("password=...") mask ordinary output.

Search is two-staged so that output without any prefix costs a single
Aho-Corasick scan: the automaton finds every occurrence of every prefix,
and only at those positions is the owning pattern's regex run, anchored
(``regex.match(text, pos)``). ``PREFIXES`` and ``match_at`` expose both
stages so that another automaton (the main matcher's) can carry the
prefixes and call back here for the candidates it finds.

A candidate is rejected when the character before the prefix is an ASCII
letter or digit (``task-force`` does not start an ``sk-`` key) and when its
body is too short or too regular to be random (``sk-learn-is-a-library``).
"""

from __future__ import annotations

import functools
import re
import string
from bisect import bisect_right
from dataclasses import dataclass

from .scanner import KeyScanner

__all__ = [
    "PATTERNS",
    "PREFIXES",
    "CredentialPattern",
    "credentials_at",
    "find_credentials",
    "match_at",
    "open_credential",
]


@dataclass(frozen=True)
class CredentialPattern:
    """One credential format: found through ``prefixes``, confirmed by ``regex``.

    ``regex`` starts with one of the prefixes and is run anchored at the
    prefix's position; its match is exactly the credential. ``label`` is a
    short kebab-case name for the replacement text, several formats of one
    provider sharing it. The regex is compiled on first use: fifty of them
    would otherwise cost ``%load_ext`` several milliseconds.
    """

    label: str
    prefixes: tuple[str, ...]
    source: str

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source)


_WORD = frozenset(string.ascii_letters + string.digits)
"""Characters that may not precede a prefix: a match never starts inside a word."""

_ESCAPE_BEFORE = re.compile(r"(?:\\[nrt]|\x1b\[[0-9;?]*[A-Za-z])\Z")
"""A letter that ends an escape rather than a word: ``\\n`` in a repr or JSON string, an ANSI colour code.

Without this, ``'a\\nghp_...'`` or a token printed in colour would be taken
for a prefix inside a word and left visible.
"""

_PEM_MAX = 16 * 1024
"""How far (in characters) a private key block's END line is looked for after its BEGIN line.

Past this, or when the END line is missing (truncated output), the block is
masked from its BEGIN line to the end of the base64 body that follows it.
"""

_MIXED_RUN = r"(?=[A-Za-z0-9_-]*?(?<![A-Za-z0-9])(?=[A-Za-z0-9]{8})(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z]))"
"""Lookahead: the body holds a run of 8+ letters and digits with at least one of each.

Random keys of 32 or more characters nearly always have one (OpenAI's
always do: their T3BlbkFJ marker is such a run); hyphen- or
underscore-joined words and numbers (``sk-learn-2024-model-comparison``)
do not, since ordinary words do not mix letters and digits.
"""

# Separators between the lines of a key body: a real line break, or the
# two-character escapes of one (a key printed inside a JSON or repr string).
_LINE_BREAK = r"(?:[ \t]*(?:\r?\n|\\r\\n|\\n))"
_BODY_LINE = (
    r"[ \t]*(?:"
    r"(?:[A-Za-z0-9+/]+={0,2}|=[A-Za-z0-9+/]{4})"  # base64, or an OpenPGP armor checksum,
    r"(?=[ \t]*(?:[\r\n]|\\[rn]|$|[\"',\]}]))"  # filling the line
    r"|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|Subject|Encryption|Public-Lines"
    r"|Private-Lines|Private-MAC|Key-Derivation|Argon2-[A-Za-z]+):[^\r\n\\]*"  # armor headers
    r")"
)
_KEY_BODY = rf"(?:{_LINE_BREAK}+{_BODY_LINE})+"
"""The lines after a BEGIN line up to the last one that looks like key material.

Used when no END line follows: the body is masked, the text after it is not.
At least one line is required, so a BEGIN line quoted alone in prose stays.
"""


_BLOCK_CHAR = r"(?:[A-Za-z0-9+/=\s:,.@\"\\_]|-(?!----))"
"""What may stand between a BEGIN and an END line: base64, armor headers, line breaks, escaped ones.

Code or prose between a BEGIN line quoted in it and an END line further on
has brackets or other punctuation, so the two are not taken for one block.
Five dashes end the search too: a block does not run into the next
block's BEGIN line, so many truncated blocks cost one block each to scan.
"""


def _block(begin: str, end: str) -> str:
    """A key block from ``begin`` to ``end`` within ``_PEM_MAX`` characters, or else to the end of its body."""
    return rf"{begin}(?:{_BLOCK_CHAR}{{0,{_PEM_MAX}}}?{end}|{_KEY_BODY})"


def _pattern(label: str, prefixes: str | tuple[str, ...], regex: str) -> CredentialPattern:
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    return CredentialPattern(label, prefixes, regex)


_URL_PARAMETERS = (
    "private_token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "client_secret",
    "api_key",
    "apikey",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "X-Goog-Signature",
    "X-Goog-Credential",
    "x-goog-signature",
    "x-goog-credential",
    "sig",
)

_PEM_LABEL = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"

PATTERNS: tuple[CredentialPattern, ...] = (
    # Order breaks ties: of two matches with the same span, the earlier
    # pattern names it, so specific formats come before general ones.
    #
    # Private keys: PEM (PKCS#1/#8, OpenSSH, EC, DSA, ENCRYPTED), OpenPGP
    # armor, SSH2 (RFC 4716) and PuTTY files. Public keys and certificates
    # share the BEGIN prefix but never say PRIVATE KEY. (gitleaks
    # private-key, detect-secrets PrivateKeyDetector.)
    _pattern("private-key", "-----BEGIN ", _block(rf"-----BEGIN {_PEM_LABEL}", rf"-----END {_PEM_LABEL}")),
    _pattern(
        "private-key",
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
        _block(r"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", r"---- END SSH2 ENCRYPTED PRIVATE KEY ----"),
    ),
    _pattern(
        "private-key",
        "PuTTY-User-Key-File-",
        _block(r"PuTTY-User-Key-File-[0-9]+: [A-Za-z0-9@._-]+", r"Private-MAC: [0-9a-fA-F]+"),
    ),
    # Anthropic: sk-ant-api03- / sk-ant-admin01- and 95 characters (gitleaks
    # anthropic-api-key, anthropic-admin-api-key). The version suffix is
    # matched loosely so that a new one is still masked.
    _pattern("anthropic-key", "sk-ant-", r"sk-ant-[a-z]{2,8}[0-9]{2}-[A-Za-z0-9_-]{40,}"),
    # OpenAI: sk-, sk-proj-, sk-svcacct-, sk-admin- with a long random body
    # (gitleaks openai-api-key, detect-secrets OpenAIDetector). Matched by
    # shape rather than by the T3BlbkFJ marker, so that the sk- keys of
    # OpenAI-compatible services and test keys of the same shape are masked.
    _pattern("openai-key", "sk-", rf"sk-{_MIXED_RUN}[A-Za-z0-9_-]{{20,}}"),
    # GitHub: ghp_ gho_ ghu_ ghs_ ghr_ and 36 base62 characters, and
    # fine-grained github_pat_ tokens (GitHub token format announcement,
    # gitleaks github-*, detect-secrets GitHubTokenDetector). GitHub said
    # tokens may grow to 255 characters.
    _pattern("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"gh[pousr]_[A-Za-z0-9]{36,251}"),
    _pattern("github-token", "github_pat_", r"github_pat_[A-Za-z0-9]{20,}_[A-Za-z0-9]{40,}"),
    # GitLab: personal, deploy, feed, SCIM, runner, CI job, incoming mail,
    # pipeline trigger, agent, OAuth secret and feature flag tokens, with
    # the optional routing suffix, and runner registration tokens (gitleaks
    # gitlab-*, detect-secrets GitLabTokenDetector).
    _pattern(
        "gitlab-token",
        ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-", "glffct-"),
        r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|ffct)-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7})?",
    ),
    _pattern("gitlab-token", "GR1348941", r"GR1348941[A-Za-z0-9_-]{20,}"),
    # AWS access key ids: a four-character kind and 16 base32 characters
    # (gitleaks aws-access-token, detect-secrets AWSKeyDetector).
    _pattern(
        "aws-access-key-id",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        # Real ids are base32 ([A-Z2-7]); any digit is accepted, as older scanners do, so a
        # mistyped or made-up id in a notebook is masked too.
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
    ),
    # Slack: bot, user, workspace, legacy, configuration and app-level
    # tokens; all carry numeric ids (gitleaks slack-*, detect-secrets
    # SlackDetector). Incoming webhook and workflow URLs.
    _pattern(
        "slack-token",
        ("xoxa-", "xoxb-", "xoxe-", "xoxo-", "xoxp-", "xoxr-", "xoxs-", "xapp-"),
        r"(?:xox[abeoprs]|xapp)-(?=[A-Za-z0-9-]*?[0-9]{2})[A-Za-z0-9-]{20,}",
    ),
    # Credentials passed in a URL's query (GitLab's and GitHub's runners mask these by
    # name): only the value is masked, and only right after '?' or '&'.
    _pattern(
        "url-credential",
        tuple(f"{name}=" for name in _URL_PARAMETERS),
        r"(?<=[?&])[A-Za-z_-]+=(?P<value>[A-Za-z0-9._~%+/=-]{8,})",
    ),
    _pattern(
        "slack-webhook-url",
        ("https://hooks.slack.com/", "http://hooks.slack.com/", "hooks.slack.com/"),
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}",
    ),
    # Hugging Face: hf_ user and api_org_ organization tokens, 34 letters
    # (gitleaks huggingface-*); mixed case, so hf_xxxx... placeholders and
    # snake_case names stay.
    _pattern(
        "huggingface-token",
        ("hf_", "api_org_"),
        r"(?:hf|api_org)_(?=[A-Za-z]*[A-Z])(?=[A-Za-z]*[a-z])[A-Za-z]{34}(?![A-Za-z0-9_])",
    ),
    # Stripe secret and restricted keys, live and test (gitleaks
    # stripe-access-token, detect-secrets StripeDetector), and webhook
    # signing secrets (GitGuardian's Stripe webhook secret detector).
    _pattern(
        "stripe-key",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_"),
        r"[sr]k_(?:live|test|prod)_[A-Za-z0-9]{20,}",
    ),
    _pattern("stripe-webhook-secret", "whsec_", r"whsec_[A-Za-z0-9+/]{24,}={0,2}"),
    # Google API keys: AIza and 35 characters (gitleaks gcp-api-key).
    _pattern("google-api-key", "AIza", r"AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
    # npm access tokens (gitleaks npm-access-token).
    _pattern("npm-token", "npm_", r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    # PyPI and TestPyPI upload tokens: a macaroon whose base64 names the
    # index (gitleaks pypi-upload-token, detect-secrets PypiTokenDetector).
    _pattern(
        "pypi-token",
        ("pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"),
        r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
    ),
    # SendGrid: SG. 22 . 43 (detect-secrets SendGridDetector, gitleaks sendgrid-api-token).
    _pattern("sendgrid-key", "SG.", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
    # DigitalOcean personal, OAuth and refresh tokens (gitleaks digitalocean-*).
    _pattern(
        "digitalocean-token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        r"do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])",
    ),
    # Databricks personal access tokens (gitleaks databricks-api-token).
    _pattern("databricks-token", "dapi", r"dapi[a-f0-9]{32}(?:-[0-9]+)?(?![A-Za-z0-9])"),
    # Shopify access tokens and shared secrets (gitleaks shopify-*).
    _pattern(
        "shopify-token",
        ("shpat_", "shpss_", "shpca_", "shppa_"),
        r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?![A-Za-z0-9])",
    ),
    # Twilio API keys: SK and 32 hex (gitleaks twilio-api-key, detect-secrets TwilioKeyDetector).
    _pattern("twilio-api-key", "SK", r"SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
    # age secret keys: Bech32 (gitleaks age-secret-key).
    _pattern("age-secret-key", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    # JSON Web Tokens: base64url JSON header and payload (both start with
    # eyJ, the encoding of '{"') and a signature (gitleaks jwt,
    # detect-secrets JwtTokenDetector). Bearer credentials: a session or a
    # service-role key is often one.
    _pattern(
        "jwt",
        "eyJ",
        r"eyJ[A-Za-z0-9_-]{8,}={0,2}\.eyJ[A-Za-z0-9_-]{8,}={0,2}(?:\.[A-Za-z0-9_-]+={0,2})?",
    ),
    # Further formats with a literal prefix, from gitleaks.
    _pattern("perplexity-key", "pplx-", r"pplx-[A-Za-z0-9]{48}(?![A-Za-z0-9])"),
    _pattern("linear-key", "lin_api_", r"lin_api_[A-Za-z0-9]{40}(?![A-Za-z0-9])"),
    _pattern("notion-token", "ntn_", r"ntn_[0-9]{11}[A-Za-z0-9]{35}(?![A-Za-z0-9])"),
    _pattern("vault-token", ("hvs.", "hvb."), r"hv(?:s\.[A-Za-z0-9_-]{90,}|b\.[A-Za-z0-9_-]{138,})"),
    _pattern(
        "grafana-token",
        ("glc_", "glsa_"),
        r"gl(?:c_[A-Za-z0-9+/]{32,}={0,3}|sa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Za-z0-9]))",
    ),
    _pattern(
        "sentry-token",
        ("sntryu_", "sntrys_"),
        r"sntry(?:u_[a-f0-9]{64}(?![A-Za-z0-9])|s_eyJ[A-Za-z0-9+/=_]{50,})",
    ),
    _pattern("doppler-token", "dp.pt.", r"dp\.pt\.[A-Za-z0-9]{43}(?![A-Za-z0-9])"),
    _pattern("postman-key", "PMAK-", r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}(?![A-Za-z0-9])"),
    _pattern("pulumi-token", "pul-", r"pul-[a-f0-9]{40}(?![A-Za-z0-9])"),
    _pattern("heroku-key", "HRKU-AA", r"HRKU-AA[A-Za-z0-9_-]{58}"),
    _pattern("1password-token", "ops_eyJ", r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
    _pattern("atlassian-token", "ATATT3", r"ATATT3[A-Za-z0-9_=-]{186}"),
    _pattern(
        "planetscale-token",
        ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.-]{32,64}",
    ),
    _pattern("rubygems-key", "rubygems_", r"rubygems_[a-f0-9]{48}(?![A-Za-z0-9])"),
    _pattern("alibaba-access-key-id", "LTAI", r"LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9])"),
    _pattern("sendinblue-key", "xkeysib-", r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}(?![A-Za-z0-9])"),
    _pattern("prefect-key", "pnu_", r"pnu_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    _pattern("readme-key", "rdme_", r"rdme_[a-z0-9]{70}(?![A-Za-z0-9])"),
    _pattern("square-token", ("sq0atp-", "sq0csp-"), r"sq0(?:atp-[A-Za-z0-9_-]{22,}|csp-[A-Za-z0-9_-]{43,})"),
    _pattern("dynatrace-token", "dt0c01.", r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}(?![A-Za-z0-9])"),
    _pattern(
        "flyio-token",
        ("fo1_", "fm1a_", "fm1r_", "fm2_"),
        r"f(?:o1_[A-Za-z0-9_-]{43}|m(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3})",
    ),
    _pattern("clojars-token", "CLOJARS_", r"CLOJARS_[A-Za-z0-9]{60}(?![A-Za-z0-9])"),
    _pattern("duffel-token", ("duffel_test_", "duffel_live_"), r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    _pattern("easypost-key", ("EZAK", "EZTK"), r"EZ[AT]K[A-Za-z0-9]{54}(?![A-Za-z0-9])"),
    _pattern("scalingo-token", "tk-us-", r"tk-us-[A-Za-z0-9_-]{48}"),
    _pattern("shippo-token", ("shippo_live_", "shippo_test_"), r"shippo_(?:live|test)_[a-fA-F0-9]{40}(?![A-Za-z0-9])"),
    _pattern("frameio-token", "fio-u-", r"fio-u-[A-Za-z0-9_=-]{64}"),
    _pattern("typeform-token", "tfp_", r"tfp_[A-Za-z0-9_.=-]{59}"),
    _pattern("infracost-token", "ico-", r"ico-[A-Za-z0-9]{32}(?![A-Za-z0-9])"),
    _pattern("openshift-token", "sha256~", r"sha256~[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
)

PREFIXES: tuple[tuple[str, int], ...] = tuple(
    (prefix, index) for index, pattern in enumerate(PATTERNS) for prefix in pattern.prefixes
)
"""Every (prefix, pattern index): what an automaton must find for ``match_at`` to confirm."""

_ENCODING = "utf-8"
_ERRORS = "surrogatepass"  # a lone surrogate in output must not stop the search

_scanner: KeyScanner | None = None


def _get_scanner() -> KeyScanner:
    """The search for every prefix over UTF-8 bytes, built on first use (about a millisecond).

    Bytes rather than ``str``: the crate's byte DFA is three times faster,
    and for ASCII text (nearly all output) byte offsets are character
    offsets. A large text is searched on every core. Immutable once built;
    two threads racing here each build an equal one and the last
    assignment wins, so no lock is needed.
    """
    global _scanner
    scanner = _scanner
    if scanner is None:
        scanner = _scanner = KeyScanner([prefix.encode(_ENCODING) for prefix, _ in PREFIXES])
    return scanner


def prefix_hits(text: str) -> list[tuple[int, int]]:
    """(prefix index, start in characters) of every prefix occurrence in ``text``."""
    scanner = _get_scanner()
    if text.isascii():
        return [(index, start) for index, start, _ in scanner.scan(text.encode("ascii"))]
    raw = text.encode(_ENCODING, _ERRORS)
    hits = scanner.scan(raw)
    if not hits:
        return []
    # Byte offsets to character offsets, decoding only the gaps between them.
    chars: dict[int, int] = {}
    prev_byte = prev_char = 0
    for offset in sorted({start for _, start, _ in hits}):
        prev_char += len(raw[prev_byte:offset].decode(_ENCODING, _ERRORS))
        prev_byte = offset
        chars[offset] = prev_char
    return [(index, chars[start]) for index, start, _ in hits]


def _starts_credential(text: str, pos: int) -> bool:
    """Whether a credential may start at ``pos``: not inside a word (an escape like ``\\n`` before it ends one)."""
    return pos == 0 or text[pos - 1] not in _WORD or _ESCAPE_BEFORE.search(text, max(0, pos - 16), pos) is not None


def match_at(text: str, pos: int, pattern: int) -> tuple[int, int] | None:
    """The (start, end) of the credential of ``PATTERNS[pattern]`` whose prefix is at ``pos``, if any.

    ``pos`` is where an automaton found one of the pattern's prefixes. Offsets
    are in characters of ``text``; ``start`` is ``pos``, or where the
    pattern's ``value`` group starts when it has one (a URL parameter's
    value, not its name).
    """
    if not _starts_credential(text, pos):
        return None
    regex = PATTERNS[pattern].regex
    found = regex.match(text, pos)
    if found is None:
        return None
    if "value" in regex.groupindex:
        return found.span("value")
    return pos, found.end()


def find_credentials(text: str) -> list[tuple[int, int, str]]:
    """Every credential-shaped string in ``text`` as (start, end, label), sorted and non-overlapping.

    Offsets are in characters, end exclusive, and cover the credential only
    (not the quotes, ``=`` or spaces around it). Of two matches that
    overlap the longer is kept, then the earlier one, so a key found inside
    a longer credential (a JWT, a key block) is not reported apart from it.
    """
    if not text:
        return []
    return credentials_at(text, prefix_hits(text))


def credentials_at(text: str, hits: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """:func:`find_credentials` from prefix hits (prefix index, start) an automaton already found."""
    if not hits:
        return []
    found: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    for prefix_index, start in hits:
        pattern = PREFIXES[prefix_index][1]
        if (start, pattern) in seen:
            continue
        seen.add((start, pattern))
        span = match_at(text, start, pattern)
        if span is not None:
            found.append((span[0], span[1], pattern))
    return [(start, end, PATTERNS[pattern].label) for start, end, pattern in _resolve(found)]


def _resolve(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Drop overlapping matches: longest first, then earliest, then by pattern order; sorted by start."""
    if len(found) < 2:
        return found
    found.sort(key=lambda m: (m[0] - m[1], m[0], m[2]))
    starts: list[int] = []
    kept: list[tuple[int, int, int]] = []
    for match in found:
        start, end, _ = match
        at = bisect_right(starts, start)
        if at > 0 and kept[at - 1][1] > start:
            continue
        if at < len(kept) and kept[at][0] < end:
            continue
        starts.insert(at, start)
        kept.insert(at, match)
    return kept


_OPEN_TAIL = 512
"""How far back from the end of a stream a credential still being written is looked for."""

_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_+/=.-]*\Z")
_PREFIX_STARTS = frozenset(prefix[:n] for prefix, _ in PREFIXES for n in range(1, len(prefix)))
_LONGEST_PREFIX = max(len(prefix) for prefix, _ in PREFIXES)
_PREFIX_START_ENDS = frozenset(start[-1] for start in _PREFIX_STARTS)
"""The last characters of those beginnings: most writes end in none of them (a line break)."""


_OPEN_KEY_HEADER = re.compile(rf"-----BEGIN {_PEM_LABEL}|-----BEGIN[ A-Z0-9_-]*\Z")


def _open_key_block(text: str) -> int | None:
    """Where a private key block starts that has no END line yet (its body may still be coming)."""
    begin = text.rfind("-----BEGIN", max(0, len(text) - _PEM_MAX))
    if begin < 0 or "-----END" in text[begin:] or not _OPEN_KEY_HEADER.match(text, begin):
        return None
    return begin


def open_credential(text: str) -> tuple[int, str] | None:
    """Where a credential that the next write could still continue starts in ``text``, and its label.

    A stream writes a token in pieces when a flush falls inside it: the
    part written first may not match yet (too short), or may match and still
    go on. Either way the stream must keep it back, like the start of a
    registered secret. Candidates: a private key block with no END line yet
    (printed line by line), a match that reaches the end, a prefix followed
    only by token characters up to the end, and an end that is itself the
    beginning of a prefix (``gh``, ``-----BEG``).
    """
    n = len(text)
    if "-----BEGIN" in text:
        block = _open_key_block(text)
        if block is not None:
            return block, "private-key"
    lo = max(0, n - _OPEN_TAIL)
    tail = text[lo:]
    best: tuple[int, str] | None = None
    hits = prefix_hits(tail)
    if hits:
        for start, end, label in find_credentials(tail):
            if end == len(tail):
                best = (lo + start, label)
                break
        for prefix_index, start in sorted(hits, key=lambda hit: hit[1]):
            if best is not None and lo + start >= best[0]:
                break
            pos = lo + start
            if not _starts_credential(text, pos):
                continue
            if _TOKEN_TAIL.match(text, pos + len(PREFIXES[prefix_index][0])):
                best = (pos, PATTERNS[PREFIXES[prefix_index][1]].label)
                break
    if best is None and n and text[-1] in _PREFIX_START_ENDS:
        for size in range(min(_LONGEST_PREFIX - 1, n), 0, -1):
            piece = text[n - size :]
            if piece in _PREFIX_STARTS:
                pos = n - size
                if pos == 0 or text[pos - 1] not in _WORD:
                    label = next(PATTERNS[i].label for prefix, i in PREFIXES if prefix.startswith(piece))
                    return pos, label
    return best
