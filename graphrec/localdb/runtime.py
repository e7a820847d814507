"""Resolve the server's jars from Maven Central once, with the project's pom, and cache them.

``lib/`` holds every jar (the classpath); ``plugins/`` links the APOC and GDS jars, which Neo4j
scans for procedures. Maven keeps its own copy in ``~/.m2``, so a second resolve needs no network.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from graphrec.errors import ServerError

NEO4J_VERSION = "5.26.19"
PLUGIN_PREFIXES = ("org.neo4j.gds.", "org.neo4j.procedure.apoc")


def pom_path() -> Path:
    """The pom that pins Neo4j, APOC, GDS and Browser versions."""
    return Path(str(resources.files("graphrec.localdb") / "pom.xml"))


def check_java() -> str:
    """Return ``java -version``'s first line.

    Raises:
        ServerError: Java missing or older than 17.
    """
    java = shutil.which("java")
    if not java:
        raise ServerError("Java 17+ is required to run the local Neo4j, and `java` is not on PATH")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise ServerError(f"cannot read the Java version from `java -version`: {out.strip()[:200]}")
    major = int(m.group(1))
    if major == 1 and m.group(2):
        major = int(m.group(2))
    if major < 17:
        raise ServerError(f"Java 17+ is required to run Neo4j 5.26, found Java {major} at {java}")
    return out.splitlines()[0]


def runtime_dir() -> Path:
    """Where this version's jars are cached: ``$GRAPHREC_CACHE_DIR`` or ``~/.cache/graphrec``.

    Shared by every server (the user's, throwaway test servers), so jars are resolved once.
    """
    base = os.environ.get("GRAPHREC_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graphrec")
    return Path(base) / "runtime" / f"neo4j-{NEO4J_VERSION}"


def ensure_jars(quiet: bool = False) -> Path:
    """Resolve the jars with Maven unless already cached; returns the runtime directory.

    Two first starts at once (two servers on a fresh machine) take turns on a lock file beside the
    runtime directory: the second finds the first one's complete resolve instead of deleting it.

    Raises:
        ServerError: Maven missing or the resolve failed.
    """
    rt = runtime_dir()
    if (rt / ".complete").exists():
        return rt
    rt.parent.mkdir(parents=True, exist_ok=True)
    with open(rt.parent / f".{rt.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # released when the file closes, or when the process dies
        return _resolve(rt, quiet)


def _resolve(rt: Path, quiet: bool) -> Path:
    lib, plugins, done = rt / "lib", rt / "plugins", rt / ".complete"
    if done.exists():
        return rt
    mvn = shutil.which("mvn")
    if not mvn:
        raise ServerError("Maven (`mvn`) is required once to fetch Neo4j's jars from Maven Central; install it")
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir(parents=True)
    cmd = [mvn, "-B", "-f", str(pom_path()), "dependency:copy-dependencies", "-Dmdep.prependGroupId=true",
           f"-DoutputDirectory={lib}", "-DincludeScope=runtime"]
    if quiet:
        cmd.insert(1, "-q")
    proc = subprocess.run(cmd, capture_output=quiet, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout or "")[-800:] if quiet else ""
        raise ServerError(f"Maven could not resolve Neo4j {NEO4J_VERSION} jars (exit {proc.returncode}) {tail}")
    if plugins.exists():
        shutil.rmtree(plugins)
    plugins.mkdir()
    for jar in sorted(lib.glob("*.jar")):
        if jar.name.startswith(PLUGIN_PREFIXES):
            (plugins / jar.name).symlink_to(jar)
    done.write_text(NEO4J_VERSION + "\n")  # written last: an interrupted resolve is redone
    return rt
