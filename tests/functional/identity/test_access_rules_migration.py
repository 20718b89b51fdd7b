"""Migration 0003 carries access rules from the JSON column to their own table, and back.

Runs on a fresh empty database: SQLite by default, PostgreSQL with STRATUS_TEST_DB_URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine, make_url

from stratus.db import migrate
from stratus.db.engine import create_engine

NOW = dt.datetime(2026, 1, 1)
IPS = {"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}
IMAGES = {"service": "image", "path": "/v2/images", "method": "GET"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    server = os.environ.get("STRATUS_TEST_DB_URL")
    if not server:
        eng = create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
        yield eng
        eng.dispose()
        return
    name = f"stratus_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    eng = create_engine(make_url(server).set(database=name).render_as_string(False))
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _seed(conn: sa.Connection, user_id: str, creds: dict[str, list[Any]]) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO users (id, name, name_key, domain_id, enabled, options, extra, created_at)"
            " VALUES (:id, :id, :id, 'default', :t, '{}', '{}', :now)"
        ),
        {"id": user_id, "t": True, "now": NOW},
    )
    for cred_id, rules in creds.items():
        conn.execute(
            sa.text(
                "INSERT INTO application_credentials (id, name, user_id, secret_hash,"
                " unrestricted, role_ids, access_rules, created_at)"
                " VALUES (:id, :id, :user, 'x', :f, '[]', :rules, :now)"
            ),
            {"id": cred_id, "user": user_id, "f": False, "rules": json.dumps(rules), "now": NOW},
        )


def _rules_of(conn: sa.Connection) -> dict[str, list[dict[str, str]]]:
    rows = conn.execute(
        sa.text(
            "SELECT l.application_credential_id, r.external_id, r.service, r.path, r.method"
            " FROM application_credential_access_rules l"
            " JOIN access_rules r ON r.id = l.access_rule_id ORDER BY r.id"
        )
    )
    result: dict[str, list[dict[str, str]]] = {}
    for cred, ext, service, path, method in rows:
        result.setdefault(cred, []).append(
            {"id": ext, "service": service, "path": path, "method": method}
        )
    return result


def test_upgrade_and_downgrade_carry_the_rules(engine: Engine) -> None:
    migrate.sync(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO domains (id, name, name_key, description, enabled, extra, created_at)"
                " VALUES ('default', 'Default', 'default', '', :t, '{}', :now)"
            ),
            {"t": True, "now": NOW},
        )
        _seed(
            conn,
            "alice",
            {
                "c1": [{"id": "a" * 32, **IPS}, {"id": "b" * 32, **IMAGES}],
                # the same rule under another id, and one that cannot be kept
                "c2": [{"id": "c" * 32, **IPS}, {"id": "d" * 32, "service": "image"}],
                "c3": [],
            },
        )
        # another user's rule with an id alice also has
        _seed(conn, "bob", {"c4": [{"id": "a" * 32, **IMAGES}]})

    migrate.sync(engine, "0003")
    with engine.connect() as conn:
        assert _rules_of(conn) == {
            "c1": [{"id": "a" * 32, **IPS}, {"id": "b" * 32, **IMAGES}],
            "c2": [{"id": "a" * 32, **IPS}],
            "c4": [{"id": "a" * 32, **IMAGES}],
        }
        assert conn.execute(sa.text("SELECT count(*) FROM access_rules")).scalar() == 3
        # new rules get new ids from the database (a PostgreSQL sequence must have moved on)
        conn.execute(
            sa.text(
                "INSERT INTO access_rules (external_id, user_id, service, path, method)"
                " VALUES ('e', 'bob', 's', '/p', 'GET')"
            )
        )
        conn.rollback()

    command.downgrade(migrate._alembic_config(engine), "0002")
    with engine.connect() as conn:
        back = {
            cred: json.loads(rules) if isinstance(rules, str) else rules
            for cred, rules in conn.execute(
                sa.text("SELECT id, access_rules FROM application_credentials")
            )
        }
    assert back == {
        "c1": [{"id": "a" * 32, **IPS}, {"id": "b" * 32, **IMAGES}],
        "c2": [{"id": "a" * 32, **IPS}],
        "c3": [],
        "c4": [{"id": "a" * 32, **IMAGES}],
    }
    migrate.sync(engine)
    assert migrate.is_current(engine)
