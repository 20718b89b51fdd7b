"""Decoding JSON that a client sent: UTF-8 only, bounded nesting, no lone surrogates.

``json.loads`` alone turns three kinds of hostile input into 500s further on:

* nesting thousands of levels deep makes it (and anything recursive after it: JSON-schema
  validation, ``json.dumps``, ``copy.deepcopy``, ``repr`` in a log line) raise
  ``RecursionError``;
* a ``\\ud800`` escape, or the bytes ``ED A0 80`` (which ``json.loads`` of bytes decodes with
  ``surrogatepass``), yields a ``str`` with a lone surrogate that no database driver or encoder
  accepts;
* UTF-16/32 bodies are guessed from their first bytes, although OpenStack APIs speak UTF-8.

``loads`` refuses all three with ``exceptions.Invalid`` (400), before any recursion happens.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stratus.common import exceptions

# NOTE: the deepest body an OpenStack API defines nests about 8 levels (a Keystone password
# auth request); 100 leaves room for free-form JSON (Keystone extras, JSON-patch values)
# while everything recursive that handles a document — jsonschema takes a few frames per
# level, json.dumps and deepcopy one to three — stays far below Python's recursion limit of
# 1000, even from a worker thread that is already some frames deep.
MAX_DEPTH = 100

# a string (to skip: brackets inside strings do not nest), a bracket, or an unterminated
# string's opening quote (the decoder reports that error; the scan stops there)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(raw: bytes | str, what: str = "request body") -> Any:
    """The document in ``raw``; ``Invalid`` naming ``what`` when it is not UTF-8 JSON nested at
    most ``MAX_DEPTH`` levels, free of unpaired surrogates."""
    if isinstance(raw, bytes):
        try:
            # NOTE: strict UTF-8 refuses encoded surrogates (ED A0 80) and other encodings.
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.Invalid(f"Malformed {what}: it is not valid UTF-8.") from None
    else:
        text = raw
    text = text.removeprefix("\ufeff")
    if too_deep(text):
        raise exceptions.Invalid(_deep_message(what))
    try:
        document = json.loads(text)
    except RecursionError:
        raise exceptions.Invalid(_deep_message(what)) from None
    except ValueError as exc:
        raise exceptions.Invalid(f"Malformed {what}: {exc}") from None
    # NOTE: only an escape can make a surrogate out of strictly decoded UTF-8; walk the
    # document only then (a str argument may carry one already).
    suspect = _SURROGATE.search(text) if isinstance(raw, str) else None
    if (suspect or _SURROGATE_ESCAPE.search(text)) and _has_lone_surrogate(document):
        raise exceptions.Invalid(
            f"Malformed {what}: strings must not contain unpaired UTF-16 surrogates "
            "(\\ud800-\\udfff escapes that are not a valid pair)."
        )
    return document


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects in the JSON ``text`` nest deeper than ``limit`` (a linear scan
    that stops at the first level too many; malformed text is the decoder's to report)."""
    depth = 0
    for token in _TOKEN.finditer(text):
        found = token.group()
        if found in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif found in ("]", "}"):
            depth -= 1
        elif found == '"':
            return False
    return False


def _deep_message(what: str) -> str:
    return f"Malformed {what}: JSON nested deeper than {MAX_DEPTH} levels."


def _has_lone_surrogate(document: Any) -> bool:
    """Whether any string (key or value) in ``document`` holds a surrogate code point; a
    loop, not recursion, although ``loads`` has already bounded the depth."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
