"""The ``stratus`` command."""

from __future__ import annotations

import argparse
import sys

from stratus.common import config, log
from stratus.common.config import ConfigError


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
        "--virt", default=None, help="virt driver: fake (default: [compute] virt_driver)"
    )
    api = sub.add_parser("api", help="run the REST APIs")
    api.add_argument("--data-dir", dest="data_dir_sub", default=None)
    compute = sub.add_parser("compute", help="run a compute agent (never opens the database)")
    compute.add_argument("--data-dir", dest="data_dir_sub", default=None)
    compute.add_argument("--host", default=None, help="host name (default: [DEFAULT] host)")
    compute.add_argument(
        "--virt", default=None, help="virt driver: fake | qemu (default: [compute] virt_driver)"
    )
    for name, text in (
        ("conductor", "run the conductor (workflows; the compute agents' database access)"),
        ("scheduler", "run the scheduler (placement and resource claims)"),
    ):
        service = sub.add_parser(name, help=text)
        service.add_argument("--data-dir", dest="data_dir_sub", default=None)
    from stratus.cmd import manage

    manage.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data_dir = getattr(args, "data_dir_sub", None) or args.data_dir
    try:
        cfg = config.load(args.config_file, state_path=data_dir)
    except ConfigError as exc:
        print(f"stratus: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.debug:
        cfg.default.debug = True
    log.setup(cfg.default.debug, cfg.default.log_format, cfg.default.log_file)
    if args.command == "up":
        from stratus.cmd import all_in_one

        if args.virt:
            cfg.compute.virt_driver = args.virt
        return all_in_one.run(cfg)
    if args.command == "api":
        from stratus.cmd import api

        return api.run(cfg)
    if args.command == "compute":
        from stratus.cmd import compute

        return compute.run(cfg, args.host, args.virt)
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
