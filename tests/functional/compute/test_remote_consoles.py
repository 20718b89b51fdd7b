"""noVNC consoles through the whole control plane (fake driver): the API's answers, the token
kept in the database, and the proxy of each host letting each token through once, to its own
instance only. The VNC servers are ``FakeVncServer``s on the fake driver's socket paths."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from stratus.cmd import novncproxy
from stratus.common import clock
from stratus.db.models.compute import ConsoleAuthToken
from stratus.rpcapi.conductor import ConductorAPI
from stratus.virt.fake import FakeDriver
from tests.fixtures.cloud import Cloud
from tests.fixtures.vnc_server import GREETING, FakeVncServer
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    show,
    version,
    wait_for_status,
)

BODY = {"remote_console": {"protocol": "vnc", "type": "novnc"}}


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1", "h2"))
    # NOTE: unix socket paths are limited to 107 bytes: a short directory of this test's own.
    vnc_dir = Path(tempfile.mkdtemp(prefix="vnc-", dir="/tmp"))
    for host in ("h1", "h2"):
        driver(cloud, host).vnc_dir = vnc_dir / host
    yield cloud
    clock.reset()
    shutil.rmtree(vnc_dir, ignore_errors=True)


def driver(cloud: Cloud, host: str) -> FakeDriver:
    (found,) = [
        s.env.driver for s in cloud.services if getattr(s, "env", None) and s.env.host == host
    ]
    assert isinstance(found, FakeDriver)
    return found


def proxy(cloud: Cloud, host: str) -> TestClient:
    app = novncproxy.make_app(cloud.cfg, cloud.bus, host, driver(cloud, host))
    return TestClient(app.app, base_url="http://127.0.0.1:6080")


def active(cloud: Cloud, headers: dict[str, str], image_id: str, host: str | None = None) -> str:
    """An ACTIVE server of the caller (forced onto ``host``: admins only)."""
    zone = {"availability_zone": f"nova:{host}"} if host else {}
    sid = str(boot(cloud, headers, image_id, **zone)["id"])
    wait_for_status(cloud, headers, sid, "ACTIVE")
    return sid


def host_of(cloud: Cloud, sid: str) -> str:
    return str(show(cloud, cloud.admin_headers(), sid, "2.3")["OS-EXT-SRV-ATTR:host"])


def console(cloud: Cloud, headers: dict[str, str], sid: str, body: Any = None) -> Any:
    return cloud.compute.post(
        f"/v2.1/servers/{sid}/remote-consoles",
        json=body or BODY,
        headers={**headers, **version("2.6")},
    )


def url_of(cloud: Cloud, headers: dict[str, str], sid: str) -> str:
    r = console(cloud, headers, sid)
    assert r.status_code == 200, r.text
    return str(r.json()["remote_console"]["url"])


def token_of(url: str) -> str:
    (path,) = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["path"]
    assert path.startswith("?token=")
    return path[len("?token=") :]


def refused(client: TestClient, token: str) -> bool:
    try:
        with client.websocket_connect(f"/?token={token}"):
            return False
    except WebSocketDisconnect as exc:
        assert exc.code == 1008
        return True


def test_console_url_and_what_is_stored(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    host = host_of(plane, sid)
    before = clock.utcnow()
    r = console(plane, member.headers, sid)
    assert r.status_code == 200, r.text
    body = r.json()["remote_console"]
    assert set(body) == {"protocol", "type", "url"}
    assert (body["protocol"], body["type"]) == ("vnc", "novnc")
    assert body["url"].startswith("http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D")
    token = token_of(body["url"])
    assert len(token) >= 43  # 32 random bytes, base64url
    with plane.db.read() as session:
        (row,) = session.scalars(sa.select(ConsoleAuthToken)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (row.instance_uuid, row.host, row.console_type) == (sid, host, "novnc")
        assert row.internal_access_path == str(driver(plane, host).vnc_socket_path(sid))
        assert row.used is False
        ttl = row.expires - before
        assert dt.timedelta(seconds=599) < ttl < dt.timedelta(seconds=610)
        stored = " ".join(str(getattr(row, c.key)) for c in ConsoleAuthToken.__table__.columns)
        assert token not in stored
    assert token_of(url_of(plane, member.headers, sid)) != token  # a new token every time


def test_legacy_action_before_2_6_and_the_resource_from_2_6(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    r = action(plane, member.headers, sid, {"os-getVNCConsole": {"type": "novnc"}})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"console"}
    assert r.json()["console"]["type"] == "novnc"
    assert "?path=%3Ftoken%3D" in r.json()["console"]["url"]
    r = action(plane, member.headers, sid, {"os-getVNCConsole": {"type": "novnc"}}, v="2.6")
    assert r.status_code == 400  # the action is gone from 2.6
    r = plane.compute.post(
        f"/v2.1/servers/{sid}/remote-consoles",
        json=BODY,
        headers={**member.headers, **version("2.5")},
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("protocol", "console_type", "message"),
    [
        ("spice", "spice-html5", "Unavailable console type spice-html5."),
        ("vnc", "xvpvnc", "Invalid console type xvpvnc"),
    ],
)
def test_console_types_stratus_does_not_have(
    plane, member, image_id, protocol, console_type, message
):
    sid = active(plane, member.headers, image_id)
    body = {"remote_console": {"protocol": protocol, "type": console_type}}
    r = console(plane, member.headers, sid, body)
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == message
    r = console(plane, member.headers, sid, {"remote_console": {"protocol": "telnet", "type": "x"}})
    assert r.status_code == 400  # not in the schema


def test_other_projects_see_no_server_and_admins_do(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    stranger = plane.new_user(role="member")
    r = console(plane, stranger.headers, sid)
    assert r.status_code == 404
    r = action(plane, stranger.headers, sid, {"os-getVNCConsole": {"type": "novnc"}})
    assert r.status_code == 404
    assert console(plane, plane.admin_headers(), sid).status_code == 200


def test_only_running_servers_have_consoles(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    assert action(plane, member.headers, sid, {"os-stop": None}).status_code == 202
    wait_for_status(plane, member.headers, sid, "SHUTOFF")
    r = console(plane, member.headers, sid)
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"] == (
        f"Cannot 'get_vnc_console' instance {sid} while it is in vm_state stopped"
    )
    plane.cfg.vnc.enabled = False  # the compute host's [vnc] enabled
    assert action(plane, member.headers, sid, {"os-start": None}).status_code == 202
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    r = console(plane, member.headers, sid)
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == "Unavailable console type novnc."


def test_a_token_opens_its_console_once(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    host = host_of(plane, sid)
    token = token_of(url_of(plane, member.headers, sid))
    with FakeVncServer(driver(plane, host).vnc_socket_path(sid)) as vnc, proxy(plane, host) as c:
        with c.websocket_connect(f"/?token={token}", subprotocols=["binary"]) as ws:
            assert ws.accepted_subprotocol == "binary"
            assert ws.receive_bytes() == GREETING
            ws.send_bytes(b"RFB 003.008\n")
            assert ws.receive_bytes() == b"RFB 003.008\n"
        assert refused(c, token)  # used up
        assert refused(c, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert vnc.accepted == 1
    with plane.db.read() as session:
        assert session.scalars(sa.select(ConsoleAuthToken.used)).all() == [True]


def test_tokens_expire_after_the_ttl(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    host = host_of(plane, sid)
    # NOTE: a short TTL: moving the clock by 10 minutes would make the hosts look down.
    plane.cfg.vnc.token_ttl = 30
    old = token_of(url_of(plane, member.headers, sid))
    clock.advance(20)
    fresh = token_of(url_of(plane, member.headers, sid))
    clock.advance(11)  # old: 31 s, fresh: 11 s
    with FakeVncServer(driver(plane, host).vnc_socket_path(sid)) as vnc, proxy(plane, host) as c:
        assert refused(c, old)
        with c.websocket_connect(f"/?token={fresh}") as ws:
            assert ws.receive_bytes() == GREETING
    assert vnc.accepted == 1
    url_of(plane, member.headers, sid)  # a new URL clears the expired ones
    with plane.db.read() as session:
        assert len(session.scalars(sa.select(ConsoleAuthToken)).all()) == 2


def test_a_token_reaches_its_own_instance_only(plane, member, image_id):
    admin = plane.admin_headers()
    a = active(plane, admin, image_id, host="h1")
    b = active(plane, admin, image_id, host="h1")
    c_on_h2 = active(plane, admin, image_id, host="h2")
    token_a = token_of(url_of(plane, admin, a))
    token_c = token_of(url_of(plane, admin, c_on_h2))
    h1 = driver(plane, "h1")
    with (
        FakeVncServer(h1.vnc_socket_path(a)) as vnc_a,
        FakeVncServer(h1.vnc_socket_path(b)) as vnc_b,
        proxy(plane, "h1") as c,
    ):
        with c.websocket_connect(f"/websockify?token={token_a}") as ws:
            assert ws.receive_bytes() == GREETING
            ws.send_bytes(b"only for a")
            assert ws.receive_bytes() == b"only for a"
        assert refused(c, token_c)  # instance c lives on h2: h1's proxy cannot open it
    assert (vnc_a.accepted, vnc_b.accepted) == (1, 0)
    assert bytes(vnc_b.received) == b""


def test_deleted_instances_tokens_are_dead(plane, member, image_id):
    sid = active(plane, member.headers, image_id)
    token = token_of(url_of(plane, member.headers, sid))
    assert plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers).status_code == 204
    wait_for_status(plane, member.headers, sid, "DELETED")
    conductor = ConductorAPI(plane.bus, timeout=10)
    assert conductor.console_token_consume(token) is None
    assert conductor.console_token_consume("") is None
    assert conductor.console_token_consume("x" * 1000) is None
