"""``stratus ssh SERVER [COMMAND ...]``: SSH into an instance from its network's namespace.

What the installation guides do by hand, done for you::

    ip netns exec qdhcp-<network id> ssh -i KEY cirros@<fixed ip> [COMMAND ...]

The server is found by ID or exact name (compute API, credentials from ``OS_*``); its first
fixed IPv4 address and that port's network come from the networking API; the namespace
``qdhcp-<network id>`` must exist on this machine (run it on the compute host, as root). The key
is ``-i KEY``, or else the private key in ``~/.ssh`` whose public key (``<key>.pub``) has the MD5
fingerprint of the server's key pair (``GET /os-keypairs/<key_name>``). Host keys are not
checked (guests make a new one on every boot) nor remembered. Options go before SERVER;
everything after it is the remote command.

Exit codes (:class:`~stratus.cli.exit_codes.ExitStatus`): ssh's own once it runs; 1 when the
server, its address, the namespace or a key cannot be found; 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import dataclasses
import hashlib
import shlex
from pathlib import Path
from typing import Any

from stratus.cli.env import Environment
from stratus.cli.exit_codes import ExitStatus
from stratus.client import compute, network
from stratus.client.compute import Server
from stratus.client.network import Port
from stratus.client.session import ApiError, Cloud
from stratus.common.exceptions import StratusError

DEFAULT_USER = "cirros"
NAMESPACE_PREFIX = "qdhcp-"
SSH_OPTIONS = (
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-o", "IdentitiesOnly=yes",
)  # fmt: skip


class SshError(StratusError):
    """Why ``stratus ssh`` cannot connect (shown to the user as is)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """Where to connect: the address, the namespace it is reachable from, the key."""

    server: Server
    address: str
    network_id: str
    key: Path
    user: str

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_PREFIX}{self.network_id}"

    def argv(self, command: list[str]) -> list[str]:
        return [
            "ip", "netns", "exec", self.namespace,
            "ssh", *SSH_OPTIONS, "-i", str(self.key), f"{self.user}@{self.address}", *command,
        ]  # fmt: skip


def add_parser(sub: Any) -> None:
    """Register ``stratus ssh`` on the ``stratus`` command's subparsers."""
    parser = sub.add_parser(
        "ssh",
        help="SSH into a server from its network's namespace (on its compute host, as root)",
        description="SSH into a server from its network's namespace, as the guides do by hand: "
        "ip netns exec qdhcp-<network id> ssh -i KEY USER@<fixed ip> [COMMAND ...]",
    )
    parser.add_argument("server", metavar="SERVER", help="server name or ID")
    parser.add_argument(
        "-i", "--identity", default=None, metavar="KEY",
        help="private key (default: the key in ~/.ssh matching the server's key pair)",
    )  # fmt: skip
    parser.add_argument(
        "-l", "--login", default=DEFAULT_USER, metavar="USER",
        help=f"user to log in as (default: {DEFAULT_USER})",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true", help="print the command instead of running it"
    )
    # NOTE: not ``command``: that is the ``stratus`` parser's sub-command name
    parser.add_argument(
        "remote_command",
        nargs=argparse.REMAINDER,
        metavar="COMMAND",
        help="command to run on the server (everything after SERVER)",
    )


def pick_address(server: Server, ports: list[Port]) -> tuple[str, str]:
    """The server's first fixed IPv4 address and the network of the port holding it."""
    by_address = {ip: port for port in ports for ip in port.fixed_ips}
    for addr in server.addresses:
        if addr.kind == "fixed" and addr.version == 4 and addr.address in by_address:
            return addr.address, by_address[addr.address].network_id
    for port in ports:  # NOTE: ``addresses`` lags behind the ports while a server builds
        for ip in port.fixed_ips:
            if ":" not in ip:
                return ip, port.network_id
    raise SshError(
        f"server {server.name} ({server.id}) has no fixed IPv4 address (status {server.status})"
    )


def md5_fingerprint(public_key: str) -> str | None:
    """The MD5 fingerprint (``aa:bb:…``) of an OpenSSH public key line, as Nova shows it."""
    fields = public_key.split()
    if len(fields) < 2:
        return None
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def find_key(ssh_dir: Path, fingerprint: str) -> Path | None:
    """The private key in ``ssh_dir`` whose ``.pub`` file has ``fingerprint``."""
    if not ssh_dir.is_dir():
        return None
    for pub in sorted(ssh_dir.glob("*.pub")):
        private = pub.with_suffix("")
        try:
            line = pub.read_text().strip()
        except OSError:
            continue
        if private.is_file() and md5_fingerprint(line) == fingerprint.lower():
            return private
    return None


def _key_for(cloud: Cloud, server: Server, env: Environment) -> Path:
    if not server.key_name:
        raise SshError(f"server {server.name} was created without a key pair; pass -i KEY")
    try:
        pair = compute.get_keypair(cloud, server.key_name)
    except ApiError as exc:
        if exc.status != 404:
            raise
        raise SshError(
            f"key pair {server.key_name} of server {server.name} is not yours to read "
            "(key pairs belong to the user who made them); pass -i KEY"
        ) from None
    ssh_dir = env.home / ".ssh"
    key = find_key(ssh_dir, pair.fingerprint)
    if key is None:
        raise SshError(
            f"no private key in {ssh_dir} matches key pair {pair.name} "
            f"(fingerprint {pair.fingerprint}); pass -i KEY"
        )
    return key


def resolve(cloud: Cloud, args: argparse.Namespace, env: Environment) -> Target:
    """Everything ``ssh`` needs, or ``SshError`` saying what is missing."""
    server = compute.find_server(cloud, args.server)
    address, network_id = pick_address(server, network.ports_of(cloud, server.id))
    namespace = f"{NAMESPACE_PREFIX}{network_id}"
    if not (env.netns_dir / namespace).exists():
        raise SshError(
            f"network namespace {namespace} does not exist on this machine: run stratus ssh on "
            f"the compute host of server {server.name}"
        )
    if args.identity:
        key = Path(args.identity).expanduser()
        if not key.is_file():
            raise SshError(f"key file {key} does not exist")
    else:
        key = _key_for(cloud, server, env)
    return Target(server, address, network_id, key, args.login)


def run(args: argparse.Namespace, env: Environment | None = None) -> int:
    """Process main of ``stratus ssh``; returns only on errors and with ``--dry-run``."""
    env = env or Environment()
    command = list(args.remote_command)
    if command and command[0] == "--":
        command = command[1:]
    try:
        cloud = Cloud.from_environ(env.environ, transport=env.transport)
        target = resolve(cloud, args, env)
    except StratusError as exc:
        print(f"stratus ssh: {exc.message}", file=env.stderr)
        return ExitStatus.ERROR
    argv = target.argv(command)
    if args.dry_run:
        print(shlex.join(argv), file=env.stdout)
        return ExitStatus.SUCCESS
    if not env.is_root:
        print("stratus ssh: entering a network namespace needs root (sudo -E stratus ssh …)",
              file=env.stderr)  # fmt: skip
        return ExitStatus.ERROR
    env.execvp(argv[0], argv)
    return ExitStatus.ERROR  # only reached when execvp is a test double
