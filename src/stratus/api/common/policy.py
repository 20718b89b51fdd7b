"""Role-based policy: oslo.policy's rule language, default rules in code, operator overrides.

Rule syntax (a subset of oslo.policy that covers its defaults)::

    "@"                         always allowed            "!"   never allowed
    "role:admin"                the caller has the role (case-insensitive)
    "rule:admin_required"       another named rule
    "is_admin:True"             the caller is a cloud admin
    "system_scope:all"          the token is system-scoped
    "project_id:%(project_id)s" a credential attribute equals a target attribute
    "user_id:%(target.user.id)s"
    "'member':%(role.name)s"    a literal equals a target attribute
    "field:port:device_owner=~^network:"
                                Neutron's field check: the target's attribute equals the
                                value, or (``=~``) matches the regular expression at its start
    A and B, A or B, not A, ( ... )

An empty rule ("") allows everything, as in oslo.policy. Operators override rules with a YAML or
JSON file (``[oslo_policy] policy_file``) mapping names to rule strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from stratus.common import exceptions
from stratus.common.context import RequestContext

Check = Callable[[Mapping[str, Any], RequestContext, "Enforcer"], bool]

_TOKEN_RE = re.compile(r"\s*(\(|\)|(?:%\([^)]*\)|[^\s()])+)")


class PolicyError(ValueError):
    """A rule string cannot be parsed."""


def _lookup(target: Mapping[str, Any], key: str) -> Any:
    if key in target:
        return target[key]
    value: Any = target
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _credential(ctx: RequestContext, name: str) -> Any:
    if name == "project_id":
        return ctx.project_id
    if name == "user_id":
        return ctx.user_id
    if name == "domain_id":
        return ctx.domain_id
    if name in ("user_domain_id", "project_domain_id", "system_scope"):
        return getattr(ctx, name)
    return None


def _atom(text: str) -> Check:
    if text == "@":
        return lambda _t, _c, _e: True
    if text == "!":
        return lambda _t, _c, _e: False
    kind, sep, value = text.partition(":")
    if not sep:
        raise PolicyError(f"cannot parse policy check {text!r}")
    if kind == "rule":
        return lambda t, c, e: e.check_rule(value, t, c)
    if kind == "role":
        wanted = value.lower()
        return lambda _t, c, _e: wanted in c.roles
    if kind == "is_admin":
        want_admin = value.lower() == "true"
        return lambda _t, c, _e: c.is_admin == want_admin
    if kind == "field":
        return _field_check(value)
    return _match_check(kind, value)


def _field_check(spec: str) -> Check:
    """``field:<resource>:<attribute>=<value>`` (``=~<regex>``), as Neutron's ``FieldCheck``."""
    _resource, _sep, rest = spec.partition(":")
    name, sep, wanted = rest.partition("=")
    if not sep or not name:
        raise PolicyError(f"cannot parse policy check 'field:{spec}'")
    if wanted.startswith("~"):
        try:
            pattern = re.compile(wanted[1:])
        except re.error as exc:
            raise PolicyError(f"bad regular expression in 'field:{spec}': {exc}") from None
        return lambda t, _c, _e: t.get(name) is not None and bool(pattern.match(str(t[name])))
    return lambda t, _c, _e: t.get(name) is not None and str(t[name]) == wanted


def _match_check(kind: str, value: str) -> Check:
    def resolve_right(target: Mapping[str, Any]) -> Any:
        m = re.fullmatch(r"%\((.+)\)s", value)
        if m:
            return _lookup(target, m.group(1))
        return value

    if kind.startswith("'") and kind.endswith("'"):
        literal = kind[1:-1]
        return lambda t, _c, _e: str(resolve_right(t)) == literal

    def check(target: Mapping[str, Any], ctx: RequestContext, _e: Enforcer) -> bool:
        left = _credential(ctx, kind)
        right = resolve_right(target)
        return left is not None and right is not None and str(left) == str(right)

    return check


class _Parser:
    """Recursive descent: expr := term ('or' term)*; term := factor ('and' factor)*."""

    def __init__(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN_RE.findall(text) if t.strip()]
        self.pos = 0

    def parse(self) -> Check:
        if not self.tokens:
            return lambda _t, _c, _e: True
        check = self._expr()
        if self.pos != len(self.tokens):
            raise PolicyError(f"unexpected {self.tokens[self.pos]!r}")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _expr(self) -> Check:
        parts = [self._term()]
        while self._peek() == "or":
            self.pos += 1
            parts.append(self._term())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: any(p(t, c, e) for p in parts)

    def _term(self) -> Check:
        parts = [self._factor()]
        while self._peek() == "and":
            self.pos += 1
            parts.append(self._factor())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: all(p(t, c, e) for p in parts)

    def _factor(self) -> Check:
        tok = self._peek()
        if tok is None:
            raise PolicyError("rule ends too early")
        self.pos += 1
        if tok == "not":
            inner = self._factor()
            return lambda t, c, e: not inner(t, c, e)
        if tok == "(":
            inner = self._expr()
            if self._peek() != ")":
                raise PolicyError("missing ')'")
            self.pos += 1
            return inner
        return _atom(tok)


def parse(text: str) -> Check:
    return _Parser(text).parse()


class Enforcer:
    """Evaluates named rules. ``defaults`` come from code; ``policy_file`` may override them."""

    def __init__(self, defaults: Mapping[str, str], policy_file: str = "") -> None:
        self.rules: dict[str, str] = dict(defaults)
        if policy_file and Path(policy_file).is_file():
            self.rules.update(load_file(policy_file))
        self._compiled = {name: parse(rule) for name, rule in self.rules.items()}

    def check_rule(self, name: str, target: Mapping[str, Any], ctx: RequestContext) -> bool:
        check = self._compiled.get(name)
        if check is None:
            return False
        return check(target, ctx, self)

    def authorize(self, name: str, target: Mapping[str, Any], ctx: RequestContext) -> None:
        """Raise ``Forbidden`` unless rule ``name`` allows ``ctx`` on ``target``."""
        if name not in self._compiled:
            raise PolicyError(f"no policy rule named {name!r}")
        if not self.check_rule(name, target, ctx):
            raise exceptions.Forbidden(f"Policy doesn't allow {name} to be performed.")


def load_file(path: str) -> dict[str, str]:
    text = Path(path).read_text()
    data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping of rule names to rules")
    return {str(k): str(v) for k, v in data.items()}
