"""Every top-level package of ``src/stratus`` sits in the import-linter layers contract, so the
layering drawn in ``docs/contributor/repo-overview.md`` is checked by ``lint-imports``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    named = {m.strip() for layer in layers for m in re.split(r"[|:]", layer)}
    packages = {
        f"stratus.{p.name}"
        for p in (ROOT / "src" / "stratus").iterdir()
        if (p / "__init__.py").is_file()
    }
    assert packages == named
