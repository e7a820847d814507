"""docker-compose.yml stays valid for users with Docker (`docker compose config`; no engine needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _compose_available(), reason="the docker compose client plugin is not installed")
def test_compose_config_is_valid() -> None:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home()), "GRAPHREC_NEO4J_PASSWORD": "pw-12345678"}
    out = subprocess.run(["docker", "compose", "--profile", "trainer", "config", "--format", "json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    cfg = json.loads(out.stdout)
    neo4j = cfg["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    plugins = neo4j["environment"]["NEO4J_PLUGINS"]
    assert "apoc" in plugins and "graph-data-science" in plugins
    assert neo4j["environment"]["NEO4J_AUTH"] == "neo4j/pw-12345678"
    assert "healthcheck" in neo4j
    assert cfg["services"]["trainer"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
