"""The ``stratus`` command."""

from __future__ import annotations

import argparse
import sys

from stratus.common import config, log, private_paths
from stratus.common.config import ConfigError

# the long-running commands; each keeps its state in the data directory
SERVICES = ("up", "api", "compute", "novncproxy", "conductor", "scheduler")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stratus", description="Stratus: a compact OpenStack-compatible cloud"
    )
    parser.add_argument(
        "--config-file",
        default=None,
        help="INI file (default: $STRATUS_CONFIG, DIR/stratus.conf, /etc/stratus/stratus.conf)",
    )
    parser.add_argument("--data-dir", default=None, help="state directory (default ./var)")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole cloud in one process (SQLite, in-process bus)")
    up.add_argument(
        "--data-dir", dest="data_dir_sub", default=None, help="state directory (default ./var)"
    )
    up.add_argument(
        "--virt", default=None, help="virt driver: qemu | fake (default: [compute] virt_driver)"
    )
    api = sub.add_parser("api", help="run the REST APIs")
    api.add_argument("--data-dir", dest="data_dir_sub", default=None)
    compute = sub.add_parser("compute", help="run a compute agent (never opens the database)")
    compute.add_argument("--data-dir", dest="data_dir_sub", default=None)
    compute.add_argument("--host", default=None, help="host name (default: [DEFAULT] host)")
    compute.add_argument(
        "--virt", default=None, help="virt driver: fake | qemu (default: [compute] virt_driver)"
    )
    proxy = sub.add_parser("novncproxy", help="run the noVNC console proxy of a compute host")
    proxy.add_argument("--data-dir", dest="data_dir_sub", default=None)
    proxy.add_argument("--host", default=None, help="compute host name (default: [DEFAULT] host)")
    for name, text in (
        ("conductor", "run the conductor (workflows; the compute agents' database access)"),
        ("scheduler", "run the scheduler (placement and resource claims)"),
    ):
        service = sub.add_parser(name, help=text)
        service.add_argument("--data-dir", dest="data_dir_sub", default=None)
    from stratus.cmd import manage

    manage.add_parser(sub)
    from stratus.cli import ssh

    ssh.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "ssh":  # a tenant command: OS_* credentials, no Stratus configuration
        from stratus.cli import ssh

        return ssh.run(args)
    data_dir = getattr(args, "data_dir_sub", None) or args.data_dir
    # NOTE: --virt goes in as an override so defaults derived from it (the network backend)
    # follow the command line, not the file.
    virt = getattr(args, "virt", None)
    overrides = {"compute": {"virt_driver": virt}} if virt else None
    try:
        cfg = config.load(args.config_file, state_path=data_dir, overrides=overrides)
    except ConfigError as exc:
        print(f"stratus: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.debug:
        cfg.default.debug = True
    log.setup(cfg.default.debug, cfg.default.log_format, cfg.default.log_file)
    if args.command in SERVICES:
        try:
            # NOTE: before anything writes into it: it holds every secret of the cloud
            private_paths.make_dir(cfg.state_path, tighten_existing=True)
        except OSError as exc:
            print(
                f"stratus {args.command}: data directory {cfg.state_path}: {exc}", file=sys.stderr
            )
            return 2
    if args.command == "up":
        from stratus.cmd import all_in_one

        return all_in_one.run(cfg)
    if args.command == "api":
        from stratus.cmd import api

        return api.run(cfg)
    if args.command == "compute":
        from stratus.cmd import compute

        return compute.run(cfg, args.host, args.virt)
    if args.command == "novncproxy":
        from stratus.cmd import novncproxy

        return novncproxy.run(cfg, args.host)
    if args.command == "conductor":
        from stratus.cmd import conductor

        return conductor.run(cfg)
    if args.command == "scheduler":
        from stratus.cmd import scheduler

        return scheduler.run(cfg)
    from stratus.cmd import manage

    return manage.run(args, cfg)


if __name__ == "__main__":
    sys.exit(main())
