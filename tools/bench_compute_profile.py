"""``tools/bench_compute.py --profile``: py-spy on every Stratus process while the reference runs.

``py-spy record --format raw`` writes collapsed stacks (``frame;frame;... count``, idle threads
left out, so the counts are CPU samples). :func:`hot_spots` charges every sample to the innermost
Stratus frame on its stack (``stratus/...py:line``) and to its innermost frame of any code, and
prints the top of both lists. Profiling slows the services: figures of a profiled run are not
comparable with an unprofiled one.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

from bench_compute_procs import Proc

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


@contextlib.contextmanager
def profiling(procs: Mapping[str, Proc], outdir: Path, rate: int = 100) -> Iterator[None]:
    """Record every process in ``procs`` until the block ends; raw stacks in ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    spies = []
    for name, proc in procs.items():
        cmd = [py_spy(), "record", "--gil", "--format", "raw", "--rate", str(rate)]
        cmd += ["--pid", str(proc.popen.pid), "--output", str(outdir / f"{name}.txt")]
        spies.append(Proc.start(f"py-spy-{name}", cmd, {}, outdir / f"{name}.py-spy.log"))
    try:
        yield
    finally:
        for spy in spies:
            spy.stop(signal.SIGINT)


def _frames(stack: str) -> list[tuple[str, str, int]]:
    out = []
    for raw in stack.split(";"):
        m = FRAME.match(raw.strip())
        if m:
            out.append((m["func"], m["file"], int(m["line"])))
    return out


def hot_spots(raw: Path, top: int = 12) -> dict[str, list[tuple[float, str]]]:
    """Shares of CPU samples by innermost Stratus frame and by innermost frame of any code."""
    stratus: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), _frames(stack)
        total += n
        if frames:
            func, file, lineno = frames[-1]
            leaf[f"{file}:{lineno} {func}"] += n
        own = next((f for f in reversed(frames) if "stratus/" in f[1]), None)
        stratus[f"{own[1]}:{own[2]} {own[0]}" if own else "(no Stratus frame)"] += n

    def share(counter: Counter[str]) -> list[tuple[float, str]]:
        return [(round(100 * c / max(total, 1), 1), k) for k, c in counter.most_common(top)]

    return {"samples": [(float(total), "total")], "stratus": share(stratus), "leaf": share(leaf)}


def report(outdir: Path) -> dict[str, dict[str, list[tuple[float, str]]]]:
    """Print and return the hot spots of every raw profile in ``outdir``."""
    result = {}
    for raw in sorted(outdir.glob("*.txt")):
        spots = hot_spots(raw)
        result[raw.stem] = spots
        print(f"\n  profile {raw.stem}: {int(spots['samples'][0][0])} samples")
        print("    innermost Stratus frame:")
        for pct, where in spots["stratus"]:
            print(f"      {pct:5.1f}%  {where}")
        print("    innermost frame:")
        for pct, where in spots["leaf"][:6]:
            print(f"      {pct:5.1f}%  {where}")
    return result
