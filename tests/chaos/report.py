"""The fault table (like os-faults' reports): one row per fault test, printed at the end of the
run and written to ``artifacts/chaos-report.md``. Timings are measured, never asserted."""

from __future__ import annotations

import dataclasses
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "chaos-report.md"
HEADER = (
    "| fault | injected at (s) | downtime (s) | time to recover (s) | instances affected "
    "| outcome | invariant violations |"
)


@dataclasses.dataclass
class Row:
    fault: str
    injected_at: float = 0.0
    downtime: float = 0.0
    recover: float | None = None  # None: not recovered within the bound
    affected: int = 0
    active: int = 0
    error: int = 0
    other: str = ""
    violations: list[str] = dataclasses.field(default_factory=list)

    def markdown(self) -> str:
        recover = f"{self.recover:.1f}" if self.recover is not None else "NOT within bound"
        outcome = f"{self.active} ACTIVE / {self.error} ERROR" + (
            f" / {self.other}" if self.other else ""
        )
        broken = str(len(self.violations)) if self.violations else "0"
        return (
            f"| {self.fault} | {self.injected_at:.1f} | {self.downtime:.1f} | {recover} "
            f"| {self.affected} | {outcome} | {broken} |"
        )


ROWS: list[Row] = []


def render() -> str:
    lines = [HEADER, "|" + "---|" * 7]
    lines += [row.markdown() for row in ROWS]
    details = [f"- {row.fault}: {v}" for row in ROWS for v in row.violations[:15]]
    if details:
        lines += ["", "Violations:", *details]
    return "\n".join(lines) + "\n"


def write() -> None:
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("# Fault suite (tests/chaos)\n\n" + render())
