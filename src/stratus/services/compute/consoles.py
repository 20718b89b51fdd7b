"""Remote consoles (Nova's ``os-remote-consoles`` + consoleauth): console URLs and their tokens.

``remote_console`` (the API) checks the request like Nova (400 for console types Stratus does
not offer, 409 for a server that is not running on a host that is up), asks the instance's
host where its VNC server is and what its noVNC page is (``get_vnc_console``), and stores a new
token: 32 random bytes, URL-safe; only their SHA-256 goes into ``console_auth_tokens``, bound
to that instance on that host, valid once for ``[vnc] token_ttl`` seconds. The URL is the
host's noVNC page with ``?path=%3Ftoken%3D<token>`` (noVNC then connects its websocket to
``/?token=<token>``).

``consume_token`` (the conductor, for the console proxy on a compute host) turns a token back
into the connection info exactly once, and only while its instance still lives on that host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import urllib.parse

from stratus.common import clock, exceptions
from stratus.db.repositories.compute import console_tokens, instances
from stratus.db.session import Database
from stratus.objects import states as s
from stratus.objects.console import ConsoleConnectInfo
from stratus.services.compute import server_status
from stratus.services.compute.servers import ServerApi

LOG = logging.getLogger(__name__)

TOKEN_BYTES = 32
NOVNC = "novnc"
# what the VNC server can show: a running guest (a paused one shows its last screen)
CONSOLE_VM_STATES = (s.ACTIVE, s.PAUSED)
# Nova's ``reject_instance_state`` on get_vnc_console
REJECTED_TASK_STATES = (s.DELETING, s.MIGRATING)
RPC_TIMEOUT = 30.0


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def console_url(access_url_base: str, token: str) -> str:
    """``<base>?path=%3Ftoken%3D<token>`` (``&path=…`` when the base has a query already)."""
    path = urllib.parse.quote(f"?token={token}", safe="")
    sep = "&" if "?" in access_url_base else "?"
    return f"{access_url_base}{sep}path={path}"


def check_console_type(protocol: str, console_type: str) -> None:
    """400 with Nova's messages: only ``vnc`` / ``novnc`` consoles exist in Stratus."""
    if protocol != "vnc":
        raise exceptions.Invalid(f"Unavailable console type {console_type}.")
    if console_type != NOVNC:
        raise exceptions.Invalid(f"Invalid console type {console_type}")


def remote_console(api: ServerApi, uuid: str, protocol: str, console_type: str) -> str:
    """A new console URL for server ``uuid`` (404 unknown/other project, 400, 409)."""
    with api.db.read() as session:
        row = api.load(session, uuid)
        check_console_type(protocol, console_type)
        host = api.check_host(session, row)
        server_status.check(
            "get_vnc_console", uuid, row.vm_state, row.task_state, CONSOLE_VM_STATES, None
        )
        if row.task_state in REJECTED_TASK_STATES:
            raise exceptions.Conflict(
                f"Cannot 'get_vnc_console' instance {uuid} while it is in task_state "
                f"{row.task_state}"
            )
        instance = instances.to_object(session, row)
    compute = api.compute.prepare(timeout=RPC_TIMEOUT)
    info = compute.get_vnc_console(host, instance, console_type)
    token = new_token()
    now = clock.utcnow()
    expires = now + dt.timedelta(seconds=max(1, api.cfg.vnc.token_ttl))
    with api.db.write() as session:
        console_tokens.delete_expired(session, now)
        console_tokens.create(
            session, token_hash(token), uuid, info.console_type, info.host,
            info.internal_access_path, now, expires,
        )  # fmt: skip
    LOG.info("console token for instance %s on %s, valid until %s", uuid, info.host, expires)
    return console_url(info.access_url_base, token)


def consume_token(db: Database, token: str) -> ConsoleConnectInfo | None:
    """The connection info of ``token`` if it is valid now (then it is used up), else None.

    Valid: known, unused, unexpired, and its instance still exists on the token's host.
    """
    if not token or len(token) > 256:
        return None
    digest = token_hash(token)
    now = clock.utcnow()
    with db.write() as session:
        row = console_tokens.consume(session, digest, now)
        if row is None:
            known = console_tokens.find(session, digest)
            reason = "unknown" if known is None else ("used" if known.used else "expired")
            LOG.info("console token refused: %s", reason)
            return None
        instance = console_tokens.live_instance(session, row.instance_uuid)
        if instance is None or instance.host != row.host:
            LOG.info("console token refused: instance %s is no longer on %s",
                     row.instance_uuid, row.host)  # fmt: skip
            return None
        LOG.info("console token accepted for instance %s on %s", row.instance_uuid, row.host)
        return ConsoleConnectInfo(
            instance_uuid=row.instance_uuid,
            host=row.host,
            console_type=row.console_type,
            internal_access_path=row.internal_access_path or "",
        )
