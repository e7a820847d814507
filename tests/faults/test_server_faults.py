"""The server under attack: a store of one's own is private, its password never on a command line, and a
load whose server is killed with SIGKILL exits within ~30 s with one line (issue 10, failures 6 and 7).

These tests start (and kill) a Neo4j of their own, never the session's.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from graphrec.localdb.local import LocalNeo4j, free_port
from tests.conftest import DATASETS

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


@dataclass
class Victim:
    server: LocalNeo4j
    seen: list[str] = field(default_factory=list)  # command lines that held the password


def _watch_cmdlines(secret: str, seen: list[str], stop: threading.Event) -> None:
    """Scan every process's command line (what ``ps`` shows) for ``secret`` until ``stop`` is set."""
    needle = secret.encode()
    while not stop.is_set():
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    cmdline = (proc / "cmdline").read_bytes()
                except OSError:
                    continue
                if needle in cmdline:
                    seen.append(cmdline.replace(b"\0", b" ").decode(errors="replace")[:200])
        time.sleep(0.02)


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Victim]:
    """A fresh local server, its first start watched for the password on any command line."""
    home = tmp_path_factory.mktemp("victim") / "home"  # created by graphrec, not by the test
    server = LocalNeo4j(home=home, password=secrets.token_urlsafe(16), bolt_port=free_port(),
                        http_port=free_port(), heap="512m", pagecache="128m")
    v = Victim(server)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_cmdlines, args=(server.password, v.seen, stop), daemon=True)
    watcher.start()
    try:
        server.start()
    finally:
        stop.set()
        watcher.join()
    try:
        yield v
    finally:
        server.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_is_private_and_the_password_on_no_command_line(victim: Victim) -> None:
    server = victim.server
    assert victim.seen == []
    assert _mode(server.home) == 0o700 and _mode(server.server_dir) == 0o700
    for top in (server.data_dir, server.server_dir / "logs", server.server_dir / "conf"):
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"
    auth = server.data_dir / "dbms" / "auth.ini"
    assert auth.exists() and _mode(auth) == 0o600
    assert not (server.server_dir / "set-initial-password.args").exists()
    with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", server.password)) as drv:
        drv.verify_connectivity()  # the password set through the @argfile is the one in force


def test_load_exits_within_35s_of_the_server_being_killed(victim: Victim, tmp_path: Path) -> None:
    server = victim.server
    env = {**os.environ, "GRAPHREC_HOME": str(server.home), "GRAPHREC_NEO4J_URI": server.bolt_uri,
           "GRAPHREC_NEO4J_PASSWORD": server.password, "GRAPHREC_DATA_DIR": str(DATASETS),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-c", "from graphrec.cli.main import main; main()", "--quiet", "load",
           "movielens-100k", "--split", "u1", "--batch-size", "1000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", server.password)) as drv:
            deadline = time.monotonic() + 240
            while drv.execute_query("MATCH ()-[r:RATED]->() RETURN count(r) AS n").records[0]["n"] < 5_000:
                assert proc.poll() is None, f"load ended before the kill: {proc.communicate()}"
                assert time.monotonic() < deadline, "the load wrote no 5000 RATED in 240 s"
                time.sleep(0.1)
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        out, err = proc.communicate(timeout=90)
        took = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode()
    print(f"load exited {took:.1f}s after the server was killed")
    assert took < 35, f"exited {took:.1f}s after the kill: {text[-500:]}"
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphrec: error: "), text
