"""os-getConsoleOutput: the guest's console log, optionally only its last ``length`` lines."""

from __future__ import annotations

from stratus.common.exceptions import Conflict, NotImplementedYet
from stratus.compute.ops.common import AgentEnv
from stratus.objects.instance import Instance
from stratus.virt.driver import InstanceNotFound, NotSupported


def tail(text: str, length: int | None) -> str:
    """The last ``length`` lines of ``text`` (all of it for ``None``; nothing for 0), as Nova."""
    if length is None:
        return text
    if length <= 0:
        return ""
    return "\n".join(text.split("\n")[-length:])


def get_console_output(env: AgentEnv, instance: Instance, length: int | None) -> str:
    """Raises ``NotImplementedYet`` (501) when the driver has no console log and ``Conflict``
    (409) when the hypervisor does not have the instance."""
    try:
        output = env.driver.get_console_output(instance)
    except NotSupported:
        raise NotImplementedYet(
            f"The {env.driver.hypervisor_type} hypervisor on host {env.host} does not provide "
            "console output."
        ) from None
    except InstanceNotFound:
        raise Conflict(
            f"Instance {instance.uuid} is not running on host {env.host}; "
            "no console output is available."
        ) from None
    return tail(output, length)
