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
    api = sub.add_parser("api", help="run the REST APIs")
    api.add_argument("--data-dir", dest="data_dir_sub", default=None)
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

        return all_in_one.run(cfg)
    if args.command == "api":
        from stratus.cmd import api

        return api.run(cfg)
    from stratus.cmd import manage

    return manage.run(args, cfg)


if __name__ == "__main__":
    sys.exit(main())
