"""The console proxy's websocket: who gets through, where it connects, how bytes flow."""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from tests.fixtures.vnc_server import GREETING, FakeVncServer

from stratus.common.exceptions import MessagingTimeout
from stratus.console.novncproxy import ProxySettings, RedactTokens, build_app
from stratus.objects.console import ConsoleConnectInfo

HOST = "h1"


class Tokens:
    """The conductor's side as the proxy sees it: token -> info, each usable once."""

    def __init__(self) -> None:
        self.issued: dict[str, ConsoleConnectInfo] = {}
        self.asked: list[str] = []
        self.fail = False

    def __call__(self, token: str) -> ConsoleConnectInfo | None:
        self.asked.append(token)
        if self.fail:
            raise MessagingTimeout("no conductor")
        return self.issued.pop(token, None)


@pytest.fixture
def sockets() -> Iterator[Path]:
    # NOTE: unix socket paths are limited to 107 bytes; pytest's tmp_path can be longer.
    path = Path(tempfile.mkdtemp(prefix="vnc-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def sock_of(sockets: Path, instance: str) -> Path:
    return sockets / f"{instance[:8]}.sock"


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def novnc(tmp_path: Path) -> Path:
    web = tmp_path / "novnc"
    (web / "core").mkdir(parents=True)
    (web / "vnc_lite.html").write_text("<html>lite</html>")
    (web / "core" / "rfb.js").write_text("export default class RFB {}")
    return web


@pytest.fixture
def client(sockets: Path, tokens: Tokens, novnc: Path) -> Iterator[TestClient]:
    settings = ProxySettings(
        host=HOST,
        authorize=tokens,
        socket_path=lambda u: sock_of(sockets, u),
        novnc_dir=novnc,
    )
    with TestClient(build_app(settings), base_url="http://127.0.0.1:6080") as c:
        yield c


def issue(tokens: Tokens, sockets: Path, host: str = HOST, path: Path | None = None) -> tuple:
    instance = str(uuid.uuid4())
    token = uuid.uuid4().hex
    sock = sock_of(sockets, instance)
    tokens.issued[token] = ConsoleConnectInfo(
        instance_uuid=instance,
        host=host,
        console_type="novnc",
        internal_access_path=str(path or sock),
    )
    return token, sock


def refused(client: TestClient, url: str, **kwargs: object) -> int:
    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect(url, **kwargs):
        pass
    return exc.value.code


def test_a_valid_token_reaches_its_instance_and_bytes_flow_both_ways(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    with FakeVncServer(sock) as vnc, client.websocket_connect(f"/?token={token}") as ws:
        assert ws.receive_bytes() == GREETING
        ws.send_bytes(b"RFB 003.008\n")
        assert ws.receive_bytes() == b"RFB 003.008\n"
        ws.send_bytes(b"\x01")
        assert ws.receive_bytes() == b"\x01"
    assert vnc.accepted == 1
    assert bytes(vnc.received) == b"RFB 003.008\n\x01"
    assert tokens.asked == [token]


def test_the_binary_subprotocol_is_echoed_when_asked(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    with (
        FakeVncServer(sock),
        client.websocket_connect(f"/websockify?token={token}", subprotocols=["binary"]) as ws,
    ):
        assert ws.accepted_subprotocol == "binary"
        assert ws.receive_bytes() == GREETING


def test_a_token_works_once(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    with FakeVncServer(sock) as vnc:
        with client.websocket_connect(f"/?token={token}") as ws:
            ws.receive_bytes()
        assert refused(client, f"/?token={token}") == 1008
    assert vnc.accepted == 1


def test_no_token_unknown_token_and_token_check_failures_are_refused(client, tokens):
    assert refused(client, "/") == 1008
    assert tokens.asked == []  # nothing to ask about
    assert refused(client, "/?token=nope") == 1008
    tokens.fail = True
    assert refused(client, "/?token=nope") == 1008


def test_the_token_may_come_in_a_cookie(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    client.cookies.set("token", token)
    with FakeVncServer(sock), client.websocket_connect("/") as ws:
        assert ws.receive_bytes() == GREETING


def test_a_token_for_another_host_is_refused(client, tokens, sockets):
    token, sock = issue(tokens, sockets, host="h2")
    with FakeVncServer(sock) as vnc:
        assert refused(client, f"/?token={token}") == 1008
    assert vnc.accepted == 0


def test_the_socket_comes_from_the_instance_never_from_the_token_path(client, tokens, sockets):
    """A token whose stored path is not its instance's socket opens nothing."""
    victim = sock_of(sockets, str(uuid.uuid4()))
    token, own = issue(tokens, sockets, path=victim)
    with FakeVncServer(victim) as other, FakeVncServer(own) as mine:
        assert refused(client, f"/?token={token}") == 1008
    assert other.accepted == 0 and mine.accepted == 0


def test_cross_site_origins_are_refused(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    with FakeVncServer(sock) as vnc:
        evil = {"origin": "http://evil.example"}
        assert refused(client, f"/?token={token}", headers=evil) == 1008
        assert tokens.asked == []  # refused before the token is spent
        same = {"origin": "http://testserver"}  # the test client says Host: testserver
        with client.websocket_connect(f"/?token={token}", headers=same) as ws:
            assert ws.receive_bytes() == GREETING
    assert vnc.accepted == 1


def test_a_vnc_server_that_is_not_there_is_refused(client, tokens, sockets):
    token, _sock = issue(tokens, sockets)
    assert refused(client, f"/?token={token}") == 1008


def test_text_frames_end_the_connection(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    with FakeVncServer(sock) as vnc, client.websocket_connect(f"/?token={token}") as ws:
        ws.receive_bytes()
        ws.send_text("hello")
        with pytest.raises(WebSocketDisconnect) as exc:
            while True:
                ws.receive_bytes()
        assert exc.value.code == 1003
    assert bytes(vnc.received) == b""


def test_vnc_auto_is_the_page_that_connects_at_once(client):
    r = client.get("/vnc_auto.html?path=%3Ftoken%3Dabc")
    assert r.status_code == 200
    assert r.text == "<html>lite</html>"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/core/rfb.js").status_code == 200
    assert client.get("/../etc/passwd").status_code == 404


def test_without_novnc_the_page_says_so(tokens, sockets, tmp_path):
    settings = ProxySettings(HOST, tokens, lambda u: sockets / u, tmp_path / "missing")
    with TestClient(build_app(settings)) as c:
        r = c.get("/vnc_auto.html")
        assert r.status_code == 503
        assert "noVNC is not installed" in r.text


def test_tokens_never_reach_the_log() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" %d',
        ("127.0.0.1:5", "/?token=s3cr3t-Token_x&x=1", 403), None,
    )  # fmt: skip
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "WebSocket /?token=***&x=1" 403'
    page = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET /vnc_auto.html?path=%3Ftoken%3Dabc", (), None
    )
    RedactTokens().filter(page)
    assert page.getMessage() == "GET /vnc_auto.html?path=%3Ftoken%3D***"


def test_when_the_vnc_server_goes_the_websocket_closes(client, tokens, sockets):
    token, sock = issue(tokens, sockets)
    vnc = FakeVncServer(sock)
    with client.websocket_connect(f"/?token={token}") as ws:
        assert ws.receive_bytes() == GREETING
        vnc.close()  # the guest was powered off, say
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_bytes()
        assert exc.value.code == 1000
