"""Logging set-up: every line says which request it belongs to.

Text lines follow oslo.log's shape::

    2026-11-23 03:42:48.123 4711 INFO stratus.api.identity [req-… user project] message

``log_format = json`` writes one JSON object per line with the same fields, for log shippers.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from stratus.common import context, private_paths

_TEXT_FORMAT = (
    "%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s "
    "[%(request_id)s %(user_id)s %(project_id)s] %(message)s"
)


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``global_request_id``, ``user_id`` and ``project_id`` to records."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        record.request_id = ctx.request_id if ctx else "-"
        record.global_request_id = (ctx.global_request_id if ctx else None) or "-"
        record.user_id = (ctx.user_id if ctx else None) or "-"
        record.project_id = (ctx.project_id if ctx else None) or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "pid": record.process,
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "global_request_id": getattr(record, "global_request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
            "project_id": getattr(record, "project_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data)


def setup(debug: bool = False, fmt: str = "text", log_file: str = "") -> None:
    """Configure the root logger once per process. Idempotent."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_stratus", False):
            root.removeHandler(old)
    handler: logging.Handler
    if log_file:
        # NOTE: created 0600 before the first line: log lines name users, projects and hosts
        private_paths.make_dir(os.path.dirname(os.path.abspath(log_file)))
        private_paths.make_file(log_file, tighten_existing=False)
        handler = logging.FileHandler(log_file)
    else:
        handler = logging.StreamHandler(sys.stderr)
    setattr(handler, "_stratus", True)  # noqa: B010 - marks handlers setup() owns
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT, "%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("amqp", "kombu", "urllib3", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # NOTE: uvicorn's access log duplicates our own request log line, which carries the request id.
    logging.getLogger("uvicorn.access").disabled = True
