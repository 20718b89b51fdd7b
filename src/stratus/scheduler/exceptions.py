"""Scheduler errors.

``NoValidHost`` carries two texts: ``message`` (what a project member may read: counts only)
and ``admin_message`` (the same with host names). On the bus the scheduler answers with a
``NoValidHostReport`` object instead of raising, because a raised error crosses the bus with its
message only; ``SchedulerAPI.select_destinations`` turns the report back into this exception.
"""

from __future__ import annotations

from stratus.common.exceptions import StratusError
from stratus.objects.request_spec import NoValidHostReport


class NoValidHost(StratusError):
    """Nothing fits the request; ``message`` says which filter rejected how many hosts."""

    message = "No valid host was found."

    def __init__(self, message: str | None = None, admin_message: str | None = None) -> None:
        super().__init__(message)
        self.admin_message = admin_message or self.message

    def report(self) -> NoValidHostReport:
        return NoValidHostReport(message=self.message, admin_message=self.admin_message)

    @classmethod
    def from_report(cls, report: NoValidHostReport) -> NoValidHost:
        return cls(report.message, report.admin_message)
