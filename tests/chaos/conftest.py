"""Fixtures of the fault suite: a killable PostgreSQL cluster and the separate-process
deployment over it and the session's RabbitMQ; the fault table at the end of the run."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.chaos import report
from tests.chaos.servers import ChaosProcesses, PgCluster


@pytest.fixture(scope="session")
def chaos_pg() -> Iterator[PgCluster]:
    """A cluster of this session's own (never ``$STRATUS_TEST_DB_URL``: the tests kill it)."""
    cluster = PgCluster(Path("/tmp") / f"stratus-chaos-pg-{uuid.uuid4().hex[:8]}")
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        shutil.rmtree(cluster.state, ignore_errors=True)
        message = f"PostgreSQL not available: {exc}"
        if os.environ.get("STRATUS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.state, ignore_errors=True)


@pytest.fixture
def chaos_db(chaos_pg: PgCluster) -> Iterator[str]:
    """A new database on the killable cluster for one test (dropped afterwards)."""
    name = f"stratus_chaos_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(chaos_pg.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        # NOTE: tools/postgres.sh runs with synchronous_commit=off (fast, and right for tests
        # that never crash it); a kill -9 then loses commits already acknowledged, which would
        # show as servers "lost" after a 202. Sessions of this database commit durably.
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
    try:
        yield make_url(chaos_pg.url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.dispose()
        admin = sa.create_engine(chaos_pg.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def chaos_procs(tmp_path: Path, rabbit_url: str, chaos_db: str) -> Iterator[ChaosProcesses]:
    p = ChaosProcesses(tmp_path, rabbit_url, chaos_db)
    try:
        yield p
    finally:
        p.stop_all()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not report.ROWS:
        return
    report.write()
    terminalreporter.section("fault suite")
    terminalreporter.write(report.render())
    terminalreporter.write_line(f"(written to {report.REPORT})")
