"""Default policy rules of the servers API, named as Nova's (``os_compute_api:...``).

Nova's defaults: project readers may look, project members may act, admins may do anything
plus the admin-only operations (reset state, migrate, forcing a host, other projects' servers,
host filters, ``OS-EXT-SRV-ATTR:*``, fault details, host status). Targets carry the server's
``project_id`` (the caller's own project for list operations).
"""

from __future__ import annotations

ADMIN = "rule:admin_api"
OWNER = "rule:project_member_or_admin"
READER = "rule:project_reader_or_admin"

S = "os_compute_api:servers"

RULES: dict[str, str] = {
    f"{S}:index": READER,
    f"{S}:detail": READER,
    f"{S}:index:get_all_tenants": ADMIN,
    f"{S}:detail:get_all_tenants": ADMIN,
    f"{S}:allow_all_filters": ADMIN,
    f"{S}:show": READER,
    f"{S}:show:host_status": ADMIN,
    f"{S}:create": OWNER,
    f"{S}:create:forced_host": ADMIN,
    f"{S}:create:requested_destination": ADMIN,
    f"{S}:create:attach_network": OWNER,
    f"{S}:delete": OWNER,
    f"{S}:update": OWNER,
    f"{S}:confirm_resize": OWNER,
    f"{S}:revert_resize": OWNER,
    f"{S}:reboot": OWNER,
    f"{S}:resize": OWNER,
    f"{S}:rebuild": OWNER,
    f"{S}:create_image": OWNER,
    f"{S}:start": OWNER,
    f"{S}:stop": OWNER,
    "os_compute_api:os-extended-server-attributes": ADMIN,
    "os_compute_api:os-pause-server:pause": OWNER,
    "os_compute_api:os-pause-server:unpause": OWNER,
    "os_compute_api:os-suspend-server:suspend": OWNER,
    "os_compute_api:os-suspend-server:resume": OWNER,
    "os_compute_api:os-lock-server:lock": OWNER,
    "os_compute_api:os-lock-server:unlock": OWNER,
    "os_compute_api:os-lock-server:unlock:unlock_override": ADMIN,
    "os_compute_api:os-admin-actions:reset_state": ADMIN,
    "os_compute_api:os-admin-actions:inject_network_info": ADMIN,
    "os_compute_api:os-create-backup": OWNER,
    "os_compute_api:os-server-password:show": OWNER,
    "os_compute_api:os-server-password:clear": OWNER,
    "os_compute_api:os-migrate-server:migrate": ADMIN,
    "os_compute_api:os-console-output": OWNER,
    "os_compute_api:os-remote-consoles": OWNER,
    "os_compute_api:os-admin-password": OWNER,
    "os_compute_api:os-deferred-delete:force": OWNER,
    "os_compute_api:os-deferred-delete:restore": OWNER,
    "os_compute_api:os-security-groups:add": OWNER,
    "os_compute_api:os-security-groups:remove": OWNER,
    "os_compute_api:os-instance-actions:list": READER,
    "os_compute_api:os-instance-actions:show": READER,
    "os_compute_api:os-instance-actions:events": ADMIN,
    "os_compute_api:os-instance-actions:events:details": ADMIN,
    "os_compute_api:server-metadata:index": READER,
    "os_compute_api:server-metadata:show": READER,
    "os_compute_api:server-metadata:create": OWNER,
    "os_compute_api:server-metadata:update": OWNER,
    "os_compute_api:server-metadata:update_all": OWNER,
    "os_compute_api:server-metadata:delete": OWNER,
    "os_compute_api:os-server-tags:index": READER,
    "os_compute_api:os-server-tags:show": READER,
    "os_compute_api:os-server-tags:update": OWNER,
    "os_compute_api:os-server-tags:update_all": OWNER,
    "os_compute_api:os-server-tags:delete": OWNER,
    "os_compute_api:os-server-tags:delete_all": OWNER,
    "os_compute_api:ips:index": READER,
    "os_compute_api:ips:show": READER,
}
