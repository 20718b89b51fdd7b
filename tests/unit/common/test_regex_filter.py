"""Linear-time regex filters: Python's meaning, RE2's matching (``common/regex_filter.py``)."""

from __future__ import annotations

import re

import pytest

from stratus.common import regex_filter
from stratus.common.regex_filter import InvalidPattern, UnsupportedPattern, compile_filter

TEXTS = [
    "", "a", "b", "ab", "aab", "a\nb", "web-1", "web-22", "db-1", "Web-3", "café", "x{1", "{x",
    "12.5", "10.0.0.5", "fe80::1", " ", "\u00a0", "\u3000", "\u0663", "\U0001f600", "]", "[",
    ":", "\x08", "\x00", "-", "a-b", "a_b", "\u216b", "e\u0301", "aaaa!", "x\\y",
]  # fmt: skip

SAME_AS_PYTHON = [
    "web", "^db", "-1$", r"\d+", r"\D", r"\w+", r"\W", r"\s", r"\S", r"[\w-]+", r"[^\d]",
    r"[\d.]+", r"x\Z", r"a{,3}b", "a{2,}", "a{}", "a{,}", "{x", "x{1", "(?i)WEB", "(?i:W)eb",
    "(?s)a.b", "(?m)^b", "(?u)a", "(?:a|b)c", "(?P<n>a)b", "[]a]", "[^]a]", "[[:alpha:]]",
    r"\x41", r"\u00e9", r"\U0001F600", r"\N{LATIN SMALL LETTER E WITH ACUTE}", r"\0", r"\012",
    r"[\1]", r"\.", r"\-", r"\ ", r"\é", r"\Aa", r"[\b]", ".", "é", r"[\s\S]", r"[a\W]+",
    r"[\S]", r"x[\W\d]*y", r"10\.0\.0\.\d+", "^fe80:", "a|", r"\\", "(a+)+$",
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@pytest.mark.parametrize("pattern", SAME_AS_PYTHON)
def test_matches_as_python_re_search(pattern: str) -> None:
    expected = re.compile(pattern)
    matcher = compile_filter(pattern)
    assert [t for t in TEXTS if matcher.search(t)] == [t for t in TEXTS if expected.search(t)]


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{3,2}", "*a", r"\q", ")", "a**", r"(a)\2"])
def test_what_python_refuses_is_invalid(pattern: str) -> None:
    with pytest.raises(InvalidPattern, match="is not a 'regex'"):
        compile_filter(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1", "(?P<n>a)(?P=n)", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "a++",
        "a*+", "a?+", "a{2}+", "(?x)a b", r"(?a)\w", "(a)?(?(1)b|c)", r"[^a\W]", "(a{1000}){1000}",
    ],
)  # fmt: skip
def test_what_needs_backtracking_is_unsupported(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern, match="cannot be matched in linear time"):
        compile_filter(pattern)


def test_catastrophic_pattern_is_linear() -> None:
    matcher = compile_filter("(a+)+$")
    assert not matcher.search("a" * 5000 + "!")
    assert matcher.search("a" * 5000)


def test_known_differences_are_the_documented_ones() -> None:
    assert compile_filter("caf\\b").search("café")  # ASCII word boundary
    assert not re.search("caf\\b", "café")
    assert not compile_filter("a$").search("a\n")  # $ only at the very end
    assert re.search("a$", "a\n")


def test_text_with_a_lone_surrogate_is_matched_not_raised() -> None:
    assert compile_filter("x").search("\ud800x")


def test_long_messages_are_shortened() -> None:
    with pytest.raises(InvalidPattern) as caught:
        compile_filter("(" * 500)
    assert len(str(caught.value)) < 120
    assert regex_filter._shown("a" * 81).endswith("...")
