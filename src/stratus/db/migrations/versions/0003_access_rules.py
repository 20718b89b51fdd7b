"""access rules

Application-credential access rules move from a JSON column of ``application_credentials`` to
their own table (they outlive the credentials that created them), with a link table between the
two. Existing rules are carried over; rules that lack a service, path or method, or whose fields
do not fit the new columns, cannot be stored and are dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:24:39.209236
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_app_creds = sa.table(
    "application_credentials",
    sa.column("id", sa.String(64)),
    sa.column("user_id", sa.String(64)),
    sa.column("access_rules", sa.JSON()),
)
_rules = sa.table(
    "access_rules",
    sa.column("id", sa.Integer()),
    sa.column("external_id", sa.String(64)),
    sa.column("user_id", sa.String(64)),
    sa.column("service", sa.String(64)),
    sa.column("path", sa.String(255)),
    sa.column("method", sa.String(16)),
)
_links = sa.table(
    "application_credential_access_rules",
    sa.column("application_credential_id", sa.String(64)),
    sa.column("access_rule_id", sa.Integer()),
)
_LIMITS = {"id": 64, "service": 64, "path": 255, "method": 16}


def _valid(rule: Any) -> bool:
    return isinstance(rule, dict) and all(
        isinstance(rule.get(k), str) and 0 < len(rule[k]) <= n for k, n in _LIMITS.items()
    )


def _plan(
    creds: Iterable[tuple[str, str, Any]],
) -> tuple[list[dict[str, str]], list[tuple[str, str, str]]]:
    """The rules to insert and the links as (credential id, user id, rule external id).

    One rule per user and service/path/method (the first id seen wins); an id met again on a
    different rule of the same user gets a fresh one.
    """
    by_key: dict[tuple[str, str, str, str], dict[str, str]] = {}
    by_id: dict[tuple[str, str], dict[str, str]] = {}
    links: set[tuple[str, str, str]] = set()
    for cred_id, user_id, stored in creds:
        for rule in stored if isinstance(stored, list) else []:
            if not _valid(rule):
                continue
            key = (user_id, rule["service"], rule["path"], rule["method"])
            row = by_key.get(key)
            if row is None:
                ext = rule["id"] if (user_id, rule["id"]) not in by_id else uuid.uuid4().hex
                row = {"external_id": ext, "user_id": user_id}
                row.update({k: rule[k] for k in ("service", "path", "method")})
                by_key[key] = by_id[(user_id, ext)] = row
            links.add((cred_id, user_id, row["external_id"]))
    return list(by_key.values()), sorted(links)


def upgrade() -> None:
    bind = op.get_bind()
    # NOTE: read the JSON before the column goes, and drop it before any table references
    # application_credentials: on SQLite the batch rebuild drops the table, and with foreign keys
    # on that would cascade into the link table.
    rules, links = _plan(
        bind.execute(
            sa.select(_app_creds.c.id, _app_creds.c.user_id, _app_creds.c.access_rules)
        ).all()
    )
    with op.batch_alter_table("application_credentials", schema=None) as batch_op:
        batch_op.drop_column("access_rules")

    op.create_table(
        "access_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_access_rules_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_rules")),
        sa.UniqueConstraint(
            "user_id", "external_id", name=op.f("uq_access_rules_user_id_external_id")
        ),
        sa.UniqueConstraint(
            "user_id",
            "service",
            "path",
            "method",
            name=op.f("uq_access_rules_user_id_service_path_method"),
        ),
    )
    with op.batch_alter_table("access_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_rules_external_id"), ["external_id"], unique=False
        )

    op.create_table(
        "application_credential_access_rules",
        sa.Column("application_credential_id", sa.String(length=64), nullable=False),
        sa.Column("access_rule_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_rule_id"], ["access_rules.id"], name="fk_app_cred_access_rules_rule"
        ),
        sa.ForeignKeyConstraint(
            ["application_credential_id"],
            ["application_credentials.id"],
            name="fk_app_cred_access_rules_cred",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "application_credential_id",
            "access_rule_id",
            name=op.f("pk_application_credential_access_rules"),
        ),
    )
    with op.batch_alter_table("application_credential_access_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_credential_access_rules_access_rule_id"),
            ["access_rule_id"],
            unique=False,
        )

    if rules:
        # NOTE: ids are left to the database (an explicit id would not move a PostgreSQL
        # sequence) and read back by (user, external id).
        bind.execute(sa.insert(_rules), rules)
        ids = {
            (user_id, external_id): rule_id
            for rule_id, user_id, external_id in bind.execute(
                sa.select(_rules.c.id, _rules.c.user_id, _rules.c.external_id)
            )
        }
        bind.execute(
            sa.insert(_links),
            [
                {"application_credential_id": cred_id, "access_rule_id": ids[(user_id, ext)]}
                for cred_id, user_id, ext in links
            ],
        )


def downgrade() -> None:
    bind = op.get_bind()
    query = (
        sa.select(
            _links.c.application_credential_id,
            _rules.c.external_id,
            _rules.c.service,
            _rules.c.path,
            _rules.c.method,
        )
        .join(_rules, _rules.c.id == _links.c.access_rule_id)
        .order_by(_rules.c.id)
    )
    carried: dict[str, list[dict[str, str]]] = {}
    for cred_id, ext, service, path, method in bind.execute(query):
        carried.setdefault(cred_id, []).append(
            {"id": ext, "service": service, "path": path, "method": method}
        )

    with op.batch_alter_table("application_credential_access_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_credential_access_rules_access_rule_id"))
    op.drop_table("application_credential_access_rules")
    with op.batch_alter_table("access_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_rules_external_id"))
    op.drop_table("access_rules")

    # NOTE: added nullable, filled, then made NOT NULL: MySQL has no defaults for JSON columns.
    with op.batch_alter_table("application_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_rules", sa.JSON(), nullable=True))
    for (cred_id,) in bind.execute(sa.select(_app_creds.c.id)).all():
        bind.execute(
            sa.update(_app_creds)
            .where(_app_creds.c.id == cred_id)
            .values(access_rules=carried.get(cred_id, []))
        )
    with op.batch_alter_table("application_credentials", schema=None) as batch_op:
        batch_op.alter_column("access_rules", existing_type=sa.JSON(), nullable=False)
