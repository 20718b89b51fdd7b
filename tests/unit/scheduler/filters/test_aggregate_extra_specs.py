import pytest
from tests.fixtures.compute_hosts import flavor, spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.filters.aggregate_extra_specs import (
    AggregateInstanceExtraSpecsFilter,
    matches,
)


@pytest.mark.parametrize(
    ("value", "requirement", "expected"),
    [
        ("true", "true", True),
        ("true", "false", False),
        ("ssd,nvme", "<in> nvme", True),
        ("hdd", "<in> nvme", False),
        ("b", "<or> a <or> b", True),
        ("c", "<or> a <or> b", False),
        ("16", "= 8", True),
        ("4", "= 8", False),
        ("8", "== 8", True),
        ("abc", "s== abc", True),
        ("abc", "s!= abc", False),
        ("x", ">= 2", False),
    ],
)
def test_matches(value: str, requirement: str, expected: bool) -> None:
    assert matches(value, requirement) is expected


def test_unscoped_and_scoped_specs_are_checked_other_scopes_ignored() -> None:
    f = AggregateInstanceExtraSpecsFilter()
    fast = host("fast", aggregate_metadata={"ssd": {"true"}})
    slow = host("slow")
    for key in ("ssd", "aggregate_instance_extra_specs:ssd"):
        s = spec(flavor(**{key: "true"}))
        assert f.filter(fast, s).passed
        verdict = f.filter(slow, s)
        assert not verdict.passed
        assert "ssd" in verdict.reason
    s = spec(flavor(**{"hw:cpu_policy": "dedicated", "fake:fail_build": "h1"}))
    assert f.filter(slow, s).passed
