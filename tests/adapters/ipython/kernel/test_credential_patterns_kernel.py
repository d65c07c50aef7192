"""Credential patterns: well-known token shapes are masked even when nobody registered them.

A token pasted into a cell and printed (GitHub, AWS, Slack, GitLab, Hugging
Face, OpenAI project keys, a PEM private key block) is masked by its shape;
after ``configure_masking(patterns=False)`` the same shapes come out as they
are. Public material (a PEM public key, a certificate) and ordinary words
that merely start like a token (``sk-learn``) are never masked.

The fake tokens are put together here from pieces and seeded random bodies,
so no literal in this file has a token's shape; only the notebook the test
writes holds them.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from typing import Any

import pytest
from kernel_run import NotebookRun, code

pytest.register_assert_rewrite("readback_cells")

from readback_cells import (  # noqa: E402
    base_readings,
    error_outputs,
    line_readings,
    raw_middles,
    run_pair,
    units,
)

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


def _tokens(seed: str) -> dict[str, str]:
    rng = random.Random(seed)

    def pick(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    pem_lines = [pick(B64, 64) for _ in range(4)] + [pick(B64, 28) + "=="]
    return {
        "github": "gh" + "p_" + pick(ALNUM, 36),
        "aws": "AK" + "IA" + pick(UPPER_DIGITS, 16),
        "slack": "xo" + "xb-" + pick(string.digits, 12) + "-" + pick(string.digits, 13) + "-" + pick(ALNUM, 24),
        "gitlab": "gl" + "pat-" + pick(ALNUM + "_-", 20),
        "huggingface": "h" + "f_" + pick(string.ascii_letters, 34),
        "openai": "sk-" + "proj-" + pick(ALNUM, 48),
        "pem": "\n".join(["-----BEGIN " + "PRIVATE KEY-----", *pem_lines, "-----END " + "PRIVATE KEY-----"]),
    }


def _pem(kind: str, seed: str) -> str:
    rng = random.Random(seed)
    body = ["".join(rng.choice(B64) for _ in range(64)) for _ in range(3)]
    return "\n".join([f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"])


PATTERNS_ON = _tokens("patterns on")
PATTERNS_OFF = _tokens("patterns off")  # fresh values, so nothing seen earlier can be remembered


@dataclass(frozen=True)
class Pasted:
    marker: str
    kind: str
    value: str

    def cell(self) -> Any:
        # Pasted into the cell as a literal, as people do.
        return code(f"token = {self.value!r}\nprint('@@{self.marker} ' + token + ' {self.marker}@@')", self.marker)


MASKED = [Pasted(f"E{i}", kind, value) for i, (kind, value) in enumerate(PATTERNS_ON.items(), 1)]
UNMASKED = [Pasted(f"F{i}", kind, value) for i, (kind, value) in enumerate(PATTERNS_OFF.items(), 1)]
NEVER = [
    Pasted("G1", "public key", _pem("PUBLIC KEY", "public")),
    Pasted("G2", "certificate", _pem("CERTIFICATE", "certificate")),
    Pasted("G3", "words", "sk-learn pipelines, sk-learn-contrib and sk-image"),
    Pasted("G4", "words", "see hf_hub_download, xoxb- bot tokens and ghp_ prefixes in the docs"),
]

SETUP = [code("import nbsecrets", "define"), code("%load_ext nbsecrets", "load")]
TURN_OFF = code("nbsecrets.configure_masking(patterns=False)", "patterns-off", "raises-exception")
REPLACEMENT = re.compile(r"\[masked:[^\]\s]+\]")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[NotebookRun, NotebookRun]:
    def cells(masked: bool) -> list[Any]:
        setup = SETUP if masked else [code("pass", "define"), code("pass", "load")]
        off = TURN_OFF if masked else code("pass", "patterns-off")
        return [
            *setup,
            *(p.cell() for p in MASKED),
            *(p.cell() for p in NEVER),
            off,
            *(p.cell() for p in UNMASKED),
        ]

    return run_pair(tmp_path_factory, "patterns", cells(True), cells(False))



def _middles(run: NotebookRun, marker: str) -> list[str]:
    pattern = re.compile(rf"@@{marker}\s(.*?)\s{marker}@@", re.S)
    return [m.group(1) for text in units(run) for r in base_readings(text) for m in pattern.finditer(r)]


def _shows(texts: list[str], value: str) -> bool:
    lines = [line.strip() for line in value.splitlines() if len(line.strip()) >= 12]
    return any(value in r or any(line in r for line in lines) for t in texts for r in line_readings(t))


def test_fake_tokens_have_the_shapes_credential_scanners_know() -> None:
    shapes = {
        "github": r"ghp_[A-Za-z0-9]{36}",
        "aws": r"AKIA[0-9A-Z]{16}",
        "slack": r"xox[bp]-[0-9A-Za-z-]{20,}",
        "gitlab": r"glpat-[0-9A-Za-z_-]{20}",
        "huggingface": r"hf_[A-Za-z]{34}",
        "openai": r"sk-(proj-)?[A-Za-z0-9]{32,}",
        "pem": r"-----BEGIN PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]+\n)+-----END PRIVATE KEY-----",
    }
    for tokens in (PATTERNS_ON, PATTERNS_OFF):
        for kind, shape in shapes.items():
            assert re.fullmatch(shape, tokens[kind]), kind


@pytest.mark.parametrize("pasted", MASKED + UNMASKED + NEVER, ids=lambda p: f"{p.marker}-{p.kind}")
def test_plain_kernel_prints_the_pasted_text(pasted: Pasted, plain: NotebookRun) -> None:
    middles = _middles(plain, pasted.marker)
    assert middles and _shows(middles, pasted.value)
    assert set(raw_middles(units(plain), pasted.marker)) == {pasted.value}


@pytest.mark.parametrize("pasted", MASKED, ids=lambda p: f"{p.marker}-{p.kind}")
def test_pasted_token_is_masked_by_its_shape(pasted: Pasted, masked: NotebookRun) -> None:
    middles = _middles(masked, pasted.marker)
    assert middles, f"{pasted.marker}: the text around the token did not survive"
    assert not _shows(middles, pasted.value), f"{pasted.marker}: the {pasted.kind} token was printed"
    body = pasted.value.splitlines()[1] if "\n" in pasted.value else pasted.value
    for middle in middles:
        for offset in range(len(body) - 11):
            assert body[offset : offset + 12] not in middle, f"{pasted.marker}: 12 characters of it were printed"
    assert any(REPLACEMENT.search(m) for m in middles), f"{pasted.marker}: no [masked:...] in its place"


def test_configure_masking_can_turn_patterns_off(masked: NotebookRun) -> None:
    assert error_outputs(masked, "patterns-off") == []


@pytest.mark.parametrize("pasted", UNMASKED + NEVER, ids=lambda p: f"{p.marker}-{p.kind}")
def test_left_as_it_is_when_patterns_are_off_or_the_text_is_no_credential(
    pasted: Pasted, masked: NotebookRun, plain: NotebookRun
) -> None:
    assert set(raw_middles(units(masked), pasted.marker)) == set(raw_middles(units(plain), pasted.marker))
    stream = "".join(o["text"] for o in masked.cell(pasted.marker).outputs if o["output_type"] == "stream")
    assert stream == f"@@{pasted.marker} {pasted.value} {pasted.marker}@@\n"
