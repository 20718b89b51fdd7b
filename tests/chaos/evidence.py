"""What the database says about one instance, in one line, for a violation's report: its row
(even deleted), allocations (on which host), migrations, actions with their events, faults."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "chaos-logs"


def _rows(conn: sa.Connection, sql: str, uuid: str) -> list[sa.Row[Any]]:
    return list(conn.execute(sa.text(sql), {"u": uuid}))


def describe(db_url: str, uuid: str) -> str:
    """``uuid`` as the database has it (nothing is changed)."""
    engine = sa.create_engine(db_url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            inst = _rows(conn, "SELECT vm_state, task_state, host, deleted FROM instances"
                               " WHERE uuid = :u", uuid)  # fmt: skip
            allocs = _rows(conn, "SELECT n.host, a.memory_mb FROM allocations a JOIN compute_nodes"
                                 " n ON n.id = a.compute_node_id WHERE a.consumer_uuid = :u"
                                 " OR a.consumer_uuid IN (SELECT uuid FROM migrations"
                                 " WHERE instance_uuid = :u)", uuid)  # fmt: skip
            migs = _rows(conn, "SELECT uuid, status, source_compute, dest_compute FROM migrations"
                               " WHERE instance_uuid = :u", uuid)  # fmt: skip
            acts = _rows(conn, "SELECT a.action, e.event, e.result, e.host FROM instance_actions a"
                               " LEFT JOIN instance_action_events e ON e.action_id = a.id"
                               " WHERE a.instance_uuid = :u ORDER BY a.id, e.id", uuid)  # fmt: skip
            faults = _rows(conn, "SELECT message FROM instance_faults WHERE instance_uuid = :u",
                           uuid)  # fmt: skip
    except sa.exc.SQLAlchemyError as exc:
        return f"[db: {exc!r}]"[:200]
    finally:
        engine.dispose()
    parts = [
        f"row={tuple(inst[0]) if inst else None}",
        f"allocations={[tuple(a) for a in allocs]}",
        f"migrations={[(m[0][:8], m[1], m[2], m[3]) for m in migs]}",
        f"actions={[tuple(a) for a in acts]}",
        f"faults={[f[0][:120] for f in faults]}",
    ]
    return "[" + "; ".join(parts) + "]"


def keep_logs(logs: Path, test_id: str) -> Path:
    """Copy a failed test's process logs to ``artifacts/chaos-logs/<test_id>/``."""
    dest = ARTIFACTS / test_id
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for log in logs.glob("*.log"):
        shutil.copy(log, dest / log.name)
    return dest
