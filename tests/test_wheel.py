"""The wheel works anywhere: build it, install it into a fresh virtualenv, run it from outside the repo.

The fresh virtualenv gets only the wheel (``--no-deps --no-index``); its dependencies (torch, PyG,
sentence-transformers…) come from the virtualenv running the tests through a ``.pth`` line, so nothing is
downloaded again (CI has PyPI only, and must stay fast). With hatchling installed (the ``dev`` extra) the
build runs offline too; without it pip fetches hatchling into an isolated build environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from graphrec.config import Settings

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import importlib.util, json, sys
import graphrec, graphrec.loaders
from graphrec.config import load_settings
from graphrec.db.queries import cypher_dir, load_query, query_names
from graphrec.features.model import resolve_model
print(json.dumps({
    "graphrec": graphrec.__file__, "loaders": graphrec.loaders.__file__,
    "top_level_loaders": importlib.util.find_spec("loaders") is not None,
    "cypher_dir": str(cypher_dir()), "recommend_queries": len(query_names("recommend")),
    "schema_query": "CREATE" in load_query("schema/constraints"),
    "data_dir": str(load_settings().data_dir), "model_packaged": resolve_model().packaged,
}))
"""


def _build_wheel(dist: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-build-isolation")
    subprocess.run(cmd, check=True, timeout=300)
    (wheel,) = dist.glob("graphrec-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(where)
    py = where / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True,
                   timeout=300)
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the test virtualenv's packages, after the fresh one's own (so the wheel's graphrec wins)
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path, settings: Settings) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("loaders/")], "the wheel ships a top-level loaders package"
    assert "graphrec/loaders/__init__.py" in names
    assert "graphrec/_cypher/recommend/recommend.cypher" in names

    py = _fresh_venv(tmp_path / "venv", wheel)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHREC_", "PYTHON"))}
    env.update(GRAPHREC_HOME=str(home), PATH=f"{py.parent}{os.pathsep}{env.get('PATH', '')}")

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], cwd=outside, env=env, capture_output=True, text=True,
                              timeout=300, check=False)

    site = run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    checked = run(py, "-c", CHECK)
    assert checked.returncode == 0, checked.stderr
    info = json.loads(checked.stdout)
    assert Path(info["graphrec"]).is_relative_to(site) and Path(info["loaders"]).is_relative_to(site)
    assert info["top_level_loaders"] is False
    assert Path(info["cypher_dir"]) == Path(site) / "graphrec" / "_cypher"
    assert info["recommend_queries"] >= 5 and info["schema_query"]
    assert info["data_dir"] == str(home / "datasets")  # not site-packages/../../shared
    assert info["model_packaged"] is True

    helped = run(py.parent / "graphrec", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "recommendations from your Neo4j graph" in helped.stdout

    stats = run(py.parent / "graphrec", "--uri", settings.uri, "--password", settings.password or "",
                "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert set(json.loads(stats.stdout)) == {"nodes", "relationships", "splits", "datasets"}
