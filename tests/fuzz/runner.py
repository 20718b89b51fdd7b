"""Run schemathesis against one service of a live cloud as one caller, and count what happened.

Stateless and bounded: every operation of the published document (``api-ref/openapi``) gets
``EXAMPLES`` generated requests (positive and negative data), with a fixed seed
(``derandomize``) and only the explicit and generate phases (no shrinking, whose time is
unbounded). Every answer is checked for: no 5xx (``not_a_server_error``), a body that matches
the document (``response_schema_conformance``: success bodies where documented, every 4xx/5xx an
OpenStack fault), and an answer within ``HANG_SECONDS`` (scaled).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from stratus.api.compute import openapi_bodies
from tests.fixtures.waiting import scaled

API_REF = Path(__file__).resolve().parents[2] / "api-ref" / "openapi"
EXAMPLES = int(os.environ.get("STRATUS_FUZZ_EXAMPLES", "30"))
# NOTE: CI runs the fixed (derandomized) examples; a seed explores others, reproducibly.
SEED = os.environ.get("STRATUS_FUZZ_SEED", "").strip()
HANG_SECONDS = 30.0
# NOTE: the compute document shows one microversion's bodies, so the fuzzer speaks that one.
HEADERS = {"OpenStack-API-Version": "compute {}.{}".format(*openapi_bodies.DOCUMENTED)}

Skip = Callable[[str, str], bool]

# NOTE: Glance's JSON Patch media types are JSON on the wire.
schemathesis.serializer.alias(
    [
        "application/openstack-images-v2.1-json-patch",
        "application/openstack-images-v2.0-json-patch",
    ],
    "application/json",
)


@dataclasses.dataclass
class Tally:
    """What one service+role run did."""

    service: str
    role: str
    operations: int = 0
    requests: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.service:<9} {self.role:<7} operations={self.operations:<4} "
            f"requests={self.requests:<5} failures={len(self.failures)}"
        )


# NOTE: every run's tally, for the summary conftest.py prints at the end of the session
TALLIES: list[Tally] = []


def load(service: str, base_url: str) -> Any:
    """The published document of ``service``, pointed at ``base_url``."""
    schema = schemathesis.openapi.from_path(API_REF / f"{service}.yaml")
    schema.config.update(base_url=base_url)
    return schema


def _strategy(operation: Any, seeds: Mapping[str, str]) -> st.SearchStrategy[Any]:
    """Positive and negative data with generated ids, plus positive data aimed at the seeded
    objects (``conftest.seeds``) where the path names them (DELETE aside)."""
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    options = [operation.as_strategy(generation_mode=m) for m in modes]
    names = re.findall(r"{([^}]+)}", operation.path)
    # NOTE: a DELETE aimed at a seed would leave every later operation only 404s to fuzz
    if operation.method.upper() != "DELETE" and names and all(n in seeds for n in names):
        fixed = {n: seeds[n] for n in names}
        options.append(operation.as_strategy(path_parameters=fixed))
    return st.one_of(*options)


def _exchange(case: Any, token: str, tally: Tally) -> None:
    tally.requests += 1
    where = f"{case.method} {case.formatted_path}"
    headers = dict(HEADERS, **{"X-Auth-Token": token})
    try:
        response = case.call(headers=headers, timeout=scaled(HANG_SECONDS))
    except requests.Timeout:
        tally.failures.append(f"{where}: no answer within {scaled(HANG_SECONDS):.0f} s")
        return
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    except (FailureGroup, Failure, AssertionError) as failure:
        first = [ln.strip() for ln in str(failure).strip().splitlines() if ln.strip()][:8]
        tally.failures.append(f"{where} -> {response.status_code}: {' | '.join(first)}")


def fuzz_operation(operation: Any, token: str, tally: Tally, seeds: Mapping[str, str]) -> None:
    """``EXAMPLES`` generated requests to ``operation``; failures are counted, not raised."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=not SEED,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, seeds))
    def run(case: Any) -> None:
        _exchange(case, token, tally)

    if SEED:
        run = seed(int(SEED))(run)
    run()


def fuzz(schema: Any, token: str, tally: Tally, skip: Skip, seeds: Mapping[str, str]) -> Tally:
    """Fuzz every operation of ``schema`` but those ``skip(method, path)`` excludes."""
    TALLIES.append(tally)
    for result in schema.get_all_operations():
        operation = result.ok()
        if skip(operation.method.upper(), operation.path):
            continue
        tally.operations += 1
        fuzz_operation(operation, token, tally, seeds)
    return tally
