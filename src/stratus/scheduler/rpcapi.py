"""Client side of the scheduler's RPC interface (topic ``scheduler``).

Version history:

* 1.0 — initial version: ``select_destinations``.
"""

from __future__ import annotations

from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.rpc import RpcClient
from stratus.objects.request_spec import NoValidHostReport, RequestSpec, Selection
from stratus.scheduler.exceptions import NoValidHost

TOPIC = "scheduler"
VERSION_CAP = "1.0"


class SchedulerAPI(RpcClient):
    def __init__(self, bus: MessageBus, timeout: float | None = None) -> None:
        super().__init__(bus, Target(TOPIC), VERSION_CAP, timeout=timeout)

    def select_destinations(
        self, request_spec: RequestSpec, instance_uuids: list[str]
    ) -> list[Selection]:
        """A host per instance, with resources already claimed for it.

        Raises ``stratus.scheduler.exceptions.NoValidHost`` (a ``StratusError``) whose
        ``message`` says which filter rejected how many hosts and whose ``admin_message`` adds
        the host names.
        """
        result = self.call(
            "select_destinations", request_spec=request_spec, instance_uuids=instance_uuids
        )
        # NOTE: the server answers [NoValidHostReport] rather than raising, so the admin text
        # (host names) survives the bus, which carries only an error's message.
        for item in result:
            if isinstance(item, NoValidHostReport):
                raise NoValidHost.from_report(item)
        return [s for s in result if isinstance(s, Selection)]
