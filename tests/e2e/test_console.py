"""The noVNC console of real guests: a real ``stratus up --virt qemu``, two test-image servers
under QEMU (TCG here), console URLs from the ``openstack`` CLI.

(a) a Python RFB client speaks VNC through the proxy and gets the guest's screen; (b) headless
Chromium opens the URL, noVNC says "Connected" and its canvas shows the guest's console, and a
screenshot is saved to ``artifacts/console-screenshot.png``; (c) a used token, a token of a
deleted server and an unknown token open nothing, and each server's token opens that server's
console only (QEMU names its VNC desktop after the instance).

Everything started here is stopped here: servers are deleted (their QEMU processes checked
gone) before ``stratus up`` stops, Chromium and chromedriver quit, temp dirs are removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.conftest import VENV_BIN, RunningCloud, openstack
from tests.e2e.guest_lab import REPO, build_test_image, needs_qemu
from tests.e2e.rfb_client import RfbClient
from tests.fixtures.waiting import scaled, wait_until

pytestmark = [pytest.mark.e2e, needs_qemu]

BOOT_TIMEOUT = 180.0
READY = "STRATUS-GUEST-READY"
SCREENSHOT = REPO / "artifacts" / "console-screenshot.png"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1024,768",
)  # fmt: skip


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    images = build_test_image()
    base = tmp_path_factory.mktemp("console")
    cmd = [str(VENV_BIN / "stratus"), "up", "--data-dir", str(base / "var"), "--virt", "qemu"]
    cloud = RunningCloud(base / "var", base / "stratus.log", command=cmd)
    cloud.env["STRATUS_COMPUTE__TEST_IMAGE_DIR"] = str(images)
    try:
        cloud.wait_ready()

        def ready() -> bool:
            if cloud.proc.poll() is not None:
                raise AssertionError(f"stratus up exited with {cloud.proc.returncode}")
            return "Stratus is ready" in cloud.log()  # the test image is registered by then

        try:
            wait_until(ready, 300, "Stratus is ready", step=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{cloud.log()}") from None
        yield cloud
    finally:
        code = cloud.stop()
        print(f"\n[stratus up log tail]\n{cloud.log()[-2000:]}")
        assert code == 0, f"stratus up did not stop cleanly (exit {code})"


@pytest.fixture(scope="module")
def servers(cloud: RunningCloud) -> Iterator[dict[str, str]]:
    """Two ACTIVE servers without networks (the console needs none), by name -> id."""
    env = cloud.credentials("admin")
    flavor = ("--ram", "128", "--disk", "1", "--vcpus", "1", "console.nano")
    openstack(env, "flavor", "create", *flavor)
    made: dict[str, str] = {}
    try:
        for name in ("console-a", "console-b"):
            server = openstack(
                env, "server", "create", "--flavor", "console.nano", "--image", "cirros",
                "--nic", "none", name,
            )  # fmt: skip
            made[name] = server["id"]
        for name in made:
            wait_for_console_log(env, name, READY)
        yield made
    finally:
        for name, sid in made.items():
            openstack(env, "server", "delete", "--wait", name, check=False, fmt=False)
            assert not qemu_pids(sid), f"QEMU of {name} still runs after delete"


def wait_for_console_log(env: dict[str, str], name: str, text: str) -> None:
    """Poll the server's console log (once it is ACTIVE) until ``text`` shows up."""
    log = [""]

    def shown() -> bool:
        status = openstack(env, "server", "show", name, "-c", "status")["status"]
        assert status in ("BUILD", "ACTIVE"), f"{name} is {status}"
        if status != "ACTIVE":
            return False
        log[0] = openstack(env, "console", "log", "show", name, fmt=False)
        return text in log[0]

    try:
        wait_until(shown, BOOT_TIMEOUT, f"{text!r} on the console of {name}", step=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{log[0]}") from None


def qemu_pids(instance_uuid: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"instance-{instance_uuid}"], capture_output=True)
    return [int(p) for p in out.stdout.split()]


def console_url(cloud: RunningCloud, name: str) -> str:
    shown: dict[str, Any] = openstack(cloud.credentials("admin"), "console", "url", "show", name)
    assert shown["type"] == "novnc" and shown["protocol"] == "vnc"
    return str(shown["url"])


def websocket_url(url: str) -> str:
    """What noVNC connects to for a console URL: ws://<host:port>/<path parameter>."""
    parts = urllib.parse.urlsplit(url)
    (path,) = urllib.parse.parse_qs(parts.query)["path"]
    return f"ws://{parts.netloc}/{path}"


def nonblank(pixels: bytes, bytes_per_pixel: int = 4) -> int:
    """How many pixels are not black (text on the guest's screen)."""
    step = bytes_per_pixel
    return sum(1 for i in range(0, len(pixels), step) if any(pixels[i : i + 3]))


def test_console_url_is_the_hosts_novnc_page(cloud: RunningCloud, servers: dict[str, str]) -> None:
    url = console_url(cloud, "console-a")
    port = cloud.ports["novncproxy"]
    assert url.startswith(f"http://127.0.0.1:{port}/vnc_auto.html?path=%3Ftoken%3D"), url
    assert websocket_url(url).startswith(f"ws://127.0.0.1:{port}/?token=")


def test_rfb_through_the_proxy_reaches_the_guest_screen_once(
    cloud: RunningCloud, servers: dict[str, str]
) -> None:
    ws_url = websocket_url(console_url(cloud, "console-a"))
    with RfbClient(ws_url) as rfb:
        screen = rfb.handshake()
        assert servers["console-a"] in screen.name  # QEMU (instance-<uuid>)
        assert (screen.width, screen.height) >= (640, 350)
        pixels = rfb.framebuffer()
    lit = nonblank(pixels, screen.bytes_per_pixel)
    print(f"\n[console] {screen.name}: {screen.width}x{screen.height}, {lit} lit pixels")
    assert lit > 500, "the guest's screen is blank"
    with pytest.raises(InvalidStatus) as refused:
        RfbClient(ws_url)  # the same token again
    assert refused.value.response.status_code == 403


def test_each_token_opens_its_own_server_only(cloud: RunningCloud, servers: dict[str, str]) -> None:
    for name in ("console-b", "console-a"):
        with RfbClient(websocket_url(console_url(cloud, name))) as rfb:
            desktop = rfb.handshake().name
        assert servers[name] in desktop
        other = next(sid for n, sid in servers.items() if n != name)
        assert other not in desktop
    port = cloud.ports["novncproxy"]
    for bogus in ("/?token=", "/?token=not-a-token", "/websockify"):
        with pytest.raises(InvalidStatus):
            RfbClient(f"ws://127.0.0.1:{port}{bogus}")


def test_headless_chromium_shows_the_console(
    cloud: RunningCloud, servers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "missing chromium/chromium-driver: tools/install-deps.sh test"
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    service = Service(chromedriver, log_output=str(tmp_path / "chromedriver.log"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.set_page_load_timeout(scaled(60))
        browser.get(console_url(cloud, "console-a"))
        WebDriverWait(browser, scaled(120), poll_frequency=0.5).until(
            lambda b: b.execute_script(CANVAS_STATE)["lit"] > 500, "the canvas stays blank"
        )
        state = browser.execute_script(CANVAS_STATE)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(SCREENSHOT))
    finally:
        browser.quit()
    print(f"\n[console] noVNC: {state}; screenshot {SCREENSHOT}")
    assert state["status"].startswith("Connected"), state
    assert servers["console-a"] in state["status"]  # "Connected to QEMU (instance-<uuid>)"
    assert (state["width"], state["height"]) >= (640, 350)
    assert SCREENSHOT.stat().st_size > 10_000
    assert os.access(SCREENSHOT, os.R_OK)


# noVNC's status line and how much of its canvas is lit (read in the page, same origin)
CANVAS_STATE = """
const canvas = document.querySelector('#screen canvas');
const status = document.getElementById('status').textContent;
if (!canvas || canvas.width === 0) return {status: status, lit: 0, width: 0, height: 0};
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let lit = 0;
for (let i = 0; i < data.length; i += 4) {
  if (data[i] || data[i + 1] || data[i + 2]) lit++;
}
return {status: status, lit: lit, width: canvas.width, height: canvas.height};
"""


def test_tokens_of_a_deleted_server_open_nothing(
    cloud: RunningCloud, servers: dict[str, str]
) -> None:
    env = cloud.credentials("admin")
    unused = websocket_url(console_url(cloud, "console-b"))
    openstack(env, "server", "delete", "--wait", "console-b", fmt=False)
    assert not qemu_pids(servers["console-b"])
    with pytest.raises(InvalidStatus) as refused:
        RfbClient(unused)
    assert refused.value.response.status_code == 403
