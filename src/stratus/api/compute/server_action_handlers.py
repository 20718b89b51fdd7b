"""The server actions, one small handler each, declared in ``ACTIONS`` (the compute app serves
this registry: ``app.build``)."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import Reply
from stratus.api.compute import server_schemas as sch
from stratus.api.compute import server_views as views
from stratus.api.compute.server_action_registry import ActionCall, ActionRegistry
from stratus.api.compute.servers import access_ip
from stratus.common import exceptions
from stratus.services.compute import actions as power
from stratus.services.compute import consoles, moves
from stratus.services.compute.create import generate_password

S = "os_compute_api:servers"

ACTIONS = ActionRegistry()
action = ACTIONS.action


def _none(name: str) -> Any:
    return lambda _v: sch.null_or_empty(name)


@action("os-start", f"{S}:start", _none("os-start"))
def start(call: ActionCall) -> None:
    power.start(call.api, call.server_id)


@action("os-stop", f"{S}:stop", _none("os-stop"))
def stop(call: ActionCall) -> None:
    power.stop(call.api, call.server_id)


@action("reboot", f"{S}:reboot", lambda _v: sch.reboot())
def reboot(call: ActionCall) -> None:
    power.reboot(call.api, call.server_id, call.arg_dict["type"])


@action("pause", "os_compute_api:os-pause-server:pause", _none("pause"))
def pause(call: ActionCall) -> None:
    power.pause(call.api, call.server_id)


@action("unpause", "os_compute_api:os-pause-server:unpause", _none("unpause"))
def unpause(call: ActionCall) -> None:
    power.unpause(call.api, call.server_id)


@action("suspend", "os_compute_api:os-suspend-server:suspend", _none("suspend"))
def suspend(call: ActionCall) -> None:
    power.suspend(call.api, call.server_id)


@action("resume", "os_compute_api:os-suspend-server:resume", _none("resume"))
def resume(call: ActionCall) -> None:
    power.resume(call.api, call.server_id)


@action("lock", "os_compute_api:os-lock-server:lock", sch.lock)
def lock(call: ActionCall) -> None:
    reason = call.arg_dict.get("locked_reason") if call.version >= (2, 73) else None
    power.lock(call.api, call.server_id, reason)


@action("unlock", "os_compute_api:os-lock-server:unlock", _none("unlock"))
def unlock(call: ActionCall) -> None:
    target = call.api.target(call.server_id)
    override = call.req.allowed("os_compute_api:os-lock-server:unlock:unlock_override", target)
    power.unlock(call.api, call.server_id, override)


@action(
    "os-resetState", "os_compute_api:os-admin-actions:reset_state", lambda _v: sch.reset_state()
)
def reset_state(call: ActionCall) -> None:
    power.reset_state(call.api, call.server_id, call.arg_dict["state"])


@action("os-getConsoleOutput", "os_compute_api:os-console-output", lambda _v: sch.console_output())
def console_output(call: ActionCall) -> Reply:
    raw = call.arg_dict.get("length")
    length = None if raw is None else int(raw)
    if length is not None and length < -1:
        raise exceptions.Invalid("Invalid length: must be -1 or a non-negative integer.")
    output = power.console_output(call.api, call.server_id, None if length == -1 else length)
    return Reply({"output": output}, 200)


@action("changePassword", "os_compute_api:os-admin-password", lambda _v: sch.change_password())
def change_password(call: ActionCall) -> None:
    power.change_password(call.api, call.server_id)


@action("forceDelete", "os_compute_api:os-deferred-delete:force", _none("forceDelete"))
def force_delete(call: ActionCall) -> None:
    call.api.delete(call.server_id)


@action("restore", "os_compute_api:os-deferred-delete:restore", _none("restore"))
def restore(call: ActionCall) -> None:
    power.restore(call.api, call.server_id)


@action(
    "os-getVNCConsole",
    "os_compute_api:os-remote-consoles",
    lambda _v: sch.vnc_console("os-getVNCConsole"),
    max_version=(2, 5),
)
def vnc_console(call: ActionCall) -> Reply:
    console_type = call.arg_dict["type"]
    url = consoles.remote_console(call.api, call.server_id, "vnc", console_type)
    return Reply({"console": {"type": console_type, "url": url}}, 200)


# -- resize, migrate, rebuild, snapshot -----------------------------------------------------
@action("resize", f"{S}:resize", lambda _v: sch.resize())
def resize(call: ActionCall) -> None:
    args = call.arg_dict
    disk = args.get("OS-DCF:diskConfig")
    moves.resize(
        call.api, call.server_id, str(args["flavorRef"]), None if disk is None else disk == "AUTO"
    )


@action("confirmResize", f"{S}:confirm_resize", _none("confirmResize"))
def confirm_resize(call: ActionCall) -> Reply:
    moves.confirm_resize(call.api, call.server_id)
    return Reply(None, 204)


@action("revertResize", f"{S}:revert_resize", _none("revertResize"))
def revert_resize(call: ActionCall) -> None:
    moves.revert_resize(call.api, call.server_id)


@action("migrate", "os_compute_api:os-migrate-server:migrate", sch.migrate)
def migrate(call: ActionCall) -> None:
    host = call.arg_dict.get("host") if call.version >= (2, 56) else None
    moves.migrate(call.api, call.server_id, host)


_REBUILD_COLUMNS = {
    "name": "display_name",
    "description": "display_description",
    "accessIPv4": "access_ip_v4",
    "accessIPv6": "access_ip_v6",
    "user_data": "user_data",
    "key_name": "key_name",
    "metadata": "metadata",
}


@action("rebuild", f"{S}:rebuild", sch.rebuild)
def rebuild(call: ActionCall) -> Reply:
    args = call.arg_dict
    changes: dict[str, Any] = {col: args[f] for f, col in _REBUILD_COLUMNS.items() if f in args}
    for column in ("access_ip_v4", "access_ip_v6"):
        if column in changes:
            changes[column] = access_ip(changes[column])
    if "OS-DCF:diskConfig" in args:
        changes["auto_disk_config"] = args["OS-DCF:diskConfig"] == "AUTO"
    moves.rebuild(call.api, call.server_id, args["imageRef"], changes)
    opts = views.ViewOptions.of(call.req)
    record = call.api.show(call.server_id, host_status=opts.host_status, server_groups=True)
    password = args.get("adminPass") or generate_password()
    return Reply({"server": views.rebuilt(opts, record, password)}, 202)


@action("createImage", f"{S}:create_image", lambda _v: sch.create_image())
def create_image(call: ActionCall) -> Reply:
    args = call.arg_dict
    image_id = moves.create_image(
        call.api, call.server_id, args["name"], dict(args.get("metadata") or {})
    )
    return _image_reply(call, image_id)


def _image_reply(call: ActionCall, image_id: str) -> Reply:
    """``{"image_id"}`` from 2.45, before that an empty 202 with the image's Location."""
    if call.version >= (2, 45):
        return Reply({"image_id": image_id}, 202)
    cfg = call.api.cfg
    location = cfg.endpoint_url(cfg.image.port, f"/v2/images/{image_id}")
    return Reply(None, 202, headers={"Location": location})


# -- security groups (the network service changes the ports) ---------------------------------
@action(
    "addSecurityGroup",
    "os_compute_api:os-security-groups:add",
    lambda _v: sch.security_group("addSecurityGroup"),
)
def add_security_group(call: ActionCall) -> None:
    power.security_group(call.api, call.server_id, call.arg_dict["name"], add=True)


@action(
    "removeSecurityGroup",
    "os_compute_api:os-security-groups:remove",
    lambda _v: sch.security_group("removeSecurityGroup"),
)
def remove_security_group(call: ActionCall) -> None:
    power.security_group(call.api, call.server_id, call.arg_dict["name"], add=False)


@action("createBackup", "os_compute_api:os-create-backup", lambda _v: sch.create_backup())
def create_backup(call: ActionCall) -> Reply:
    args = call.arg_dict
    image_id = moves.create_backup(
        call.api,
        call.server_id,
        args["name"],
        args["backup_type"],
        int(args["rotation"]),
        dict(args.get("metadata") or {}),
    )
    return _image_reply(call, image_id)


@action(
    "injectNetworkInfo",
    "os_compute_api:os-admin-actions:inject_network_info",
    _none("injectNetworkInfo"),
)
def inject_network_info(call: ActionCall) -> None:
    """Guests of Stratus drivers take their addresses from DHCP, so there is nothing to
    inject; the action is accepted (after the usual checks) as Nova's libvirt driver does."""
    power.inject_network_info(call.api, call.server_id)
