"""The shared jar cache: two first starts at once on a fresh machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RESOLVE = "from graphrec.localdb.runtime import ensure_jars; print(ensure_jars(quiet=True))"


def test_first_resolves_at_once_all_succeed(tmp_path: Path) -> None:
    """Before the lock, the second process deleted the first one's half-copied lib/ (FileNotFoundError)."""
    env = {**os.environ, "GRAPHREC_CACHE_DIR": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-c", RESOLVE], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    rt = Path(outs[0][0].strip())
    assert (rt / ".complete").read_text().strip()
    jars = sorted(j.name for j in (rt / "lib").glob("*.jar"))
    assert any(j.startswith("org.neo4j.neo4j-") for j in jars)
    assert sorted(p.name for p in (rt / "plugins").iterdir())    # APOC/GDS links made once, not doubled
