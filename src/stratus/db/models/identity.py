"""Identity tables: domains, projects, users, groups, roles, assignments, catalog, credentials,
application credentials and their access rules.

Ids are Keystone-style 32-hex strings (``default`` for the Default domain). Names that Keystone
treats case-insensitively keep a lower-cased twin column carrying the unique constraint, so the
rule holds the same on SQLite, PostgreSQL and MySQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stratus.db.models.base import Base, DateTime, Timestamps

ID = sa.String(64)
NAME = sa.String(255)


class Domain(Base, Timestamps):
    __tablename__ = "domains"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    name_key: Mapped[str] = mapped_column(NAME, nullable=False, unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class Project(Base, Timestamps):
    __tablename__ = "projects"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name_key"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    name_key: Mapped[str] = mapped_column(NAME, nullable=False)
    domain_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("domains.id"), nullable=False, index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ID, sa.ForeignKey("projects.id"), nullable=True)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class User(Base, Timestamps):
    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name_key"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    name_key: Mapped[str] = mapped_column(NAME, nullable=False)
    domain_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("domains.id"), nullable=False, index=True
    )
    default_project_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    email: Mapped[str | None] = mapped_column(NAME, nullable=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    password_created_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    password_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Keystone's local_user columns: failed password checks in a row, and when the last one was
    # (``[security_compliance]`` lockout).
    failed_auth_count: Mapped[int] = mapped_column(
        sa.Integer, default=0, server_default="0", nullable=False
    )
    failed_auth_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class Group(Base, Timestamps):
    __tablename__ = "groups"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name_key"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    name_key: Mapped[str] = mapped_column(NAME, nullable=False)
    domain_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("domains.id"), nullable=False, index=True
    )
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Role(Base, Timestamps):
    __tablename__ = "roles"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name_key"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    name_key: Mapped[str] = mapped_column(NAME, nullable=False)
    # NOTE: global roles use "" (not NULL) so the unique constraint covers them on every backend.
    domain_id: Mapped[str] = mapped_column(ID, default="", nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class ImpliedRole(Base):
    __tablename__ = "implied_roles"
    prior_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    implied_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )


class Assignment(Base):
    """A role granted to a user or group on a project, a domain or the system (``all``)."""

    __tablename__ = "assignments"
    actor_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # user | group
    actor_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    target_type: Mapped[str] = mapped_column(
        sa.String(16), primary_key=True
    )  # project|domain|system
    target_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    inherited: Mapped[bool] = mapped_column(sa.Boolean, default=False, primary_key=True)


class Region(Base, Timestamps):
    __tablename__ = "regions"
    id: Mapped[str] = mapped_column(NAME, primary_key=True)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    parent_region_id: Mapped[str | None] = mapped_column(
        NAME, sa.ForeignKey("regions.id"), nullable=True
    )
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class Service(Base, Timestamps):
    __tablename__ = "services"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(NAME, nullable=False, index=True)
    name: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class Endpoint(Base, Timestamps):
    __tablename__ = "endpoints"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True
    )
    interface: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    url: Mapped[str] = mapped_column(sa.Text, nullable=False)
    region_id: Mapped[str | None] = mapped_column(NAME, sa.ForeignKey("regions.id"), nullable=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class Credential(Base, Timestamps):
    """``/v3/credentials``: the blob is stored encrypted (Fernet, credential key repository)."""

    __tablename__ = "credentials"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    project_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    type: Mapped[str] = mapped_column(NAME, nullable=False)
    encrypted_blob: Mapped[str] = mapped_column(sa.Text, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class ApplicationCredential(Base, Timestamps):
    __tablename__ = "application_credentials"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    system: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    unrestricted: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    role_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    access_rules: Mapped[list[AccessRule]] = relationship(
        secondary="application_credential_access_rules", order_by="AccessRule.id", lazy="selectin"
    )


class AccessRule(Base):
    """What an application credential may call: one service type, URL path and HTTP method.

    Rules belong to a user and outlive the credentials that created them, so a later credential
    can reuse one; a rule is deleted only on request and only once no credential uses it.
    """

    __tablename__ = "access_rules"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "external_id"),
        sa.UniqueConstraint("user_id", "service", "path", "method"),
    )
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # NOTE: the id the API shows; unique per user only, as Keystone has it.
    external_id: Mapped[str] = mapped_column(ID, nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    service: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)


class ApplicationCredentialAccessRule(Base):
    """Which access rules an application credential carries.

    Deleting the credential drops its links; the access rule side has no cascade, so a rule in
    use cannot be deleted (the database refuses, the service checks first).
    """

    __tablename__ = "application_credential_access_rules"
    # NOTE: explicit names: the conventional ones pass MySQL's 64-character limit.
    application_credential_id: Mapped[str] = mapped_column(
        ID,
        sa.ForeignKey(
            "application_credentials.id", ondelete="CASCADE", name="fk_app_cred_access_rules_cred"
        ),
        primary_key=True,
    )
    access_rule_id: Mapped[int] = mapped_column(
        sa.Integer,
        sa.ForeignKey("access_rules.id", name="fk_app_cred_access_rules_rule"),
        primary_key=True,
        index=True,
    )


class RevocationEvent(Base):
    """A token revocation. A token is revoked when every non-null field matches it."""

    __tablename__ = "revocation_events"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True, index=True)
    audit_chain_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True, index=True)
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    project_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    domain_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    role_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    issued_before: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
