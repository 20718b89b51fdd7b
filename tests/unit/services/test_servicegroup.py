"""Heartbeats, up/down and zones (``services/servicegroup.py``) on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.cloud import make_config
from tests.fixtures.compute_hosts import add_aggregate

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.services import servicegroup


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url)
    yield database
    database.dispose()
    clock.reset()


@pytest.fixture
def cfg(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path / "s", db_url, DEFAULT={"service_down_time": 60})


def test_report_creates_then_heartbeats(db: Database, cfg: Config) -> None:
    with db.write() as s:
        first = servicegroup.report(s, "c1", "stratus-conductor", "conductor")
        created, seen = first.uuid, first.last_seen_up
    clock.advance(5)
    with db.write() as s:
        again = servicegroup.report(s, "c1", "stratus-conductor", "conductor")
        assert (again.uuid, again.report_count) == (created, 2)
        assert seen is not None and again.last_seen_up is not None
        assert again.last_seen_up > seen
        assert servicegroup.state(again, cfg) == "up"
        assert servicegroup.status(again) == "enabled"


def test_unknown_binary_is_refused(db: Database) -> None:
    with db.write() as s, pytest.raises(exceptions.Invalid, match="unknown service binary"):
        servicegroup.report(s, "c1", "nova-compute", "compute")


def test_down_after_service_down_time_and_when_forced(db: Database, cfg: Config) -> None:
    with db.write() as s:
        row = servicegroup.report(s, "h1", "stratus-compute", "compute")
        assert servicegroup.is_up(row, 60)
        clock.advance(45)  # the clock is real time plus an offset: leave room for a slow machine
        assert servicegroup.is_up(row, 60)
        clock.advance(16)
        assert not servicegroup.is_up(row, 60)
        assert servicegroup.state(row, cfg) == "down"
        servicegroup.report(s, "h1", "stratus-compute", "compute")
        assert servicegroup.is_up(row, 60)
        servicegroup.set_forced_down(row, True)
        assert not servicegroup.is_up(row, 60)


def test_disable_with_reason_and_enable_clears_it(db: Database) -> None:
    with db.write() as s:
        row = servicegroup.report(s, "h1", "stratus-compute", "compute")
        servicegroup.set_disabled(row, True, "maintenance")
        assert (servicegroup.status(row), row.disabled_reason) == ("disabled", "maintenance")
        servicegroup.set_disabled(row, False, "ignored")
        assert (servicegroup.status(row), row.disabled_reason) == ("enabled", None)


def test_zones_internal_default_and_aggregate(db: Database, cfg: Config) -> None:
    add_aggregate(db, "agg1", ["h2"], availability_zone="az1")
    with db.write() as s:
        sched = servicegroup.report(s, "ctl", "stratus-scheduler", "scheduler")
        h1 = servicegroup.report(s, "h1", "stratus-compute", "compute")
        h2 = servicegroup.report(s, "h2", "stratus-compute", "compute")
        zones = servicegroup.host_zones(s, cfg)
        assert servicegroup.zone_of(sched, cfg, zones) == "internal"
        assert servicegroup.zone_of(h1, cfg, zones) == "nova"
        assert servicegroup.zone_of(h2, cfg, zones) == "az1"
        listed = servicegroup.list_services(s, binary="stratus-compute")
        assert [r.host for r in listed] == ["h1", "h2"]
        assert [r.host for r in servicegroup.list_services(s, host="ctl")] == ["ctl"]
