"""Image tables: images, their custom properties, tags and members (Glance's v2 data model).

Rows are deleted for real (Glance soft-deletes); a deleted image's id may therefore be reused.
Custom properties are name/value rows rather than a JSON column so they can be filtered on with
portable SQL. ``owner`` and ``member_id`` hold project ids.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stratus.common import clock
from stratus.db.models.base import Base, DateTime, Timestamps

IMAGE_ID = sa.String(36)
PROJECT_ID = sa.String(255)


class Image(Base, Timestamps):
    """One image record. ``status`` follows queued → saving → active (→ deactivated)."""

    __tablename__ = "images"
    id: Mapped[str] = mapped_column(IMAGE_ID, primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(30), nullable=False, index=True)
    visibility: Mapped[str] = mapped_column(sa.String(9), nullable=False, index=True)
    protected: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    os_hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    owner: Mapped[str | None] = mapped_column(PROJECT_ID, nullable=True, index=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    virtual_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    disk_format: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    container_format: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    checksum: Mapped[str | None] = mapped_column(sa.String(32), nullable=True, index=True)
    os_hash_algo: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    os_hash_value: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, index=True)
    min_disk: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    min_ram: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    properties: Mapped[list[ImageProperty]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="ImageProperty.name",
    )
    tags: Mapped[list[ImageTag]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="ImageTag.value",
    )


class ImageProperty(Base):
    """A custom (string) property shown as a top-level key of the image."""

    __tablename__ = "image_properties"
    image_id: Mapped[str] = mapped_column(
        IMAGE_ID, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True, index=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False)


class ImageTag(Base):
    __tablename__ = "image_tags"
    image_id: Mapped[str] = mapped_column(
        IMAGE_ID, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(sa.String(255), primary_key=True, index=True)


class ImageMember(Base):
    """A project a ``shared`` image is offered to; ``status`` is the member's answer."""

    __tablename__ = "image_members"
    image_id: Mapped[str] = mapped_column(
        IMAGE_ID, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(PROJECT_ID, primary_key=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow, nullable=False)
