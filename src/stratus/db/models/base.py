"""Declarative base shared by every aggregate's tables.

Constraint names follow one convention so Alembic migrations are portable between SQLite,
PostgreSQL and MySQL.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stratus.common import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# NOTE: MySQL's DATETIME keeps whole seconds unless told otherwise; token revocation and
# "changes-since" filters need microseconds on every backend.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class Timestamps:
    """``created_at`` / ``updated_at`` columns kept in naive UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.utcnow, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, default=None, onupdate=clock.utcnow, nullable=True
    )
