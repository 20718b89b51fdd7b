"""Pick the virt driver of a compute agent by name (``--virt`` / ``[compute] virt_driver``).

Drivers are imported lazily, so a host running the fake driver never loads QEMU code (and the
other way round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stratus.common.config import Config, ConfigError
from stratus.virt.driver import VirtDriver

if TYPE_CHECKING:
    from stratus.virt.qemu.disks import Fetcher
    from stratus.virt.qemu.vifs import VifPlugger

DRIVERS = ("fake", "qemu")


def load(
    name: str,
    cfg: Config,
    *,
    fetch_image: Fetcher | None = None,
    plugger: VifPlugger | None = None,
) -> VirtDriver:
    """A new, not yet initialised driver (the caller runs ``init_host``).

    ``fetch_image`` (image data from the image service) and ``plugger`` (tap devices from the
    network backend) are what the qemu driver needs to build instances; the fake driver needs
    neither. Raises ``ConfigError`` naming the known drivers when ``name`` is not one of them.
    """
    if name == "fake":
        from stratus.virt.fake import FakeDriver

        return FakeDriver(cfg.fake_driver, host_ip=cfg.default.my_ip or None)
    if name == "qemu":
        from stratus.virt.qemu.driver import QemuDriver

        return QemuDriver.from_config(cfg, fetch_image=fetch_image, plugger=plugger)
    raise ConfigError(
        f"unknown virt driver {name!r}: choose one of {', '.join(DRIVERS)} "
        "(--virt or [compute] virt_driver)"
    )


__all__ = ["DRIVERS", "load"]
