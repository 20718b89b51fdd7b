"""``stratus manage service list | host list | cell discover-hosts`` (operator views of the
compute control plane, read straight from the database)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from stratus.api import deploy
from stratus.common import clock
from stratus.common.config import Config
from stratus.db.repositories.compute import heartbeats
from stratus.db.session import Database
from stratus.services import servicegroup


def add_parsers(msub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    service = msub.add_parser("service", help="compute control-plane services")
    ssub = service.add_subparsers(dest="service_command", required=True)
    listing = ssub.add_parser("list", help="every service with its zone, status and state")
    listing.add_argument("--binary", default=None)
    listing.add_argument("--host", default=None)
    host = msub.add_parser("host", help="hosts running compute control-plane services")
    host.add_subparsers(dest="host_command", required=True).add_parser("list", help="list hosts")
    cell = msub.add_parser("cell", help="compute host discovery (nova-manage cell_v2)")
    discover = cell.add_subparsers(dest="cell_command", required=True).add_parser(
        "discover-hosts", help="map new compute hosts (Stratus does this automatically)"
    )
    discover.add_argument("--verbose", action="store_true", help="print every host")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An OpenStackClient-style ASCII table."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(row: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"

    body = [line(r) for r in cells[1:]]
    return "\n".join([rule, line(cells[0]), rule, *body, rule])


def service_rows(
    db: Database, cfg: Config, binary: str | None, host: str | None
) -> list[list[object]]:
    with db.read() as session:
        zones = servicegroup.host_zones(session, cfg)
        return [
            [
                row.id,
                row.binary,
                row.host,
                servicegroup.zone_of(row, cfg, zones),
                servicegroup.status(row),
                servicegroup.state(row, cfg),
                clock.isotime(servicegroup.updated_at(row)),
                row.disabled_reason or "",
            ]
            for row in servicegroup.list_services(session, binary=binary, host=host)
        ]


def host_rows(db: Database, cfg: Config) -> list[list[object]]:
    with db.read() as session:
        zones = servicegroup.host_zones(session, cfg)
        hosts: dict[str, list[str]] = {}
        zone: dict[str, str] = {}
        for row in servicegroup.list_services(session):
            hosts.setdefault(row.host, []).append(row.binary)
            if row.binary == servicegroup.COMPUTE or row.host not in zone:
                zone[row.host] = servicegroup.zone_of(row, cfg, zones)
        return [[h, zone[h], ", ".join(sorted(b))] for h, b in sorted(hosts.items())]


def discover_hosts(db: Database, verbose: bool) -> list[str]:
    """Lines to print: compute hosts found, and hosts whose agent never reported resources."""
    with db.read() as session:
        nodes = [(n.host, n.hypervisor_hostname) for n in heartbeats.list_nodes(session)]
        computes = [s.host for s in heartbeats.list_services(session, servicegroup.COMPUTE)]
    with_nodes = {host for host, _node in nodes}
    lines = []
    if verbose:
        lines += [f"Compute host {host} (node {node}) is mapped" for host, node in nodes]
    lines += [
        f"Compute host {host} has a service record but reported no resources yet "
        "(is its stratus compute agent running?)"
        for host in computes
        if host not in with_nodes
    ]
    lines.append(
        f"Found {len(with_nodes)} compute host(s); all are mapped "
        "(Stratus maps compute hosts automatically when they first report)."
    )
    return lines


def run(args: argparse.Namespace, cfg: Config) -> int:
    db = deploy.open_database(cfg)
    try:
        if args.manage_command == "service":
            headers = ["Id", "Binary", "Host", "Zone", "Status", "State", "Updated At", "Reason"]
            print(table(headers, service_rows(db, cfg, args.binary, args.host)))
        elif args.manage_command == "host":
            print(table(["Host", "Zone", "Services"], host_rows(db, cfg)))
        else:
            print("\n".join(discover_hosts(db, args.verbose)))
    finally:
        db.dispose()
    return 0
