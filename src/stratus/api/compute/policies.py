"""Default policy rules of the compute API (admin / member / reader), as Nova's defaults."""

from __future__ import annotations

ADMIN = "rule:admin_api"
OWNER = "rule:project_member_or_admin"
READER = "rule:project_reader_or_admin"

RULES: dict[str, str] = {
    "admin_api": "role:admin",
    "project_member_or_admin": "rule:admin_api or (role:member and project_id:%(project_id)s)",
    "project_reader_or_admin": "rule:admin_api or (role:reader and project_id:%(project_id)s)",
}
