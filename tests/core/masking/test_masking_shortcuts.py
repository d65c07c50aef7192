"""The shortcuts masking takes for speed never let a secret through.

* The memo: a large string masked lately is not scanned again by the same matcher.
* The sparse read-back: a large text the view changes in few places is read back only around them.
* Spaced output searched for credentials only where the view holds one of their prefixes.
* Output with nothing registered searched for credentials alone.
* The build caches: forms and fragment sources carried from one build of the automaton to the next.
"""

from __future__ import annotations

import random
import string

import pytest

from nbsecrets.core.masking import MaskConfig, Masker, fragments, matcher as matcher_module, memo
from nbsecrets.core.registry import SecretRegistry

SECRET = "sk-test-Sh0rtcutQ7wE9rT2yU4iO6pA8sD"
OTHER = "pw-test-Xk2Lm9Qz4Rv7Ty1Wn8Bc5Hj3"
BIG = 64 * 1024


@pytest.fixture
def reg() -> SecretRegistry:
    return SecretRegistry()


def filler(size: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("abcdefgh ") for _ in range(size))


# -- the memo -------------------------------------------------------------------------


def test_a_large_string_is_scanned_once(reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    calls = []
    find_all = matcher_module.Matcher.find_all
    monkeypatch.setattr(matcher_module.Matcher, "find_all", lambda self, text: calls.append(len(text)) or find_all(self, text))
    text = filler(BIG) + SECRET + filler(100)
    first = masker.mask(text)
    again = masker.mask(text)
    assert again is first
    assert "[masked:KEY]" in first and SECRET not in first
    assert calls == [len(text)]
    # As a value in a bundle (the way a display leaves the kernel) it is the same object too.
    assert masker.mask_values({"text/html": text})["text/html"] is first
    assert calls == [len(text)]


def test_a_secret_registered_between_two_sends_is_masked_in_the_same_string(reg: SecretRegistry) -> None:
    masker = Masker(reg)
    text = filler(BIG) + SECRET + filler(100)
    assert masker.mask(text) is text  # nothing registered yet (and not credential-shaped)
    reg.add(SECRET, "KEY")
    masked = masker.mask(text)
    assert SECRET not in masked and "[masked:KEY]" in masked


def test_a_setting_changed_between_two_sends_applies_to_the_same_string(reg: SecretRegistry) -> None:
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    text = filler(BIG) + SECRET
    assert "[masked:KEY]" in masker.mask(text)
    masker.configure(replacement="<hidden {name}>")
    assert "<hidden KEY>" in masker.mask(text)


def test_a_changed_copy_of_a_scanned_string_is_scanned(reg: SecretRegistry) -> None:
    """A string cannot change, but its successor can hold what it did not: same length, new content."""
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    plain = filler(BIG, seed=1) + "x" * len(SECRET)
    assert masker.mask(plain) is plain
    changed = plain[: -len(SECRET)] + SECRET
    assert len(changed) == len(plain)
    assert SECRET not in masker.mask(changed)


def test_different_strings_of_one_length_never_share_an_answer(reg: SecretRegistry) -> None:
    """Strings built and dropped in turn (whose ids the allocator reuses) are each judged by content."""
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    base = filler(BIG, seed=2)
    for round_ in range(40):
        holds = round_ % 2 == 1
        text = base + (SECRET if holds else "y" * len(SECRET)) + str(round_ % 10)
        masked = masker.mask(text)
        assert (SECRET in masked) is False
        assert ("[masked:KEY]" in masked) is holds
        del text, masked


def test_mutable_buffers_are_scanned_every_time(reg: SecretRegistry) -> None:
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    buffer = bytearray((filler(BIG) + "y" * len(SECRET)).encode())
    assert masker.mask_data(buffer) is buffer
    buffer[-len(SECRET) :] = SECRET.encode()
    masked = masker.mask_data(buffer)
    assert SECRET.encode() not in bytes(masked) and b"[masked:KEY]" in bytes(masked)


def test_a_str_subclass_is_scanned_every_time(reg: SecretRegistry) -> None:
    class Text(str):
        pass

    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    text = Text(filler(BIG) + SECRET)
    assert SECRET not in masker.mask(text)
    assert memo.Memo().get(text) is None


def test_short_strings_are_not_kept(reg: SecretRegistry) -> None:
    box = memo.Memo()
    text = "x" * (memo.MIN_LENGTH - 1)
    box.put(text, text)
    assert box.get(text) is None


def test_the_memo_holds_a_bounded_number_of_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_CHARS", 10 * memo.MIN_LENGTH)
    box = memo.Memo()
    texts = [str(i) * memo.MIN_LENGTH for i in range(1, 10)]
    for text in texts:
        box.put(text, text)
    assert sum(len(t) for t in texts if box.get(t) is not None) <= memo.MAX_CHARS
    assert box.get(texts[-1]) is texts[-1]  # the newest is kept
    assert box.get(texts[0]) is None  # the oldest went first
    assert len([t for t in texts if box.get(t) is not None]) <= memo.MAX_ENTRIES
    huge = "z" * (memo.MAX_CHARS + 1)
    box.put(huge, huge)
    assert box.get(huge) is None


# -- the sparse read-back -----------------------------------------------------------------

# Ways a frontend or formatter puts something between two halves of a secret.
SPLITS = [
    "<b></b>",
    "<span style='color: red'>",
    "<span title='" + "t" * 900 + "'>",  # a tag longer than the margin around a change
    "\n    ",
    "&#8203;",
    "<!-- -->",
    "'\n '",
]


def big_markup(secret: str, split: str, at: int, size: int = 3 * BIG, seed: int = 0) -> str:
    """A large HTML text with few tags, ``secret`` split by ``split`` somewhere in the middle."""
    rng = random.Random(seed)
    body = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(size))
    middle = size // 2
    # The view drops tags and whitespace: "key=" and "." keep what surrounds the secret from running into it.
    shown = "key=" + secret[:at] + split + secret[at:] + "."
    return "<div>" + body[:middle] + "<i>" + shown + "</i>" + body[middle:] + "</div>"


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("at", [3, 12, 30])
def test_a_secret_split_in_a_large_display_is_masked(reg: SecretRegistry, split: str, at: int) -> None:
    reg.add(SECRET, "KEY")
    text = big_markup(SECRET, split, at)
    masked = Masker(reg).mask(text)
    assert "[masked:KEY]" in masked
    assert SECRET[:at] not in masked or SECRET[at:] not in masked
    assert masked.startswith("<div>") and masked.endswith("</div>")


def test_a_credential_split_by_a_tag_in_a_large_display_is_masked(reg: SecretRegistry) -> None:
    token = "ghp_" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2z4B"  # GitHub's token shape, fake
    text = big_markup(token, "<wbr>", 20)
    masked = Masker(reg).mask(text)
    assert token[:20] not in masked and token[20:] not in masked


def test_a_long_credential_wrapped_far_from_its_start_reads_as_the_whole_view(
    reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JWT wrapped after 300 characters: its prefix lies far outside any neighbourhood of the break."""
    rng = random.Random(5)
    part = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(300))
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ" + part + "." + part[:43]
    text = big_markup(jwt, "\n", 310)
    masker = Masker(reg)
    assert "[masked:jwt]" in masker.mask(text)
    equivalent(text, masker, monkeypatch)


def equivalent(text: str, masker: Masker, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text masks the same with the sparse read-back as with the whole view."""
    sparse = masker.matcher.replace(text)
    with monkeypatch.context() as patch:
        patch.setattr(matcher_module, "SPARSE_VIEW_MIN", 10**12)
        whole = masker.matcher._replace(text)
    assert sparse == whole


def test_sparse_and_whole_read_back_agree_on_mixed_texts(reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    reg.add(SECRET, "KEY")
    reg.add(OTHER, "OTHER")
    masker = Masker(reg)
    readings: list[bool] = []
    neighbourhoods = matcher_module.changed_neighbourhoods

    def spy(*args):
        near = neighbourhoods(*args)
        readings.append(near is not None)
        return near

    monkeypatch.setattr(matcher_module, "changed_neighbourhoods", spy)
    pieces = ["<b>", "</b>", "&amp;", "&#115;", "\n", "  ", "'", '"', "\\PYZhy{}", "}", ",", "<br/>", "\t"]
    for seed in range(30):
        rng = random.Random(seed)
        parts = [filler(rng.randrange(0, 3 * BIG), seed).replace(" ", "")]
        for _ in range(rng.randrange(1, 12)):
            secret = rng.choice([SECRET, OTHER, SECRET[5:25], "ghp_" + SECRET[8:44].ljust(36, "Z")])
            cut = rng.randrange(1, len(secret))
            glue = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 3)))
            parts.insert(rng.randrange(len(parts) + 1), secret[:cut] + glue + secret[cut:])
        if rng.random() < 0.3:  # dense markup: the sparse reading must give up and read it whole
            parts.append("<td> x </td>" * 20_000)
        text = "".join(parts)
        if len(text) < matcher_module.SPARSE_VIEW_MIN:
            text += "q" * matcher_module.SPARSE_VIEW_MIN
        equivalent(text, masker, monkeypatch)
    # Both ways were taken: read around the changes, and given up on as too dense.
    assert True in readings and False in readings


def test_dense_markup_is_read_whole(reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    reg.add(SECRET, "KEY")
    text = "<table>" + "<tr><td>cell</td></tr>" * 10_000 + "<td>" + SECRET[:10] + "<b>" + SECRET[10:] + "</table>"
    from nbsecrets.core.masking import readback

    assert readback.changed_neighbourhoods(text, True, 128, len(text) // (16 * 128)) is None
    assert SECRET[10:] not in Masker(reg).mask(text)


# -- spaced output and nothing registered ---------------------------------------------------


PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAtestFAKEkeyONLYforTESTSabcdefghijklmnopqrstuvwxyz01\n"
    "bm90IGEgcmVhbCBrZXksIG9ubHkgYSB0ZXN0IGZpeHR1cmUgZm9yIG5ic2VjcmV0cw\n"
    "-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize("registered", [False, True])
def test_credentials_in_spaced_output_are_found(reg: SecretRegistry, registered: bool) -> None:
    if registered:
        reg.add(SECRET, "KEY")
    masker = Masker(reg)
    token = "ghp_" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2z4B"
    log = "INFO request took 12 ms\n" * 50
    for shown in (f"token {token} sent", PEM, "  " + PEM.replace("\n", "\n  ")):
        masked = masker.mask(log + shown + "\n" + log)
        assert "ghp_Ab3d" not in masked and "MIIEowIBAAKCAQEA" not in masked, shown[:20]


CREDENTIAL_PIECES = [
    "ghp_" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2z4B",
    "AKIATESTFAKE0EXAMPLE",
    "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk-test-" + "Q7wE9rT2yU4iO6pA8sD0fG",
    "glpat-" + "FakeTestToken0nly1234",
    "word", "ghp_", "AKIA", "ASIA", "x", "=", ":", '"', "'",
]


@pytest.mark.parametrize("seed", range(60))
def test_credential_prefixes_from_the_view_are_those_of_the_text(
    reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The prefixes the view shows, mapped back and checked, are what a search of the text finds."""
    from nbsecrets.core.masking.patterns import prefix_hits
    from nbsecrets.core.masking.readback import Unspaced

    rng = random.Random(seed)
    reg.add(SECRET, "KEY")
    matcher = Masker(reg).matcher
    pieces = []
    for _ in range(rng.randrange(1, 40)):
        piece = rng.choice(CREDENTIAL_PIECES)
        if rng.random() < 0.3:  # split by whitespace: the view shows it whole, the text does not
            cut = rng.randrange(len(piece) + 1)
            piece = piece[:cut] + rng.choice([" ", "\n", "\t  "]) + piece[cut:]
        pieces.append(piece)
        pieces.append(rng.choice([" ", "\n", "", " api_key=", "\n    "]))
    text = "".join(pieces)
    view = Unspaced(text)
    hits = [(start, end, index) for index, start, end in matcher._scan(view.data)]
    expected = sorted(prefix_hits(text))
    assert sorted(matcher._prefixes_from_view(text, view, hits)) == expected
    monkeypatch.setattr(matcher_module, "_VIEW_PREFIXES_MAX", 0)
    assert sorted(matcher._prefixes_from_view(text, view, hits)) == expected


def test_spaced_output_without_prefixes_is_left_alone(reg: SecretRegistry) -> None:
    reg.add(SECRET, "KEY")
    text = "INFO worker started with 4 threads\n" * 1000
    assert Masker(reg).mask(text) is text


def test_credential_shapes_off_with_nothing_registered_masks_nothing(reg: SecretRegistry) -> None:
    masker = Masker(reg, MaskConfig(patterns=False))
    text = "token ghp_Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2z4B sent\n"
    assert masker.mask(text) is text


# -- the build caches -------------------------------------------------------------------


def test_a_rebuild_works_out_only_the_new_secret(reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Registering one more secret re-derives the forms and fragment source of that secret alone."""
    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    assert masker.mask(f"a {SECRET} b") == "a [masked:KEY] b"
    made = []
    of = fragments.Source.of
    monkeypatch.setattr(fragments.Source, "of", classmethod(lambda cls, text, name: made.append(text) or of(text, name)))
    reg.add(OTHER, "PASSWORD")
    assert masker.mask(f"{SECRET} {OTHER} {OTHER[2:-2]}") == "[masked:KEY] [masked:PASSWORD] [masked:PASSWORD]"
    assert made == [OTHER]


def test_a_name_given_later_shows_in_fragments_too(reg: SecretRegistry) -> None:
    reg.add(SECRET)
    masker = Masker(reg)
    assert masker.mask(SECRET[3:-3]) == "[masked:secret]"
    reg.add(SECRET, "NAMED")
    assert masker.mask(f"{SECRET} {SECRET[3:-3]}") == "[masked:NAMED] [masked:NAMED]"


def test_a_changed_fragment_length_derives_the_windows_anew(reg: SecretRegistry) -> None:
    reg.add(SECRET, "KEY")
    masker = Masker(reg, MaskConfig(fragment_length=20))
    piece = SECRET[5:19]  # 14 characters: no fragment at 20
    assert masker.mask(piece) == piece
    masker.configure(fragment_length=12)
    assert masker.mask(piece) == "[masked:KEY]"
    masker.configure(fragment_length=20, min_length=10)
    assert masker.mask(piece) == piece
    assert masker.mask(SECRET) == "[masked:KEY]"


def test_the_caches_hold_only_what_the_last_build_used(reg: SecretRegistry) -> None:
    """A value no longer masked (now shorter than the minimum length) is not held on to."""
    reg.add(SECRET, "KEY")
    reg.add(OTHER, "PASSWORD")
    masker = Masker(reg)
    assert masker.mask(OTHER) == "[masked:PASSWORD]"
    masker.configure(min_length=len(OTHER) + 1)
    assert masker.mask(OTHER) == OTHER
    held = [masker._forms_cache, masker._sources._kept]
    assert all(OTHER not in str(list(cache)) for cache in held)
    assert all(SECRET in str(list(cache)) for cache in held)


def test_collection_is_back_on_after_a_build_even_one_that_fails(reg: SecretRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    reg.add(SECRET, "KEY")
    masker = Masker(reg)
    assert gc.isenabled()
    masker.mask("x")
    assert gc.isenabled()

    def broken(*args: object, **kwargs: object) -> None:
        assert not gc.isenabled()  # paused while the automaton is built
        raise RuntimeError("build failed")

    monkeypatch.setattr(matcher_module, "Matcher", broken)
    reg.add(OTHER, "PASSWORD")
    with pytest.raises(RuntimeError):
        masker.mask("x")
    assert gc.isenabled()
    monkeypatch.undo()
    assert masker.mask(OTHER) == "[masked:PASSWORD]"


def test_builds_at_once_share_one_pause_of_collection() -> None:
    import gc

    from nbsecrets.core import masking

    assert gc.isenabled()
    with masking._collector_paused():
        with masking._collector_paused():  # another masker building meanwhile
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first build is still under way
    assert gc.isenabled()
    gc.disable()
    try:
        with masking._collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
