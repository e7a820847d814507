"""``graphrec serve`` as a user runs it: a real process on a free port, and its message without the extra."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.localdb.local import free_port
from tests.recommend.conftest import Published
from tests.serve.conftest import get

ROOT = Path(__file__).resolve().parents[2]


def test_help_shows_defaults() -> None:
    res = CliRunner().invoke(cli, ["serve", "--help"])
    assert res.exit_code == 0
    assert "[default: 127.0.0.1]" in res.output and "default: 8000" in res.output


def test_serve_process_answers(neo4j_settings: Settings, published: Published, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GRAPHREC_NEO4J_URI": neo4j_settings.uri,
           "GRAPHREC_NEO4J_PASSWORD": neo4j_settings.password or "", "GRAPHREC_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", "from graphrec.cli.main import main; main()",
                             "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                reply = get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "graphrec serve did not answer within 60 s"
                time.sleep(0.2)
        assert reply.status == 200 and reply.body["active_run"] == published.result.run_id
        rec = get(f"http://127.0.0.1:{port}/recommend/u1?k=3")
        assert [i["item"] for i in rec.body["items"]] == published.expected("u1", 3)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}" in out


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # what `import fastapi` meets when it is not installed
    res = CliRunner().invoke(cli, ["serve"])
    assert res.exit_code == 1
    assert "pip install -e '.[serve]' in the graphrec checkout" in res.output and "fastapi" in res.output
