"""Decoding client JSON: UTF-8, bounded nesting, no lone surrogates (``common/untrusted_json``)."""

from __future__ import annotations

import pytest

from stratus.common import exceptions
from stratus.common.untrusted_json import MAX_DEPTH, loads, too_deep


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_decodes_ordinary_json() -> None:
    assert loads(b'{"a": [1, "x", {"b": null}]}') == {"a": [1, "x", {"b": None}]}
    assert loads('\ufeff{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 10_000, 1_000_000])
def test_too_deep_is_invalid_before_decoding(levels: int) -> None:
    with pytest.raises(exceptions.Invalid, match="nested deeper than 100 levels"):
        loads(nested(levels).encode())


def test_depth_limit_counts_brackets_outside_strings_only() -> None:
    assert loads(nested(MAX_DEPTH)) is not None
    assert loads('["' + "[" * 500 + '"]') == ["[" * 500]
    assert loads('{"a": "\\"[[["}') == {"a": '"[[['}
    assert not too_deep('{"a": ' * 50 + "1" + "}" * 50)
    assert too_deep('{"a": ' * 101 + "1" + "}" * 101)


def test_unterminated_string_is_the_decoders_error() -> None:
    with pytest.raises(exceptions.Invalid, match="Unterminated string"):
        loads('["' + '\\"' * 1000)


@pytest.mark.parametrize(
    "raw", [b'"\\ud800x"', b'{"\\udc00": 1}', b'["ok", {"a": ["\\uDBFF"]}]', b'"\\ude00\\ud83d"']
)
def test_lone_surrogate_escape_is_invalid(raw: bytes) -> None:
    with pytest.raises(exceptions.Invalid, match="unpaired UTF-16 surrogates"):
        loads(raw)


def test_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    assert loads(b'"\\\\ud800"') == "\\ud800"


@pytest.mark.parametrize(
    "raw", [b'"\xed\xa0\x80"', b'"\xff"', '{"a": 1}'.encode("utf-16"), '"x"'.encode("utf-32")]
)
def test_bytes_that_are_not_utf8_are_invalid(raw: bytes) -> None:
    with pytest.raises(exceptions.Invalid, match="not valid UTF-8"):
        loads(raw)


def test_str_argument_with_a_surrogate_is_invalid() -> None:
    with pytest.raises(exceptions.Invalid, match="unpaired"):
        loads('"\ud800"')


def test_what_names_the_document() -> None:
    with pytest.raises(exceptions.Invalid, match="Malformed blob: "):
        loads("{", "blob")
