"""The test guest image: built from Debian packages, registered as the public image ``cirros``.

``build`` runs ``tools/build-test-image.sh`` into ``[compute] test_image_dir`` (default
``<data dir>/test-image``); the script caches its output, so a second build takes a second or
two. ``register`` uploads ``cirros.qcow2`` through the image API as the admin (a public image
is the admin's to make; the service user may only read images, ``admin_credentials``): one
bootable qcow2 disk (SYSLINUX on FAT, whose file system the guest also mounts read-write at
``/data``), public, ``min_ram`` 128 MiB, named ``cirros`` so the guides' commands work as
written. The build key is kept in the image property ``stratus_test_image``: registering again
with the same build does nothing; a new build replaces the old image (registered first, then the
old one deleted, so ``cirros`` always names exactly one image).

Used by ``stratus manage image build-test [--register]`` and by ``stratus up`` (qemu driver).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from stratus.client.auth import AuthError, PasswordSession, reason
from stratus.common.config import Config, ConfigError
from stratus.common.exceptions import StratusError
from stratus.common.service_credentials import ServiceCredentials
from stratus.services.identity.bootstrap import openrc_path, read_openrc

LOG = logging.getLogger(__name__)

IMAGE_NAME = "cirros"
DISK_FILE = "cirros.qcow2"
KEY_PROPERTY = "stratus_test_image"
# NOTE: the Debian kernel unpacks itself into 51 MiB at 16 MiB: with less memory it reboots in a
# silent loop, so smaller flavors are refused up front ("Flavor's memory is too small").
MIN_RAM_MB = 128
SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "build-test-image.sh"
CHUNK = 1 << 20


class TestImageError(StratusError):
    """Building or registering the test image failed; the message says which step and why."""

    __test__ = False  # NOTE: not a pytest test class, whatever its name says
    message = "The test image could not be built or registered."


@dataclasses.dataclass(frozen=True)
class Registered:
    image_id: str
    created: bool


def image_dir(cfg: Config) -> Path:
    return Path(cfg.compute.test_image_dir)


def admin_credentials(cfg: Config) -> ServiceCredentials:
    """The cloud admin's credentials from ``<data dir>/admin-openrc`` (the controller's)."""
    path = openrc_path(cfg.state_path, "admin")
    try:
        rc = read_openrc(path)
    except OSError as exc:
        raise ConfigError(f"registering the test image needs the admin's {path}: {exc}") from exc
    return ServiceCredentials(
        auth_url=cfg.auth_url,
        username=rc.get("OS_USERNAME", "admin"),
        password=rc.get("OS_PASSWORD", ""),
        project_name=rc.get("OS_PROJECT_NAME", "admin"),
        region_name=cfg.default.region_name or None,
    )


def build_key(out: Path) -> str:
    try:
        return (out / ".build-key").read_text().strip()
    except OSError:
        return ""


def build(out: Path, script: Path | None = None) -> Path:
    """Build (or reuse) the image in ``out``; each line of the script's output is logged."""
    script = script or SCRIPT
    if not script.is_file():
        raise TestImageError(f"{script} is missing: the test image is built from a source tree")
    LOG.info("test image: %s %s", script.name, out)
    try:
        proc = subprocess.Popen(
            [str(script), str(out)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    except OSError as exc:
        raise TestImageError(f"cannot run {script}: {exc}") from exc
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        LOG.info("test image: %s", line.rstrip())
        tail = [*tail[-9:], line.rstrip()]
    if proc.wait() != 0:
        raise TestImageError(f"{script.name} failed (exit {proc.returncode}): {' | '.join(tail)}")
    if not (out / DISK_FILE).is_file():
        raise TestImageError(f"{script.name} did not produce {out / DISK_FILE}")
    return out


def _check(response: httpx.Response, doing: str) -> None:
    if not response.is_success:
        raise TestImageError(f"{doing}: HTTP {response.status_code}: {reason(response)}")


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _existing(client: httpx.Client, base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(
        f"{base}/v2/images", params={"name": IMAGE_NAME, "visibility": "public"}, headers=headers
    )
    _check(response, "listing images")
    return list(response.json().get("images", []))


def _upload(client: httpx.Client, base: str, headers: dict[str, str], out: Path, key: str) -> str:
    body = {
        "name": IMAGE_NAME,
        "disk_format": "qcow2",
        "container_format": "bare",
        "visibility": "public",
        "min_ram": MIN_RAM_MB,
        KEY_PROPERTY: key,
    }
    response = client.post(f"{base}/v2/images", json=body, headers=headers)
    _check(response, f"creating image {IMAGE_NAME}")
    image_id = str(response.json()["id"])
    disk = out / DISK_FILE
    response = client.put(
        f"{base}/v2/images/{image_id}/file",
        content=_chunks(disk),
        headers={
            **headers,
            "Content-Type": "application/octet-stream",
            "Content-Length": str(disk.stat().st_size),
        },
    )
    if not response.is_success:
        client.delete(f"{base}/v2/images/{image_id}", headers=headers)
    _check(response, f"uploading {disk} into image {image_id}")
    return image_id


def register(session: PasswordSession, out: Path) -> Registered:
    """Make ``cirros`` the image built in ``out`` (idempotent)."""
    key = build_key(out)
    try:
        base, headers = session.endpoint("image"), session.headers()
        with session.client(timeout=600) as client:
            found = _existing(client, base, headers)
            for image in found:
                if image.get(KEY_PROPERTY) == key and image.get("status") == "active":
                    return Registered(str(image["id"]), created=False)
            image_id = _upload(client, base, headers, out, key)
            for old in found:
                LOG.info("test image: replacing the older image %s (%s)", old["id"], old["status"])
                client.delete(f"{base}/v2/images/{old['id']}", headers=headers)
    except httpx.HTTPError as exc:
        raise TestImageError(f"cannot reach the image service: {exc}") from exc
    return Registered(image_id, created=True)


def ensure(cfg: Config, transport: httpx.BaseTransport | None = None) -> Registered:
    """Build (cached) and register the test image as the admin."""
    out = build(image_dir(cfg))
    session = PasswordSession(admin_credentials(cfg), transport=transport)
    registered = register(session, out)
    LOG.info(
        "test image: %s %s (%s)",
        "registered" if registered.created else "already registered as",
        IMAGE_NAME,
        registered.image_id,
    )
    return registered


def add_parser(msub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``stratus manage image build-test [--register] [--output DIR]``."""
    images = msub.add_parser("image", help="images").add_subparsers(
        dest="image_command", required=True
    )
    bt = images.add_parser(
        "build-test", help="build the test guest image from Debian packages (cached)"
    )
    bt.add_argument(
        "--register",
        action="store_true",
        help=f"register it as the public image {IMAGE_NAME!r} (the cloud must be running)",
    )
    bt.add_argument("--output", default=None, help="directory (default: [compute] test_image_dir)")


def run(args: argparse.Namespace, cfg: Config) -> int:
    """``stratus manage image ...``; returns the exit code."""
    out = Path(args.output) if args.output else image_dir(cfg)
    try:
        build(out)
        print(f"test image in {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
        if args.register:
            session = PasswordSession(admin_credentials(cfg))
            registered = register(session, out)
            state = "registered" if registered.created else "already registered"
            print(f"{state}: image {IMAGE_NAME} {registered.image_id}")
    except (TestImageError, AuthError, ConfigError) as exc:
        print(f"stratus manage image build-test: {exc}", file=sys.stderr)
        return 1
    return 0


__all__ = ["IMAGE_NAME", "Registered", "TestImageError", "build", "ensure", "register"]
