"""``stratus manage``: operator commands (``nova-manage`` / ``keystone-manage`` equivalents)."""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from stratus.api import deploy
from stratus.api.common import openapi
from stratus.api.compute import openapi_bodies as compute_bodies
from stratus.api.network import openapi_bodies as network_bodies
from stratus.cmd import manage_compute, test_image
from stratus.common.config import Config, render_ini
from stratus.db import migrate
from stratus.identity import fernet
from stratus.messaging.inproc import InProcBus
from stratus.services.identity import bootstrap


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    manage = sub.add_parser("manage", help="operator commands")
    msub = manage.add_subparsers(dest="manage_command", required=True)
    db = msub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("sync", help="upgrade the schema to the newest version (idempotent)")
    db.add_parser("version", help="print the schema version")
    fk = msub.add_parser("fernet", help="token encryption keys").add_subparsers(
        dest="fernet_command", required=True
    )
    fk.add_parser("setup", help="create the key repository")
    fk.add_parser("rotate", help="rotate the keys")
    msub.add_parser("bootstrap", help="create the default domain, roles, projects and users")
    api = msub.add_parser("openapi", help="print the OpenAPI document of a service")
    api.add_argument("service", choices=["identity", "image", "compute", "network"])
    api.add_argument("--format", choices=["yaml", "json"], default="yaml")
    msub.add_parser("config", help="print the effective configuration as INI")
    test_image.add_parser(msub)
    manage_compute.add_parsers(msub)


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases: a published document is read by people too."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_DESCRIPTIONS = {"compute": compute_bodies.DESCRIPTION}


def openapi_document(cfg: Config, service: str) -> dict[str, object]:
    """The OpenAPI document of ``service``, built from the routers of a throwaway app."""
    db = deploy.open_database(cfg)
    try:
        with InProcBus("memory://openapi") as bus:
            apps = {a.name: a for a in deploy.build_apps(cfg, db, bus)}
    finally:
        db.dispose()
    app = apps[service].app
    state = app.state.stratus
    bodies = results = None
    if service == "compute":
        bodies, results = compute_bodies.bodies(state.server_actions), compute_bodies.results()
    elif service == "network":
        bodies, results = network_bodies.bodies(), network_bodies.results()
    return openapi.document(
        service,
        "1.0",
        app.state.operations,
        fault_style=state.fault_style,
        bodies=bodies,
        results=results,
        description=_DESCRIPTIONS.get(service, ""),
    )


def run(args: argparse.Namespace, cfg: Config) -> int:
    cmd = args.manage_command
    if cmd in ("service", "host", "cell"):
        return manage_compute.run(args, cfg)
    if cmd == "image":
        return test_image.run(args, cfg)
    if cmd == "db":
        db = deploy.open_database(cfg)
        try:
            if args.db_command == "sync":
                migrate.sync(db.engine)
            print(migrate.current(db.engine) or "empty")
        finally:
            db.dispose()
    elif cmd == "fernet":
        repo = cfg.fernet_tokens.key_repository
        if args.fernet_command == "setup":
            print("created" if fernet.setup(repo) else "exists", repo)
        else:
            print("new primary key:", fernet.rotate(repo, cfg.fernet_tokens.max_active_keys))
    elif cmd == "bootstrap":
        db = deploy.open_database(cfg)
        try:
            deploy.prepare(cfg, db)
        finally:
            db.dispose()
        print("bootstrapped; credentials in", bootstrap.openrc_path(cfg.state_path, "admin"))
    elif cmd == "openapi":
        doc = openapi_document(cfg, args.service)
        text = (
            yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False)
            if args.format == "yaml"
            else json.dumps(doc, indent=2)
        )
        sys.stdout.write(text)
    elif cmd == "config":
        sys.stdout.write(render_ini(cfg))
    return 0
