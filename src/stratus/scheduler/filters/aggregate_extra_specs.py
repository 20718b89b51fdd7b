"""AggregateInstanceExtraSpecsFilter: flavor extra specs must match the host's aggregates.

Checks the flavor's unscoped extra specs (``ssd=true``) and those scoped
``aggregate_instance_extra_specs:`` against the metadata of the aggregates the host is in; other
scopes (``hw:``, ``quota:`` …) are for other parts. A spec may use Nova's operators:
``=`` (number at least), ``<in>`` (substring), ``<or>`` (any of), ``s==``, ``s!=``, ``s>=``,
``s<=``, ``s<``, ``s>`` (strings), ``==``, ``!=``, ``>=``, ``<=`` (numbers); plain text must equal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject

SCOPE = "aggregate_instance_extra_specs"

_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "s==": operator.eq,
    "s!=": operator.ne,
    "s>=": operator.ge,
    "s<=": operator.le,
    "s<": operator.lt,
    "s>": operator.gt,
}
_NUMBER_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
}


def _as_float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def matches(value: str, requirement: str) -> bool:
    """Whether one aggregate metadata ``value`` satisfies an extra spec ``requirement``."""
    words = requirement.split()
    if len(words) >= 2 and words[0] == "<or>":
        return value in words[1::2]
    if len(words) >= 2 and words[0] == "<in>":
        return requirement.split(None, 1)[1] in value
    if len(words) == 2 and words[0] in _STRING_OPS:
        return _STRING_OPS[words[0]](value, words[1])
    if len(words) == 2 and words[0] in _NUMBER_OPS:
        have, want = _as_float(value), _as_float(words[1])
        return have is not None and want is not None and _NUMBER_OPS[words[0]](have, want)
    return value == requirement


def wanted_specs(spec: RequestSpec) -> dict[str, str]:
    """The extra specs this filter checks, keyed without their scope."""
    wanted = {}
    for key, requirement in spec.flavor.extra_specs.items():
        scope, sep, name = key.partition(":")
        if not sep:
            wanted[key] = requirement
        elif scope == SCOPE and name:
            wanted[name] = requirement
    return wanted


class AggregateInstanceExtraSpecsFilter(Filter):
    name = "AggregateInstanceExtraSpecsFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        for key, requirement in wanted_specs(spec).items():
            values = host.aggregate_metadata.get(key)
            if not values or not any(matches(v, requirement) for v in values):
                return reject(f"aggregate metadata {key} does not match {requirement!r}")
        return PASS
