""""Did you mean ...?" for secret names, store names, subcommands and options.

A suggestion is only worth showing when it is what was meant: a far-fetched
one (`nope` -> `openai`, which difflib offers) sends the user after the wrong
thing, so the tests check both that typos are found and that strangers are not.
"""

from __future__ import annotations

import pytest

from nbsecrets.core.suggestions import allowed_edits, close_matches, edit_distance

COMMANDS = ["list", "show", "create", "update", "delete", "load", "unload", "status", "run", "rotate-key", "templates"]
SECRETS = ["openai", "openai-keys", "anthropic", "postgres", "db-prod", "github"]


@pytest.mark.parametrize(
    "typed, meant, candidates",
    [
        ("lsit", "list", COMMANDS),  # two neighbours swapped
        ("sohw", "show", COMMANDS),
        ("creat", "create", COMMANDS),  # a letter left out
        ("craete", "create", COMMANDS),
        ("updtae", "update", COMMANDS),
        ("delte", "delete", COMMANDS),
        ("stauts", "status", COMMANDS),
        ("opnai", "openai", SECRETS),
        ("oepnai", "openai", SECRETS),
        ("postgers", "postgres", SECRETS),
        ("anthropics", "anthropic", SECRETS),  # a letter too many
        ("githbu", "github", SECRETS),
        ("db-prd", "db-prod", SECRETS),
    ],
)
def test_typos_find_what_was_meant_first(typed: str, meant: str, candidates: list[str]) -> None:
    found = close_matches(typed, candidates)
    assert found and found[0] == meant, found


@pytest.mark.parametrize(
    "typed, candidates",
    [
        ("nope", SECRETS),  # difflib's ratio says 0.6 for openai
        ("db", ["openai"]),
        ("xyz", COMMANDS),
        ("team", ["local"]),
        ("zzz", SECRETS),
        ("q", COMMANDS),
    ],
)
def test_far_names_are_never_suggested(typed: str, candidates: list[str]) -> None:
    assert close_matches(typed, candidates) == []


def test_nope_is_not_taken_for_openai() -> None:
    """The case that made nbsecrets drop difflib."""
    assert "openai" not in close_matches("nope", ["openai", "openai-keys"])


def test_a_word_that_starts_a_longer_name_is_offered_after_the_typos() -> None:
    """`open` is far from `openai-keys` by edits, but it is how that name begins."""
    assert close_matches("open", ["openai-keys"]) == ["openai-keys"]
    assert close_matches("rotate", COMMANDS) == ["rotate-key"]
    # A near name by edits ranks before a name that only starts with the word.
    assert close_matches("open", ["openai-keys", "oper"]) == ["oper", "openai-keys"]


def test_the_prefix_rule_needs_three_characters() -> None:
    """Two letters start too many names to mean any one of them."""
    assert close_matches("op", ["openai-keys"]) == []
    assert close_matches("ope", ["openai-keys"]) == ["openai-keys"]


def test_case_is_ignored_but_the_candidate_is_returned_as_spelled() -> None:
    assert close_matches("LSIT", ["list"]) == ["list"]
    assert close_matches("OpnAI", ["openai"]) == ["openai"]
    assert close_matches("openai", ["OpenAI"]) == ["OpenAI"]
    assert close_matches("OPEN", ["openai-keys"]) == ["openai-keys"]


def test_the_word_itself_is_not_suggested() -> None:
    assert close_matches("list", ["list", "lost"]) == ["lost"]


def test_closest_first_then_by_name_and_at_most_the_limit() -> None:
    candidates = ["abce", "abdd", "abcd", "abcx", "xbcd", "abzz"]
    assert close_matches("abcd", ["abzz", "abce"]) == ["abce"]  # two edits is too many for four letters
    found = close_matches("abcf", candidates)
    assert found == ["abcd", "abce", "abcx"]  # all at one edit: by name, cut at the default limit of 3
    assert close_matches("abcf", candidates, limit=1) == ["abcd"]
    assert close_matches("abcf", candidates, limit=10) == ["abcd", "abce", "abcx"]
    assert close_matches("abcdefg", ["abcdefgh", "abcdexyz", "abcdefxy"]) == ["abcdefgh", "abcdefxy"]


def test_candidates_may_be_any_iterable_and_none_gives_none() -> None:
    assert close_matches("lsit", iter(["list"])) == ["list"]
    assert close_matches("lsit", {"list": 1, "show": 2}) == ["list"]
    assert close_matches("lsit", []) == []


def test_edit_distance_counts_a_swap_of_neighbours_as_one() -> None:
    assert edit_distance("lsit", "list") == 1
    assert edit_distance("ab", "ba") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("same", "same") == 0


def test_the_allowance_grows_with_the_word() -> None:
    assert [allowed_edits("x" * n) for n in (1, 4, 5, 8, 9, 20)] == [1, 1, 2, 2, 3, 3]
