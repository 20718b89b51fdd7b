"""The compute agent's RPC endpoint (topic ``compute``, server = host name).

One method per method of :class:`stratus.rpcapi.compute.ComputeAPI` (the surface it is served
for, checked when this class is created), each delegating to its operation in
:mod:`stratus.compute.ops`; no business logic here. Casts return nothing; the
operations report progress and failures through the conductor (instance states, faults,
action events).
"""

from __future__ import annotations

from stratus.compute import dataplane
from stratus.compute.ops import build, console, delete, power, reboot, rebuild, resize, snapshot
from stratus.compute.ops.common import AgentEnv
from stratus.messaging.remote import Endpoint
from stratus.objects.console import ConsoleConnectInfo
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.migration import MigrationRef
from stratus.objects.network import VIF
from stratus.rpcapi.compute import ComputeAPI


class ComputeAgent(Endpoint, surface=ComputeAPI):
    def __init__(self, env: AgentEnv) -> None:
        self.env = env

    def build_and_run_instance(
        self, instance: Instance, image: ImageMeta | None, network_info: list[VIF], node: str
    ) -> None:
        build.build_and_run(self.env, instance, image, network_info, node)

    def terminate_instance(self, instance: Instance) -> None:
        delete.terminate(self.env, instance)

    def stop_instance(self, instance: Instance) -> None:
        power.stop(self.env, instance)

    def start_instance(self, instance: Instance) -> None:
        power.start(self.env, instance)

    def reboot_instance(self, instance: Instance, reboot_type: str) -> None:
        reboot.reboot(self.env, instance, reboot_type)

    def pause_instance(self, instance: Instance) -> None:
        power.pause(self.env, instance)

    def unpause_instance(self, instance: Instance) -> None:
        power.unpause(self.env, instance)

    def suspend_instance(self, instance: Instance) -> None:
        power.suspend(self.env, instance)

    def resume_instance(self, instance: Instance) -> None:
        power.resume(self.env, instance)

    def rebuild_instance(self, instance: Instance, image: ImageMeta) -> None:
        rebuild.rebuild(self.env, instance, image)

    def snapshot_instance(self, instance: Instance, image_id: str, auth_token: str) -> None:
        snapshot.snapshot(self.env, instance, image_id, auth_token)

    def get_console_output(self, instance: Instance, length: int | None) -> str:
        return console.get_console_output(self.env, instance, length)

    def prep_resize(self, instance: Instance, new_flavor: Flavor, migration: MigrationRef) -> None:
        resize.prep_resize(self.env, instance, new_flavor, migration)

    def resize_instance(
        self, instance: Instance, new_flavor: Flavor, migration: MigrationRef
    ) -> None:
        resize.resize_instance(self.env, instance, new_flavor, migration)

    def finish_resize(self, instance: Instance, migration: MigrationRef) -> None:
        resize.finish_resize(self.env, instance, migration)

    def confirm_resize(self, instance: Instance, migration: MigrationRef) -> None:
        resize.confirm_resize(self.env, instance, migration)

    def revert_resize(self, instance: Instance, migration: MigrationRef) -> None:
        resize.revert_resize(self.env, instance, migration)

    def finish_revert_resize(self, instance: Instance, migration: MigrationRef) -> None:
        resize.finish_revert_resize(self.env, instance, migration)

    def get_host_uptime(self) -> str:
        return self.env.driver.get_host_uptime()

    def get_vnc_console(self, instance: Instance, console_type: str) -> ConsoleConnectInfo:
        return console.get_vnc_console(self.env, instance, console_type)

    # -- network dataplane (fanouts) -----------------------------------------------------------
    def security_groups_changed(self, security_group_ids: list[str], port_ids: list[str]) -> None:
        dataplane.refresh_security_groups(self.env, security_group_ids, port_ids)

    def networks_changed(self, network_ids: list[str]) -> None:
        dataplane.refresh_networks(self.env, network_ids)
