# mypy: disable-error-code="empty-body"
# NOTE: the methods below are declarations; stratus.messaging.remote writes their bodies.
"""The scheduler's RPC surface (topic ``scheduler``), and the error its one method raises.

Version history:

* 1.0 — initial version: ``select_destinations``.

``NoValidHost`` carries two texts: ``message`` (what a project member may read: counts only)
and ``admin_message`` (the same with host names). On the bus the scheduler answers with a
``NoValidHostReport`` object instead of raising, because a raised error crosses the bus with its
message only; ``SchedulerAPI.select_destinations`` turns the report back into this exception.
"""

from __future__ import annotations

from typing import Any

from stratus.common.exceptions import StratusError
from stratus.messaging import remote
from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.rpc import RpcClient
from stratus.objects.request_spec import NoValidHostReport, RequestSpec, Selection

TOPIC = "scheduler"
VERSION_CAP = "1.0"


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


def _selections(result: Any, _where: str) -> list[Selection]:
    # NOTE: the server answers [NoValidHostReport] rather than raising, so the admin text
    # (host names) survives the bus, which carries only an error's message.
    for item in result:
        if isinstance(item, NoValidHostReport):
            raise NoValidHost.from_report(item)
    return [s for s in result if isinstance(s, Selection)]


class SchedulerAPI(RpcClient):
    def __init__(self, bus: MessageBus, timeout: float | None = None) -> None:
        super().__init__(bus, Target(TOPIC), VERSION_CAP, timeout=timeout)

    @remote.call(reply=_selections)
    def select_destinations(
        self, request_spec: RequestSpec, instance_uuids: list[str]
    ) -> list[Selection]:
        """A host per instance, with resources already claimed for it.

        Raises ``NoValidHost`` (a ``StratusError``) whose ``message`` says which filter
        rejected how many hosts and whose ``admin_message`` adds the host names.
        """
