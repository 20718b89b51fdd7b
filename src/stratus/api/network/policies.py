"""Default policy rules of the networking API (admin / member / reader), as Neutron's defaults."""

from __future__ import annotations

ADMIN = "rule:admin_only"
OWNER = "rule:admin_or_project_member"
READER = "rule:admin_or_project_reader"

RULES: dict[str, str] = {
    "admin_only": "role:admin",
    "admin_or_project_member": "rule:admin_only or (role:member and project_id:%(project_id)s)",
    "admin_or_project_reader": "rule:admin_only or (role:reader and project_id:%(project_id)s)",
}
