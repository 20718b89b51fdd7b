r"""Regular-expression list filters (``GET /servers?name=``, ``ip``, ``ip6``) in linear time.

Nova runs these filters as Python's ``re.search`` (unanchored). A backtracking matcher needs
exponential time for patterns such as ``(a+)+$`` against ``aaa…a!``, and Python's ``re`` holds
the GIL while it backtracks, which froze every API of a process. So the meaning of a pattern
is Python's, but the matching is RE2's (``google-re2``), whose time is linear in the text:

* ``re.compile`` decides whether a pattern is valid at all (``InvalidPattern``; Nova's 400
  "is not a 'regex'");
* the pattern is rewritten into RE2's syntax where the two spell the same thing differently
  (``\Z``, ``\uXXXX``, octal escapes, ``{,n}``) and where Python's classes are Unicode-aware
  (``\d``, ``\w``, ``\s``);
* what needs backtracking — backreferences, look-around, atomic groups, possessive
  quantifiers, conditionals — and the flags ``a``, ``L`` and ``x`` raise ``UnsupportedPattern``.

Two differences remain, both on unusual input: ``\b``/``\B`` see only ASCII word characters,
and ``$`` outside multi-line mode matches only at the very end (Python's also matches before a
final newline).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

import re2

# NOTE: patterns come from any caller. 2 MiB per pattern (RE2's default is 8) bounds both the
# compile time (under 0.1 s; the GIL is held) and what re2's cache of 128 patterns keeps, and
# still fits Unicode-heavy filters such as ^\w{1,80}$.
_MAX_MEM = 2 << 20
_DIGIT = r"\p{Nd}"
_WORD = r"\p{L}\p{N}_"
_SPACE = "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace())
_OUTSIDE = {"d": _DIGIT, "D": r"\P{Nd}", "w": f"[{_WORD}]", "W": f"[^{_WORD}]"}
_OUTSIDE |= {"s": f"[{_SPACE}]", "S": f"[^{_SPACE}]", "Z": r"\z"}
_INSIDE = {"d": _DIGIT, "D": r"\P{Nd}", "w": _WORD, "s": _SPACE, "b": r"\x{8}"}
_KEPT = set("AbBafnrtv")  # the same in both syntaxes
_REPEAT = re.compile(r"\{([0-9]*)(,?)([0-9]*)\}")
_OCTAL = re.compile(r"0[0-7]{0,2}|[0-7]{3}")  # outside classes \1…\99 are backreferences
_CLASS_OCTAL = re.compile(r"[0-7]{1,3}")
_GROUP_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_PLAIN_GROUP = re.compile(r"\((?:\?:|\?P<\w+>)?")


class InvalidPattern(ValueError):
    """Python's ``re`` does not accept the pattern (Nova answers 400)."""


class UnsupportedPattern(ValueError):
    """A valid pattern that cannot be matched in linear time (backreference, look-around…)."""


class Matcher(Protocol):
    """A compiled filter: ``search`` is true when the pattern occurs anywhere in ``text``."""

    def search(self, text: str) -> bool: ...


class _Compiled(Protocol):
    def search(self, text: bytes) -> object: ...


class _Re2Matcher:
    def __init__(self, compiled: _Compiled) -> None:
        self._compiled = compiled

    def search(self, text: str) -> bool:
        # NOTE: rows stored before lone surrogates were refused must not turn a list into a 500.
        return self._compiled.search(text.encode("utf-8", "surrogatepass")) is not None


def compile_filter(pattern: str) -> Matcher:
    """A linear-time matcher with ``re.search`` semantics; raises ``InvalidPattern`` or
    ``UnsupportedPattern`` (both ``ValueError``) with a message fit for the API caller."""
    try:
        # NOTE: not inside warnings.catch_warnings(): it swaps process-wide filters and is not
        # thread-safe; Python's FutureWarnings about sets in classes are harmless.
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidPattern(f"'{_shown(pattern)}' is not a 'regex'") from exc
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    options.max_mem = _MAX_MEM
    try:
        return _Re2Matcher(re2.compile(_translate(pattern), options))
    except re2.error as exc:
        raise UnsupportedPattern(
            f"'{_shown(pattern)}' cannot be matched in linear time; backreferences, look-around, "
            "atomic groups, possessive quantifiers, conditionals, the flags a, L and x "
            "and very large repetitions are not supported"
        ) from exc


def _shown(pattern: str) -> str:
    return pattern if len(pattern) <= 80 else pattern[:80] + "..."


def _translate(pattern: str) -> str:
    """``pattern`` (valid for Python's ``re``) in RE2's syntax; raises ``re2.error`` for
    constructs RE2 lacks, so the caller treats them like patterns RE2 refuses."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            text, i = _escape(pattern, i + 1, inside=False)
        elif char == "[":
            text, i = _char_class(pattern, i + 1)
        elif char == "{":
            text, i = _repeat(pattern, i)
        elif char == "(":
            text, i = _group(pattern, i)
        elif char in "*+?" and pattern[i + 1 : i + 2] == "+":
            raise re2.error("possessive quantifiers are not supported")
        else:
            text, i = char, i + 1
        out.append(text)
    return "".join(out)


def _escape(pattern: str, i: int, *, inside: bool) -> tuple[str, int]:
    """The escape sequence starting after the backslash at ``i - 1``, outside or ``inside`` a
    character class."""
    char = pattern[i]
    classes = _INSIDE if inside else _OUTSIDE
    if char in classes:
        return classes[char], i + 1
    if char in _KEPT:
        return "\\" + char, i + 1
    if char == "x":
        return _code(int(pattern[i + 1 : i + 3], 16)), i + 3
    if char in "uU":
        width = 4 if char == "u" else 8
        return _code(int(pattern[i + 1 : i + 1 + width], 16)), i + 1 + width
    if char == "N":
        end = pattern.index("}", i)
        return _code(ord(unicodedata.lookup(pattern[i + 2 : end]))), end + 1
    octal = (_CLASS_OCTAL if inside else _OCTAL).match(pattern, i)
    if octal:
        return _code(int(octal.group(), 8)), octal.end()
    if char.isascii() and char.isalnum():
        # NOTE: \1…\99 are backreferences; other letters Python either refused or RE2 lacks.
        raise re2.error(f"unsupported escape \\{char}")
    return _code(ord(char)), i + 1


def _code(point: int) -> str:
    return f"\\x{{{point:x}}}"


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    """The character class whose ``[`` is at ``i - 1``.

    RE2 has no Unicode-aware ``\\W``/``\\S`` to put inside a class, so ``[a\\S]`` becomes
    ``(?:[a]|[^<spaces>])``; inside a negated class they are unsupported."""
    out, negated, alternatives = ["["], pattern[i] == "^", []
    if negated:
        out.append("^")
        i += 1
    start = len(out)
    if pattern[i] == "]":
        out.append("\\]")
        i += 1
    while pattern[i] != "]":
        char = pattern[i]
        if char == "\\" and pattern[i + 1] in "WS":
            if negated:
                raise re2.error("\\W and \\S inside [^...] are not supported")
            alternatives.append(_OUTSIDE[pattern[i + 1]])
            i += 2
            continue
        if char == "\\":
            text, i = _escape(pattern, i + 1, inside=True)
        else:
            # NOTE: "[" is literal in Python's classes; RE2 would read "[:alpha:]" as a class.
            text, i = ("\\[" if char == "[" else char), i + 1
        out.append(text)
    if alternatives:
        positive = ["".join(out) + "]"] if len(out) > start else []
        return "(?:" + "|".join(positive + alternatives) + ")", i + 1
    return "".join(out) + "]", i + 1


def _repeat(pattern: str, i: int) -> tuple[str, int]:
    """``{m,n}`` as RE2 spells it (RE2 reads ``{,n}`` literally); a literal ``{`` otherwise."""
    found = _REPEAT.match(pattern, i)
    if found is None or found.group() == "{}":
        return "\\{", i + 1
    if pattern[found.end() : found.end() + 1] == "+":
        raise re2.error("possessive quantifiers are not supported")
    low, comma, high = found.groups()
    return "{" + (low or "0") + comma + high + "}", found.end()


def _group(pattern: str, i: int) -> tuple[str, int]:
    """A group opening: plain, non-capturing, named, or inline flags (i, m, s, u)."""
    flags = _GROUP_FLAGS.match(pattern, i)
    if flags is not None:
        on, off, end = flags.group(1), flags.group(2) or "", flags.group(3)
        if set(on) - set("imsu") or set(off) - set("ims"):
            raise re2.error("only the flags i, m, s and u are supported")
        on = on.replace("u", "")
        if not on and not off:
            return ("" if end == ")" else "(?:"), flags.end()
        return "(?" + on + ("-" + off if off else "") + end, flags.end()
    plain = _PLAIN_GROUP.match(pattern, i)
    assert plain is not None
    if pattern[plain.end() : plain.end() + 1] == "?" and plain.group() == "(":
        raise re2.error("look-around, backreferences and conditionals are not supported")
    return plain.group(), plain.end()
