"""``make venv``'s choice of torch wheel, run for real with pip replaced by ``echo`` (a dry run: nothing installed)."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrec.localdb.local import free_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
              pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has nvidia-smi")]


def _torch(*assignments: str) -> list[str]:
    """The lines ``make torch`` prints, pip being ``echo pip``."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), "torch", f"PY={sys.executable}",
                          "PIP=echo pip", *assignments], capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.splitlines()


@pytest.fixture
def index_url(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server holding a ``torch/`` page, as a wheel index does."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "index.html").write_text("<html></html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_without_a_gpu_the_cpu_index_is_chosen(index_url: str) -> None:
    assert _torch(f"TORCH_CPU_INDEX={index_url}") == [
        f"torch: CPU-only wheel from {index_url} (no nvidia-smi; TORCH_INDEX_URL=... to choose)",
        f"pip install torch --index-url {index_url}"]


def test_an_unreachable_cpu_index_falls_back_to_pypi() -> None:
    closed = f"http://127.0.0.1:{free_port()}"   # nothing listens there
    lines = _torch(f"TORCH_CPU_INDEX={closed}")
    assert lines[0].startswith(f"torch: {closed} cannot be reached; PyPI's default wheel instead")
    assert lines[1:] == ["pip install torch"]


def test_torch_index_url_wins(index_url: str) -> None:
    assert _torch("TORCH_INDEX_URL=https://example.invalid/whl/cu124", f"TORCH_CPU_INDEX={index_url}") == [
        "torch: from https://example.invalid/whl/cu124 (TORCH_INDEX_URL)",
        "pip install torch --index-url https://example.invalid/whl/cu124"]


def test_venv_installs_torch_first() -> None:
    plan = subprocess.run(["make", "-n", "-C", str(ROOT), "venv", "VENV=/nonexistent-venv"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    assert plan.index("torch:") < plan.index("pip install -e '.[dev]'")
