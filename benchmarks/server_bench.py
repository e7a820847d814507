"""Local Neo4j start-up figures: jar resolve (cold, with an empty Maven repository), first start,
warm restart, and idle server RSS.

Run: ``python -m benchmarks.server_bench [--cold]`` (``--cold`` downloads ~150 MB of jars from
Maven Central into a temporary Maven repository, to time a first run on a fresh machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.report import write_section
from graphrec.localdb.local import LocalNeo4j, free_port
from graphrec.localdb.runtime import NEO4J_VERSION, pom_path


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cold_resolve_seconds(work: Path) -> float:
    """Time `mvn dependency:copy-dependencies` with an empty local Maven repository (real downloads)."""
    repo, out = work / "m2", work / "lib"
    t0 = time.perf_counter()
    subprocess.run(["mvn", "-q", "-B", "-f", str(pom_path()), f"-Dmaven.repo.local={repo}",
                    "dependency:copy-dependencies", "-Dmdep.prependGroupId=true", f"-DoutputDirectory={out}",
                    "-DincludeScope=runtime"], check=True)
    took = time.perf_counter() - t0
    shutil.rmtree(repo, ignore_errors=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="also time a jar download from Maven Central")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.cold:
            rows.append(("jar resolve, empty Maven repository (download)", f"{cold_resolve_seconds(work):.1f} s"))
        server = LocalNeo4j(home=work / "home", password="bench-" + os.urandom(6).hex(), bolt_port=free_port(),
                            http_port=free_port())
        try:
            t0 = time.perf_counter()
            server.start()
            rows.append(("first start, empty store (jars cached)", f"{time.perf_counter() - t0:.1f} s"))
            time.sleep(10)
            pid = server.pid()
            assert pid is not None
            rows.append(("idle server RSS, 10 s after start (heap 1g, page cache 512m)", f"{rss_mb(pid):.0f} MB"))
            server.stop()
            t0 = time.perf_counter()
            server.start()
            rows.append(("warm restart (existing store)", f"{time.perf_counter() - t0:.1f} s"))
            t0 = time.perf_counter()
            server.stop()
            rows.append(("clean stop", f"{time.perf_counter() - t0:.1f} s"))
        finally:
            server.stop()
    body = [f"## Local Neo4j {NEO4J_VERSION} server", "", "`python -m benchmarks.server_bench"
            + (" --cold`" if args.cold else "`"), "", "| figure | value |", "|---|---|"]
    body += [f"| {k} | {v} |" for k, v in rows]
    write_section("server", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
