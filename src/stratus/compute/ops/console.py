"""os-getConsoleOutput (the guest's console log, optionally only its last ``length`` lines)
and the noVNC console (where the instance's VNC server is on this host)."""

from __future__ import annotations

from stratus.common.exceptions import Conflict, Invalid, NotImplementedYet
from stratus.compute.ops.common import AgentEnv
from stratus.objects.console import ConsoleConnectInfo
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


def novnc_base_url(env: AgentEnv) -> str:
    """This host's noVNC page: ``[vnc] novncproxy_base_url`` or
    ``http://<my_ip>:<novncproxy_port>/vnc_auto.html`` (the proxy runs on every compute host)."""
    vnc = env.cfg.vnc
    if vnc.novncproxy_base_url:
        return vnc.novncproxy_base_url
    address = env.cfg.default.my_ip or "127.0.0.1"
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"http://{address}:{vnc.novncproxy_port}/vnc_auto.html"


def get_vnc_console(env: AgentEnv, instance: Instance, console_type: str) -> ConsoleConnectInfo:
    """Nova's answers: 400 "Unavailable console type" when VNC is off here or the driver has
    none, 400 "Invalid console type" for anything but ``novnc``, 409 "not ready" when the
    instance does not run on this host."""
    if not env.cfg.vnc.enabled or not env.driver.capabilities.supports_vnc_console:
        raise Invalid(f"Unavailable console type {console_type}.")
    if console_type != "novnc":
        raise Invalid(f"Invalid console type {console_type}")
    try:
        path = env.driver.get_vnc_console(instance)
    except (InstanceNotFound, NotSupported):
        raise Conflict(f"Instance {instance.uuid} is not ready") from None
    return ConsoleConnectInfo(
        instance_uuid=instance.uuid,
        host=env.host,
        console_type=console_type,
        internal_access_path=str(path),
        access_url_base=novnc_base_url(env),
    )
