"""Default policy rules of the compute API (admin / member / reader), as Nova's defaults."""

from __future__ import annotations

ADMIN = "rule:admin_api"
OWNER = "rule:project_member_or_admin"
READER = "rule:project_reader_or_admin"

RULES: dict[str, str] = {
    "admin_api": "role:admin",
    "project_member_or_admin": "rule:admin_api or (role:member and project_id:%(project_id)s)",
    "project_reader_or_admin": "rule:admin_api or (role:reader and project_id:%(project_id)s)",
    # -- flavors, keypairs, limits, quotas, zones, aggregates, server groups, services,
    # hypervisors, migrations (targets: project_id / user_id of the resource)
    "os_compute_api:os-flavor-manage:create": ADMIN,
    "os_compute_api:os-flavor-manage:update": ADMIN,
    "os_compute_api:os-flavor-manage:delete": ADMIN,
    "os_compute_api:os-flavor-extra-specs:index": "@",
    "os_compute_api:os-flavor-extra-specs:show": "@",
    "os_compute_api:os-flavor-extra-specs:create": ADMIN,
    "os_compute_api:os-flavor-extra-specs:update": ADMIN,
    "os_compute_api:os-flavor-extra-specs:delete": ADMIN,
    "os_compute_api:os-flavor-access": ADMIN,
    "os_compute_api:os-flavor-access:add_tenant_access": ADMIN,
    "os_compute_api:os-flavor-access:remove_tenant_access": ADMIN,
    "os_compute_api:os-keypairs:index": "rule:admin_api or user_id:%(user_id)s",
    "os_compute_api:os-keypairs:create": "rule:admin_api or user_id:%(user_id)s",
    "os_compute_api:os-keypairs:show": "rule:admin_api or user_id:%(user_id)s",
    "os_compute_api:os-keypairs:delete": "rule:admin_api or user_id:%(user_id)s",
    "os_compute_api:limits": "@",
    "os_compute_api:limits:other_project": ADMIN,
    "os_compute_api:os-quota-sets:show": READER,
    "os_compute_api:os-quota-sets:detail": READER,
    "os_compute_api:os-quota-sets:defaults": "@",
    "os_compute_api:os-quota-sets:update": ADMIN,
    "os_compute_api:os-quota-sets:delete": ADMIN,
    "os_compute_api:os-quota-class-sets:show": ADMIN,
    "os_compute_api:os-quota-class-sets:update": ADMIN,
    "os_compute_api:os-availability-zone:list": "@",
    "os_compute_api:os-availability-zone:detail": ADMIN,
    "os_compute_api:os-aggregates:index": ADMIN,
    "os_compute_api:os-aggregates:create": ADMIN,
    "os_compute_api:os-aggregates:show": ADMIN,
    "os_compute_api:os-aggregates:update": ADMIN,
    "os_compute_api:os-aggregates:delete": ADMIN,
    "os_compute_api:os-aggregates:add_host": ADMIN,
    "os_compute_api:os-aggregates:remove_host": ADMIN,
    "os_compute_api:os-aggregates:set_metadata": ADMIN,
    "os_compute_api:os-server-groups:create": OWNER,
    "os_compute_api:os-server-groups:delete": OWNER,
    "os_compute_api:os-server-groups:index": READER,
    "os_compute_api:os-server-groups:index:all_projects": ADMIN,
    "os_compute_api:os-server-groups:show": READER,
    "os_compute_api:os-services:list": ADMIN,
    "os_compute_api:os-services:update": ADMIN,
    "os_compute_api:os-services:delete": ADMIN,
    "os_compute_api:os-hypervisors:list": ADMIN,
    "os_compute_api:os-hypervisors:list-detail": ADMIN,
    "os_compute_api:os-hypervisors:show": ADMIN,
    "os_compute_api:os-hypervisors:statistics": ADMIN,
    "os_compute_api:os-hypervisors:uptime": ADMIN,
    "os_compute_api:os-hypervisors:search": ADMIN,
    "os_compute_api:os-hypervisors:servers": ADMIN,
    "os_compute_api:os-migrations:index": ADMIN,
    # -- security-group proxy (os-security-groups, <= 2.35)
    "os_compute_api:os-security-groups:get": READER,
    "os_compute_api:os-security-groups:create": OWNER,
}

# NOTE: the servers API keeps its (many) rules in its own module.
from stratus.api.compute.server_policies import RULES as _SERVER_RULES  # noqa: E402

RULES.update(_SERVER_RULES)
