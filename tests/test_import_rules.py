"""docs/DESIGN.md §2 import rule: data flows one way. Walk every module's imports and fail on a back edge."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package -> internal packages it may import (besides itself). graphrec.types / errors / config are leaves.
ALLOWED: dict[str, set[str]] = {
    "graphrec.types": set(),
    "graphrec.errors": set(),
    "graphrec.mapping": {"graphrec.errors"},
    "graphrec.config": {"graphrec.errors", "graphrec.mapping"},
    "graphrec.db": {"graphrec.mapping", "graphrec.config", "graphrec.errors", "graphrec.types", "graphrec.process"},
    "graphrec.localdb": {"graphrec.errors", "graphrec.config", "graphrec.process"},
    "graphrec.ingest": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types"},
    "graphrec.features": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types"},
    "graphrec.writeback": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types",
                           "graphrec.artefact", "graphrec.artefact_check", "graphrec.ranking"},
    "graphrec.recommend": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types"},
    "graphrec.browser": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.localdb",
                         "graphrec.recommend"},
    "graphrec.gds": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types"},
    "graphrec.loaders": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types"},
    "graphrec.nn": {"graphrec.types"},
    "graphrec.artefact": {"graphrec.types", "graphrec.errors", "graphrec.artefact_check"},
    "graphrec.artefact_check": {"graphrec.errors"},
    "graphrec.ranking": set(),
    "graphrec.process": set(),
    "graphrec.train": {"graphrec.nn", "graphrec.loaders.types", "graphrec.loaders.sampler", "graphrec.types",
                       "graphrec.errors",
                       "graphrec.artefact", "graphrec.ranking"},
    "graphrec.serve": {"graphrec.mapping", "graphrec.db", "graphrec.config", "graphrec.errors", "graphrec.types",
                       "graphrec.recommend"},
    "graphrec.cli": {"*"},
    "graphrec.api": {"*"},
    "benchmarks": {"*"},
}


def _package(module: str) -> str | None:
    for pkg in sorted(ALLOWED, key=len, reverse=True):
        if module == pkg or module.startswith(pkg + "."):
            return pkg
    return None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] in ("graphrec", "benchmarks")}


def test_no_back_edges() -> None:
    violations = []
    checked = 0
    for path in sorted([*ROOT.joinpath("graphrec").rglob("*.py"), *ROOT.joinpath("benchmarks").rglob("*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        own = _package(module)
        if own is None:
            continue
        checked += 1
        allowed = ALLOWED[own]
        for imp in _imports(path):
            target = _package(imp) or imp
            if "*" in allowed or target == own or target in allowed or imp in allowed:
                continue
            violations.append(f"{module} imports {imp}")
    assert checked > 10
    assert not violations, "\n".join(violations)


def test_the_package_never_imports_the_benchmarks() -> None:
    """``benchmarks/`` is not in the wheel: an installed graphrec importing it would fail."""
    offenders = [str(p.relative_to(ROOT)) for p in sorted(ROOT.joinpath("graphrec").rglob("*.py"))
                 if any(m.split(".")[0] == "benchmarks" for m in _imports(p))]
    assert not offenders, offenders
    assert not ROOT.joinpath("graphrec", "bench").exists()
