"""``benchmarks/`` sits beside the package: ``make bench`` names modules that exist, and datasets are found
through graphrec's ``data_dir`` setting, not through the folder the checkout happens to sit in."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from benchmarks.common import data_dir

ROOT = Path(__file__).resolve().parents[1]


def test_make_bench_runs_modules_that_exist() -> None:
    target = ROOT.joinpath("Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    modules = re.findall(r"-m (benchmarks\.\w+)", target)
    assert "benchmarks.serve_bench" in modules and "benchmarks.hnsw_bench" in modules
    for name in modules:
        assert callable(importlib.import_module(name).main), name


def test_data_dir_follows_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHREC_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
