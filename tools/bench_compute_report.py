"""Nova's reference figures and the summary table of ``tools/bench_compute.py``.

The Nova column quotes ``../shared/reference/nova-fake-driver.md`` (three runs on a 2-core,
24 GiB Debian 12 machine, fake virt driver); the goal column is 10x those figures as the same
document states them. Nothing here passes or fails: figures are only printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Results = dict[str, Any]


@dataclass(frozen=True)
class Figure:
    """One row: how to read Stratus's value out of a deployment's results."""

    label: str
    nova: str
    goal: str
    value: Callable[[Results], Any]
    unit: str = ""


def dig(results: Results, *path: str) -> Any:
    """``results[path[0]][path[1]]...`` or None when any step is missing."""
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _ref(*path: str) -> Callable[[Results], Any]:
    return lambda r: dig(r, "reference", *path)


def _peak_rss_total(r: Results) -> Any:
    peaks = r.get("peak_rss_mb")
    return round(sum(peaks.values()), 1) if peaks else None


def _peak_rss_each(r: Results) -> Any:
    peaks = r.get("peak_rss_mb")
    return ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()) if peaks else None


def _listing(r: Results, key: str) -> Any:
    shown = dig(r, "many", key)
    if not shown:
        return None
    return (
        f"{shown['median_ms']:,.0f} ms ({shown['servers_listed']:,} listed in "
        f"{shown['pages']} request{'s' if shown['pages'] > 1 else ''}; "
        f"CPU {shown.get('cpu_ms_per_request', 0):,.0f} ms)"
    )


def _infra(r: Results) -> Any:
    infra = r.get("infra_memory")
    if not infra:
        return None
    return ", ".join(f"{k} {v['rss_mb']:.0f} / {v['pss_mb']:.0f} MB" for k, v in infra.items())


def _sched(backend: str) -> Callable[[Results], Any]:
    def value(r: Results) -> Any:
        figures = r.get("scheduler")
        if not isinstance(figures, dict) or figures.get("backend") != backend:
            return None
        engine, rpc = figures["engine"], figures["rpc_in_process_bus"]
        return f"{engine['median_ms']} (p95 {engine['p95_ms']}); over bus {rpc['median_ms']}"

    return value


FIGURES = [
    Figure(
        "start-up (all-in-one: APIs answer; separate: all up in os-services)",
        "34.0-41.4 s",
        "≤ 3 s",
        lambda r: r["startup_s"],
        " s",
    ),
    Figure(
        "POST → ACTIVE, median of 20 (0.1 s poll)",
        "704-944 ms",
        "≤ 70 ms",
        _ref("a_single_create_to_active_ms", "median"),
        " ms",
    ),
    Figure(
        "POST → ACTIVE, median of 20 (10 ms poll; not in the reference method)",
        "—",
        "≤ 70 ms",
        lambda r: dig(r, "fine_poll", "create_to_active_ms", "median"),
        " ms",
    ),
    Figure(
        "200 created at concurrency 10",
        "1.36-1.66 /s",
        "≥ 15 /s",
        _ref("b_create", "servers_per_s"),
        " /s",
    ),
    Figure(
        "the same 200 deleted at concurrency 10",
        "2.37-3.31 /s",
        "≥ 30 /s",
        _ref("b_delete", "servers_per_s"),
        " /s",
    ),
    Figure(
        "CPU per server created (all services)",
        "≈ 1,200 ms (1.8 cores ÷ 1.5 /s, derived)",
        "≤ 120 ms",
        _ref("b_create", "cpu", "cpu_ms_per_server_all"),
        " ms",
    ),
    Figure(
        "GET /servers/detail with 200, median of 50",
        "1,303-1,365 ms",
        "≤ 130 ms",
        _ref("c_servers_detail_ms", "median"),
        " ms",
    ),
    Figure(
        "CPU per /servers/detail of 200",
        "≈ 1,500 ms",
        "≤ 150 ms",
        _ref("c_servers_detail_ms", "cpu_ms_per_request"),
        " ms",
    ),
    Figure(
        "GET /servers/detail with 2,000 present, default request, median of 20",
        "—",
        "—",
        lambda r: _listing(r, "detail_default"),
    ),
    Figure(
        "the same with limit=2000",
        "—",
        "—",
        lambda r: _listing(r, "detail_limit_2000"),
    ),
    Figure(
        "all 2,000, following servers_links",
        "—",
        "—",
        lambda r: _listing(r, "detail_all_pages"),
    ),
    Figure(
        "RSS of all services, idle",
        "1,913-1,988 MB",
        "≤ 400 MB",
        _ref("memory_idle", "openstack_services", "rss_mb"),
        " MB",
    ),
    Figure(
        "RSS of all services with 200 servers",
        "2,105-2,124 MB",
        "≤ 400 MB",
        _ref("memory_with_servers", "openstack_services", "rss_mb"),
        " MB",
    ),
    Figure("peak RSS (VmHWM) summed, at the end", "—", "≤ 400 MB", _peak_rss_total, " MB"),
    Figure("peak RSS per process", "21 processes", "—", _peak_rss_each, " MB"),
    Figure(
        "RabbitMQ + database RSS / PSS (not counted above)",
        "≈ 300 MB (MariaDB + RabbitMQ)",
        "—",
        _infra,
    ),
    Figure(
        "scheduler decision, 1,000 hosts, SQLite (median ms)",
        "—",
        "—",
        _sched("sqlite"),
    ),
    Figure(
        "scheduler decision, 1,000 hosts, PostgreSQL (median ms)",
        "—",
        "—",
        _sched("postgresql+psycopg"),
    ),
]


def cell(figure: Figure, results: Results | None) -> str:
    if results is None:
        return "not run"
    if results.get("error"):
        return "failed"
    try:
        value = figure.value(results)
    except (KeyError, TypeError):
        value = None
    if value is None:
        return "—"
    if isinstance(value, float):
        value = (
            f"{value:,.2f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
        )
    return f"{value}{figure.unit}"


def rows(deployments: dict[str, Results | None]) -> list[list[str]]:
    header = ["figure", "Nova (3 runs)", "10x goal", *deployments]
    out = [header]
    for figure in FIGURES:
        out.append(
            [
                figure.label,
                figure.nova,
                figure.goal,
                *(cell(figure, d) for d in deployments.values()),
            ]
        )
    return out


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for n, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)
